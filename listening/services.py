"""Use cases for X accounts and sources. Ingestion itself lives in listening/ingest.py."""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from listening import client as x
from listening import permissions as perms
from listening import selectors
from listening.models import Source, SourceRun, Tweet, XAccount
from socialops.marks import Family, mark_rows
from socialops.models import User
from socialops.services import instance_delete, instance_save, snapshot

SCOPES = [
    "tweet.read",
    "tweet.write",
    "users.read",
    "list.read",
    "list.write",  # prospect lists add and remove members of their private X list
    "dm.read",
    "dm.write",
    "like.write",  # the inbox likes a mention as one way of answering it
    "offline.access",
]


# --- Accounts -------------------------------------------------------------------------


@transaction.atomic
def account_connect(*, actor: User, tokens: x.TokenSet, me: x.UserRecord) -> XAccount:
    """Store (or reconnect) the account the OAuth 2.0 flow just authorised."""
    perms.require(perms.can_manage_accounts(actor), "Only organisation admins connect X accounts.")
    account = XAccount.objects.filter(Q(x_user_id=me.id) | Q(username__iexact=me.username)).first()
    before = snapshot(account) if account else None
    user_before = account.x_user_id if account else None
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
    instance_save(actor=actor, instance=account, before=before)
    if user_before != me.id:
        _own_posts_mark({user_before, me.id})
    return account


def _own_posts_mark(x_user_ids: set[int | None]) -> None:
    """Posts by these X users become (or stop being) our own posts, which metrics count:
    mark the days they were posted on."""
    mark_rows(Family.POSTS, Tweet.objects.filter(author_id__in=x_user_ids - {None}), "created_at")


def account_add_read_only(*, actor: User, username: str, bearer_token: str) -> XAccount:
    """An account we only read, with an app bearer token: look it up on X, then store."""
    perms.require(perms.can_manage_accounts(actor), "Only organisation admins add X accounts.")
    username = username.strip().lstrip("@")
    user = x.XClient(token=bearer_token).user_by_username(username)
    if user is None:
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
        instance_save(actor=actor, instance=account)
        _own_posts_mark({user.id})
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
    instance_save(
        actor=actor,
        instance=account,
        before=before,
        update_fields=["monthly_budget", "budget_pause", "updated_at"],
    )
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


# X's search operator `list:<id>` reads a list's members' posts: an open search with it
# follows the list as surely as a list source does. (`-list:` excludes them: harmless.)
_LIST_OPERATOR = re.compile(r"(?<![\w-])list:(\d{1,19})\b", re.IGNORECASE)
_MAX_X_ID = 2**63 - 1
PRIVATE_TO_SOMEONE_ELSE = "This X list cannot be followed here: someone follows it privately."
PRIVATE_TO_YOU = (
    "You follow this X list privately: it cannot be followed openly as well. Make your "
    "private source public if its posts are for everyone."
)
ALREADY_OPEN = (
    "This X list is already followed openly: everyone sees its posts, so it cannot be private."
)


def _x_lists_read(source: Source) -> tuple[str, set[int]]:
    """The field that names X lists, and the lists that the source reads."""
    if source.kind == Source.Kind.LIST and source.x_list_id:
        return "x_list_id", {source.x_list_id}
    if source.kind == Source.Kind.SEARCH:
        ids = {int(m) for m in _LIST_OPERATOR.findall(source.query or "")}
        return "query", {pk for pk in ids if pk <= _MAX_X_ID}
    return "x_list_id", set()


def _x_lists_lock(list_ids: set[int]) -> None:
    """Serialise saves of sources on these X lists until the transaction ends, so two
    at once cannot both find the list free. An X list is global on X (a public one can
    be read through any of our accounts), so the lock is the list's, not an account's:
    a transaction-scoped advisory lock on PostgreSQL, taken in id order (no deadlock).
    SQLite needs none: its transactions begin IMMEDIATE, one writer at a time."""
    if connection.vendor != "postgresql":
        return
    namespace = zlib.crc32(b"listening.x_list") - 2**31
    with connection.cursor() as cursor:
        for list_id in sorted(list_ids):
            # Two int4 keys: a namespace and the id folded to 32 bits (a collision only
            # makes two lists wait for each other).
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [namespace, (list_id % 2**32) - 2**31],
            )


