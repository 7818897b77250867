"""Use cases for X accounts and sources. Ingestion itself lives in listening/ingest.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from listening import client as x
from listening import permissions as perms
from listening import selectors
from listening.models import Source, XAccount
from socialops.models import AuditEvent, User
from socialops.services import audit_record, snapshot

REFRESH_AHEAD = timedelta(minutes=10)
SCOPES = [
    "tweet.read",
    "tweet.write",
    "users.read",
    "list.read",
    "dm.read",
    "dm.write",
    "offline.access",
]


# --- Accounts -------------------------------------------------------------------------


def account_token(*, account: XAccount, refused: str = "") -> str:
    """The account's access token, refreshed first when it is about to expire — or when
    X just refused `refused` (clocks differ; X may end a token early). Two workers must
    not both refresh: X rotates the refresh token, so the loser's would be dead. The row
    lock makes the second one read the first one's new token."""
    if account.auth == XAccount.Auth.APP or not account.refresh_token:
        return account.access_token
    fresh_enough = timezone.now() + REFRESH_AHEAD
    if not refused and account.token_expires_at and account.token_expires_at > fresh_enough:
        return account.access_token
    with transaction.atomic():
        locked = XAccount.objects.select_for_update().get(pk=account.pk)
        if refused and locked.access_token != refused:
            return locked.access_token  # another worker refreshed it meanwhile
        if not refused and locked.token_expires_at and locked.token_expires_at > fresh_enough:
            return locked.access_token
        tokens = x.refresh(refresh_token=locked.refresh_token)
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token or locked.refresh_token
        locked.token_expires_at = tokens.expires_at
        locked.status = XAccount.Status.OK
        locked.save(update_fields=["access_token", "refresh_token", "token_expires_at", "status"])
        return locked.access_token


@transaction.atomic
def account_connect(*, actor: User, tokens: x.TokenSet, me: x.UserRecord) -> XAccount:
    """Store (or reconnect) the account the OAuth 2.0 flow just authorised."""
    perms.require(perms.can_manage_accounts(actor), "Only organisation admins connect X accounts.")
    account = XAccount.objects.filter(Q(x_user_id=me.id) | Q(username__iexact=me.username)).first()
    before = snapshot(account) if account else None
    account = account or XAccount()
    account.username = me.username
    account.x_user_id = me.id
    account.name = me.name
    account.auth = XAccount.Auth.USER
    account.access_token = tokens.access_token
    account.refresh_token = tokens.refresh_token
    account.token_expires_at = tokens.expires_at
    account.scopes = tokens.scope
    account.status = XAccount.Status.OK
    account.last_error = ""
    account.connected_by = actor
    account.full_clean()
    account.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if before is None else AuditEvent.Action.UPDATE,
        instance=account,
        before=before,
    )
    return account


def account_add_read_only(*, actor: User, username: str, bearer_token: str) -> XAccount:
    """An account we only read, with an app bearer token: look it up on X, then store."""
    perms.require(perms.can_manage_accounts(actor), "Only organisation admins add X accounts.")
    username = username.strip().lstrip("@")
    user = x.XClient(token=bearer_token).user_by_username(username)
    if user is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"username": f"X has no user @{username}."})
    with transaction.atomic():
        account = XAccount(
            username=user.username,
            x_user_id=user.id,
            name=user.name,
            auth=XAccount.Auth.APP,
            access_token=bearer_token,
            connected_by=actor,
        )
        account.full_clean()
        account.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, instance=account)
    return account


@transaction.atomic
def account_budget_set(
    *, actor: User, account: XAccount, monthly_budget: Decimal | None, budget_pause: bool
) -> XAccount:
    """Set (or clear, with None) the account's monthly X budget and whether its sources
    pause when it is reached. Raising it above the month's spend resumes them."""
    perms.require(perms.can_manage_accounts(actor), "Only organisation admins set X budgets.")
    account = XAccount.objects.select_for_update().get(pk=account.pk)
    before = snapshot(account)
    account.monthly_budget = monthly_budget
    account.budget_pause = budget_pause
    account.full_clean()
    account.save(update_fields=["monthly_budget", "budget_pause", "updated_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, instance=account, before=before)
    return account


# --- Sources --------------------------------------------------------------------------

SOURCE_FIELDS = {
    "name",
    "kind",
    "account",
    "department",
    "query",
    "x_list_id",
    "is_private",
    "interval",
    "enabled",
}


def _private_to(source: Source, *, was_private: bool = False) -> User | None:
    """Whose alone an audit row about this source is: a private list's rows name it."""
    return source.owner if source.is_private or was_private else None


@transaction.atomic
def source_create(*, actor: User, **fields: Any) -> Source:
    perms.require(perms.can_add_sources(actor), "Only department leads and members add sources.")
    unknown = set(fields) - SOURCE_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    source = Source(owner=actor, **fields)
    source.full_clean()
    source.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        instance=source,
        department=source.department,
        private_to=_private_to(source),
    )
    return source


@transaction.atomic
def source_update(*, actor: User, source: Source, **fields: Any) -> Source:
    perms.require(perms.can_edit_source(actor, source), "Only its owner or an admin can do that.")
    unknown = set(fields) - SOURCE_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    source = Source.objects.select_for_update().get(pk=source.pk)
    before = snapshot(source)
    kind_before, query_before, list_before = source.kind, source.query, source.x_list_id
    for name, value in fields.items():
        setattr(source, name, value)
    if (source.kind, source.query, source.x_list_id) != (kind_before, query_before, list_before):
        # A different question: the old cursor means nothing for it.
        source.since_id = source.pending_since_id = None
        source.page_token = ""
    source.full_clean()
    source.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.UPDATE,
        instance=source,
        before=before,
        department=source.department,
        private_to=_private_to(source, was_private=before["is_private"]),
    )
    return source


@transaction.atomic
def source_delete(*, actor: User, source: Source) -> None:
    perms.require(perms.can_edit_source(actor, source), "Only its owner or an admin can do that.")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        instance=source,
        before=snapshot(source),
        department=source.department,
        private_to=_private_to(source),
    )
    source.delete()


def source_run_now(*, actor: User, source: Source) -> None:
    """Queue a run at once (the lease still keeps it to one at a time)."""
    perms.require(perms.can_edit_source(actor, source), "Only its owner or an admin can do that.")
    from listening.tasks import pull_source

    transaction.on_commit(lambda: pull_source.delay(source.pk))


def sources_enqueue_due(*, now: datetime | None = None) -> list[int]:
    """Queue every enabled source that is due and not held by a live run. Moving
    next_run_at forward with a conditional UPDATE first means a second beat, or this
    function run twice, queues nothing twice."""
    from listening.tasks import pull_source

    now = now or timezone.now()
    due = (
        Source.objects.filter(enabled=True, next_run_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(account__status=XAccount.Status.NEEDS_RECONNECTION)
        # Paused at the budget: they stay due, and run once the month turns or the
        # budget is raised.
        .exclude(account__in=selectors.account_list_paused(now=now))
        .values_list("pk", "interval", "next_run_at")
    )
    queued = []
    for pk, interval, next_run_at in due:
        moved = Source.objects.filter(pk=pk, next_run_at=next_run_at).update(
            next_run_at=now + interval
        )
        if moved:
            queued.append(pk)
    for pk in queued:
        # robust: with the broker away, one failed send must not stop the others. The
        # source that was not queued runs an interval later; X keeps what it missed.
        transaction.on_commit(lambda pk=pk: pull_source.delay(pk), robust=True)
    return queued
