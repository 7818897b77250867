"""The event outbox and webhook delivery: endpoints, events, one delivery per event and
endpoint, and every attempt to send it (the delivery log)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from socialops.fields import EncryptedTextField


class WebhookEndpoint(models.Model):
    """Where events are POSTed, signed with its secret (Standard Webhooks).

    The secret is kept encrypted at rest (it must sign, so it cannot be a hash) and shown
    once, when made. After a rotation the previous secret signs too until
    `previous_secret_until`, so a receiver can switch over without missing a message."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Empty: every event type.
    event_types = models.JSONField(default=list, blank=True)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(blank=True, default="")
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    # Who made it: told by e-mail when it is disabled for failing; a private thing's
    # events (a rep's prospects) reach only endpoints their owner made.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The first failed attempt since the last success; None while it answers.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Event(models.Model):
    """One thing that happened, written in the transaction of the change (the outbox).

    `msg_id` is the `webhook-id` every endpoint receives for it, on every attempt: a
    receiver that sees one twice has seen the same event."""

    msg_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=60, db_index=True)
    # {"type", "timestamp", "data"}: the body sent, as the API shows the object.
    payload = models.JSONField()
    # A private thing's event (a rep's prospect): only endpoints this user made get it.
    private_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class Delivery(models.Model):
    """One event to one endpoint, until one success. A worker sends it only while it holds
    the claim (`claim_token` until `claimed_until`); a worker that dies holding it leaves a
    claim that runs out, and the next dispatch sends it again under the same webhook-id."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts in this round (the retry schedule's place; a replay starts a new round).
    tries = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once")]
        indexes = [
            # What dispatch reads every tick: the pending ones that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "status", "created_at"], name="delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class DeliveryAttempt(models.Model):
    """One POST of a delivery: what was sent and what came back (the first bytes)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    url = models.URLField(max_length=500)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