def _source_check_x_lists(*, actor: User, source: Source) -> None:
    """An X list is followed either privately, by one person, or openly — never both:
    a post read only through a private list must stay its owner's. Call inside the
    saving transaction: this takes the lists' lock before it looks."""
    field, list_ids = _x_lists_read(source)
    if not list_ids:
        return
    _x_lists_lock(list_ids)
    others = Source.objects.exclude(pk=source.pk) if source.pk else Source.objects.all()
    private = others.filter(is_private=True, kind=Source.Kind.LIST, x_list_id__in=list_ids)
    if source.is_private:
        # Only the owner's own private sources may share it; nobody else's, open or not.
        if private.exclude(owner=source.owner_id).exists():
            raise ValidationError({field: PRIVATE_TO_SOMEONE_ELSE})
        open_lists = others.filter(is_private=False, kind=Source.Kind.LIST, x_list_id__in=list_ids)
        open_searches = others.filter(
            is_private=False, kind=Source.Kind.SEARCH, query__icontains="list:"
        ).values_list("query", flat=True)
        if open_lists.exists() or any(
            int(m) in list_ids for query in open_searches for m in _LIST_OPERATOR.findall(query)
        ):
            raise ValidationError({field: ALREADY_OPEN})
        return
    owners = set(private.values_list("owner_id", flat=True))
    if owners - {actor.pk}:
        raise ValidationError({field: PRIVATE_TO_SOMEONE_ELSE})
    if owners:
        raise ValidationError({field: PRIVATE_TO_YOU})


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
    _source_check_x_lists(actor=actor, source=source)
    instance_save(
        actor=actor,
        instance=source,
        department=source.department,
        private_to=_private_to(source),
        validate=False,  # full_clean() ran before the lists were checked on X
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
    private_before = source.is_private
    department_before = source.department_id
    for name, value in fields.items():
        setattr(source, name, value)
    question_changed = (source.kind, source.query, source.x_list_id) != (
        kind_before,
        query_before,
        list_before,
    )
    if question_changed:
        # A different question: the old cursor means nothing for it.
        source.since_id = source.pending_since_id = None
        source.page_token = ""
    source.full_clean()
    if question_changed or source.is_private != private_before:
        # (Pausing or renaming a source asks nothing new of its list.)
        _source_check_x_lists(actor=actor, source=source)
    instance_save(
        actor=actor,
        instance=source,
        before=before,
        department=source.department,
        private_to=_private_to(source, was_private=before["is_private"]),
        validate=False,  # full_clean() ran before the lists were checked on X
    )
    if source.department_id != department_before:
        # Its runs' cost counts for its department (metrics.facts.x_spend).
        _spend_mark(source)
    return source


def _spend_mark(source: Source) -> None:
    mark_rows(Family.X_SPEND, SourceRun.objects.filter(source=source, cost__gt=0), "started_at")


@transaction.atomic
def source_delete(*, actor: User, source: Source) -> None:
    perms.require(perms.can_edit_source(actor, source), "Only its owner or an admin can do that.")
    _spend_mark(source)  # its runs go with it
    instance_delete(
        actor=actor, instance=source, department=source.department, private_to=_private_to(source)
    )


def source_run_now(*, actor: User, source: Source) -> None:
    """Queue a run at once (the lease still keeps it to one at a time)."""
    perms.require(perms.can_edit_source(actor, source), "Only its owner or an admin can do that.")
    transaction.on_commit(lambda: _pull_source_later(source.pk))


def sources_enqueue_due(*, now: datetime | None = None) -> list[int]:
    """Queue every enabled source that is due and not held by a live run. Moving
    next_run_at forward with a conditional UPDATE first means a second beat, or this
    function run twice, queues nothing twice."""
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
        transaction.on_commit(lambda pk=pk: _pull_source_later(pk), robust=True)
    return queued


def _pull_source_later(source_id: int) -> None:
    # By name: listening.tasks calls these services, so they cannot import it back.
    # ListeningConfig.ready registers the task in every process (a KeyError otherwise,
    # never a send without the task's queue and limits).
    current_app.tasks["listening.pull_source"].delay(source_id)
