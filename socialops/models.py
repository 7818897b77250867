"""Project-wide models: the user, API tokens, the worker heartbeat and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class User(AbstractUser):
    """A person who signs in. Organisation admins are superusers; the rest get rights
    through department memberships."""

    @property
    def is_org_admin(self) -> bool:
        return self.is_active and self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name

    def check_password(self, raw_password: str) -> bool:
        """Django's check, but a hash upgrade (new hasher or iteration count) carries the
        user's API tokens over: like Django's sessions, they end on a password change, not
        on a rehash of the same password."""
        # In here: socialops.tokens imports this module (ApiToken, User).
        from socialops.tokens import api_token_carry_over

        previous = self.password
        matches = super().check_password(raw_password)
        if matches and self.password != previous:
            api_token_carry_over(user=self, previous_password_hash=previous)
        return matches


class ApiToken(models.Model):
    """A secret that lets an integration use the API as its user.

    Only a SHA-256 digest of the secret is stored (the secret is shown once, when it is
    made); `prefix` is its first characters, enough to tell tokens apart. A token stops
    working when its user's password changes (`password_fingerprint` no longer matches),
    when the user is deactivated, at `expires_at` or once revoked.

    `scopes` maps an API resource (the router's prefix: "conversions", "prospects", …)
    to "read" or "write", like Stripe's restricted keys; the key "*" stands for every
    resource not named. A token may do what its scopes allow *and* its user may do: the
    scopes only ever narrow the user's rights (socialops.tokens.TokenScopes). Tokens made
    before scopes existed carry {"*": "write"}: all of their user's rights."""

    class Level(models.TextChoices):
        NONE = "none", "No access"
        READ = "read", "Read"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, help_text="The secret's first characters.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret.")
    password_fingerprint = models.CharField(max_length=64)
    scopes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name or self.prefix + '…'} ({self.user})"

    def level(self, resource: str) -> str:
        """What this token may do on `resource`: none, read or write."""
        scopes = self.scopes if isinstance(self.scopes, dict) else {}
        return scopes.get(resource) or scopes.get("*") or self.Level.NONE

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class Heartbeat(models.Model):
    """The last time a process of a kind (e.g. "worker") proved it was alive."""

    name = models.CharField(max_length=50, unique=True)
    last_seen = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """Who changed what, and when. Written in the same transaction as the change."""

    class Action(models.TextChoices):
        CREATE = "create", "created"
        UPDATE = "update", "changed"
        DELETE = "delete", "deleted"
        LOCKOUT = "lockout", "locked out"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=50, help_text="app_label.model")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    department = models.ForeignKey(
        "departments.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    changes = models.JSONField(default=dict, blank=True)
    # A row about a private thing (a rep's private list) names it and its X list: it is
    # its owner's to read, like the thing itself; nobody else's, admins included.
    private_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Set for a private thing: only this user sees the row.",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.get_action_display()} {self.object_repr}"


class DirtyDay(models.Model):
    """A day whose raw rows of one family (clicks, conversions, …) landed or changed since
    the metrics rollups last read them. Written by whatever lands the rows, in the same
    transaction (socialops.marks); read and cleared by metrics, the only reader, which
    recomputes the organisation's days that overlap it. `version` grows with every mark,
    so a mark made while metrics was recomputing is not cleared with the older one."""

    pk = models.CompositePrimaryKey("family", "day")
    family = models.CharField(max_length=20)
    day = models.DateField(help_text="UTC date of the rows that landed.")
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.family} {self.day} (v{self.version})"


class Tombstone(models.Model):
    """A tracked row that was deleted, for the change cursor (socialops.changes): written
    by the table's DELETE trigger, stamped like the rows. Says only which resource and id
    are gone."""

    resource = models.CharField(max_length=50)
    object_id = models.BigIntegerField()
    change_xid = models.BigIntegerField()
    deleted_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["resource", "change_xid", "object_id"], name="tombstone_cursor")
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.object_id} deleted"


class ChangeClock(models.Model):
    """SQLite's stand-in for a transaction id (one row, bumped by the change triggers);
    PostgreSQL uses txid_current()."""

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key (socialops.idempotency): claimed before the
    view runs, its answer kept for replay. `status` is None while the first request is
    still running."""

    caller = models.CharField(max_length=80, help_text="token:<digest> or user:<id>")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of path and body.")
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotent_request_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status or 'running'})"


# The outbox's models live in their concept folder; imported here so Django finds them.
from socialops.webhooks.models import (  # noqa: E402, F401
    Delivery,
    DeliveryAttempt,
    Event,
    WebhookEndpoint,
)
