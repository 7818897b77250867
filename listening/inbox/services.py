"""The inbox's use cases: messages arriving from ingestion, and what people do with a
conversation (assign, status, priority, tags, notes, routing rules, agents). One
transaction each; every change to a conversation writes an Event (its history).

Assignment, automatic per department (DepartmentInbox):
1. only to agents who are available, are still members, and hold fewer open
   conversations than their capacity;
2. round robin (the next such agent after the last one given one, by user id) or fewest
   open (ties by user id);
3. the department's DepartmentInbox row is locked (FOR UPDATE) for the choice, so two
   assignments at once never both see the same free slot;
4. when someone frees capacity (resolves, closes, is unassigned, becomes available),
   the oldest unassigned open conversation goes first (queue_drain); conversations
   are taken with SKIP LOCKED, so a drain never waits on a conversation being changed
   (which may itself be waiting on the department's row: no deadlock).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from departments.models import Department, Membership
from listening.columns import TWEET_INDEX
from listening.inbox import permissions as perms
from listening.inbox import routing, sentiment, signals
from listening.inbox.models import (
    Agent,
    Conversation,
    DepartmentInbox,
    Event,
    InboxSettings,
    Message,
    MessageKind,
    Note,
    Priority,
    RoutingRule,
    Status,
    Tag,
)
from listening.inbox.selectors import OPEN, open_counts
from listening.inbox.sending import response_record
from listening.inbox.sla import services as sla
from listening.models import DirectMessage, InboxItem, Source, Tweet, XAccount, XUser
from socialops.marks import Family, mark
from socialops.models import User
from socialops.services import instance_delete, instance_save, snapshot
from socialops.webhooks.services import event_emit

log = logging.getLogger(__name__)

_ID, _AUTHOR, _TEXT = TWEET_INDEX["id"], TWEET_INDEX["author_id"], TWEET_INDEX["text"]
_CREATED, _CONV = TWEET_INDEX["created_at"], TWEET_INDEX["conversation_id"]
_REPLY_USER, _LANG = TWEET_INDEX["in_reply_to_user_id"], TWEET_INDEX["lang"]
_RETWEET, _RAW = TWEET_INDEX["is_retweet"], TWEET_INDEX["raw"]
_MENTIONED = TWEET_INDEX["mentioned_usernames"]


def _score(text: str) -> str:
    """The sentiment label (listening.inbox.sentiment, offline)."""
    try:
        return sentiment.score(text).label
    except Exception:  # a scorer failure must never lose a message
        log.exception("sentiment scoring failed")
        return ""


def _event(conversation: Conversation, action: str, *, actor=None, detail="", at=None) -> Event:
    return Event.objects.create(
        conversation=conversation,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        detail=detail[:500],
        at=at or timezone.now(),
    )


# --- Messages arriving ----------------------------------------------------------------


def _quoted_id(raw: dict) -> int | None:
    for ref in raw.get("referenced_tweets") or []:
        if ref.get("type") == "quoted" and ref.get("id"):
            return int(ref["id"])
    return None


def _classify(
    v: tuple,
    source: Source,
    ours: dict[int, XAccount],
    by_name: dict[str, XAccount],
    our_posts: dict[int, int],
) -> tuple[str, XAccount] | None:
    """Whether a post is for the inbox, as what, and to which of our accounts."""
    if v[_REPLY_USER] in ours:
        return MessageKind.REPLY, ours[v[_REPLY_USER]]
    quoted = _quoted_id(v[_RAW] or {})
    if quoted is not None and quoted in our_posts:
        return MessageKind.QUOTE, ours[our_posts[quoted]]
    for name in v[_MENTIONED] or ():
        if name.lower() in by_name:
            return MessageKind.MENTION, by_name[name.lower()]
    if source.kind == Source.Kind.MENTIONS:
        return MessageKind.MENTION, source.account
    return None


def messages_ingest(*, source: Source, tweets: list[tuple], now: datetime) -> int:
    """Posts a source just stored that are for us — mentions, replies to our posts,
    quotes of our posts — become messages of conversations (grouped by X's
    conversation_id), routed when new. Call inside the page's transaction: a page
    replayed after a crash finds its messages there (a post is one message, once).
    A mentions source also keeps its inbox items (the mentions metric's rows), routed
    like their conversations. Returns the number of new messages."""
    if source.kind in (Source.Kind.OWN_POSTS, Source.Kind.FOLLOWERS) or not tweets:
        return 0
    accounts = list(XAccount.objects.exclude(x_user_id=None))
    ours = {a.x_user_id: a for a in accounts}
    by_name = {a.username.lower(): a for a in accounts}
    quoted = {q for v in tweets if (q := _quoted_id(v[_RAW] or {})) is not None}
    our_posts = dict(
        Tweet.objects.filter(pk__in=quoted, author_id__in=ours).values_list("pk", "author_id")
    )
    candidates = []
    for v in tweets:
        if v[_AUTHOR] in ours:
            continue  # our own posts are not messages to answer
        found = _classify(v, source, ours, by_name, our_posts)
        if found is not None:
            candidates.append((v, *found))
    if not candidates:
        return 0
    authors = {u.pk: u for u in XUser.objects.filter(pk__in={v[_AUTHOR] for v, *_ in candidates})}
    existing = dict(
        Message.objects.filter(tweet_id__in=[v[_ID] for v, *_ in candidates]).values_list(
            "tweet_id", "conversation_id"
        )
    )
    rules = list(RoutingRule.objects.filter(enabled=True).select_related("department"))
    new = 0
    items: list[InboxItem] = []
    # In id order: a thread's first post creates its conversation, replies join it.
    for v, kind, account in sorted(candidates, key=lambda c: c[0][_ID]):
        at = v[_CREATED] or now
        if v[_ID] in existing:
            conversation = _seen_again(source, existing[v[_ID]], now)
        elif v[_RETWEET]:
            conversation = None  # a repost of a mention counts as a mention, nothing to answer
        else:
            conversation = _message_add(
                source=source,
                v=v,
                kind=kind,
                account=account,
                author=authors.get(v[_AUTHOR]),
                at=at,
                rules=rules,
                now=now,
            )
            new += 1
        if source.kind == Source.Kind.MENTIONS:
            department_id = conversation.department_id if conversation else source.department_id
            items.append(
                InboxItem(
                    tweet_id=v[_ID],
                    account_id=account.pk,
                    department_id=department_id,
                    received_at=at,
                )
            )
    if items:
        InboxItem.objects.bulk_create(items, ignore_conflicts=True)
        mark(Family.MENTIONS, [item.received_at for item in items])
    return new


# The API's reading of a conversation, for its webhook events (a path: the api module
# builds on these services).
CONVERSATION_SERIALIZER = "listening.inbox.api.ConversationSerializer"


def _webhook(event_type: str, conversation: Conversation) -> None:
    """conversation.created / assigned / resolved, in the change's transaction; one read
    only through someone's private list goes to their own endpoints alone."""
    event_emit(
        event_type,
        instance=conversation,
        serializer=CONVERSATION_SERIALIZER,
        private_to=conversation.private_to,
    )


def _locked_conversation(key: dict, create: dict) -> tuple[Conversation, bool]:
    """The conversation with `key` (its kind and X's id: x_conversation_id for a public
    thread, dm_conversation_id for DMs), locked; created with `create` when new (two
    sources storing the first message at once: one creates, the other finds it)."""
    found = Conversation.objects.select_for_update().filter(**key)
    conversation = found.first()
    if conversation is not None:
        return conversation, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(**key, **create)
            _webhook("conversation.created", conversation)
            return conversation, True
    except IntegrityError:
        return found.get(), False


def _message_add(
    *,
    source: Source,
    v: tuple,
    kind: str,
    account: XAccount,
    author: XUser | None,
    at: datetime,
    rules: list[RoutingRule],
    now: datetime,
) -> Conversation:
    text = v[_TEXT] or ""
    sentiment = _score(text)
    incoming = routing.Incoming(
        text=text,
        kind=kind,
        account=account,
        source=source,
        author=author,
        lang=v[_LANG] or "",
        sentiment=sentiment,
    )
    where = routing.route(incoming, rules)
    conversation, created = _locked_conversation(
        {"kind": Conversation.Kind.PUBLIC, "x_conversation_id": v[_CONV] or v[_ID]},
        {
            "account": account,
            "author_id": v[_AUTHOR],
            "department": where.department,
            "routed_by": where.routed_by,
            "routing_rule": where.rule,
            "priority": where.priority or Priority.NORMAL,
            "private_to_id": source.owner_id if source.is_private else None,
            "sentiment": sentiment,
            "sentiment_scored": sentiment,
            "preview": text[:280],
            "first_message_at": at,
            "last_message_at": at,
            "awaiting_since": at,
        },
    )
    Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INBOUND,
        kind=kind,
        tweet_id=v[_ID],
        author_id=v[_AUTHOR],
        text=text,
        at=at,
    )
    if created:
        _event(conversation, Event.Action.CREATED, detail=f"{incoming.kind} via {source}", at=now)
        why = where.rule.name if where.rule else conversation.get_routed_by_display()
        name = where.department.name if where.department else "no department"
        _event(conversation, Event.Action.ROUTED, detail=f"To {name}: {why}", at=now)
        _auto_assign(conversation, now=now)
        sla.clock_refresh(conversation, now=now)
        sla.inbox_mark(at)
        return conversation
    _visibility_widen(conversation, source)
    _inbound_update(conversation, at=at, text=text, sentiment=sentiment, now=now)
    return conversation


def _visibility_widen(conversation: Conversation, source: Source) -> None:
    """A conversation private to a list's owner becomes the department's once a shared
    source reads it (its posts are no longer private then)."""
    if conversation.private_to_id and not source.is_private:
        conversation.private_to = None
        conversation.save(update_fields=["private_to", "updated_at"])


def _inbound_update(
    conversation: Conversation, *, at: datetime, text: str, sentiment: str, now: datetime
) -> None:
    """A new inbound message: the version moves on (a reply written before it is
    refused), the wait for our answer starts if none is running, and a conversation
    that was waiting, resolved or closed is open again — without its assignee when they
    are away."""
    conversation.version = F("version") + 1
    conversation.last_message_at = max(conversation.last_message_at, at)
    conversation.awaiting_since = conversation.awaiting_since or at
    conversation.preview = text[:280]
    if sentiment:
        conversation.sentiment = sentiment
        conversation.sentiment_scored = sentiment
        sla.inbox_mark(conversation.first_message_at)
    reopened = conversation.status != Status.OPEN
    was_closed = conversation.status in (Status.RESOLVED, Status.CLOSED)
    conversation.status = Status.OPEN
    conversation.save()
    conversation.refresh_from_db(fields=["version"])
    _event(conversation, Event.Action.MESSAGE, detail=text[:200], at=now)
    if reopened:
        _event(conversation, Event.Action.STATUS, detail="Open again: a new message", at=now)
    if was_closed and conversation.assignee_id and not _available(conversation):
        away = conversation.assignee
        conversation.assignee, conversation.assigned_at = None, None
        conversation.save(update_fields=["assignee", "assigned_at", "updated_at"])
        _event(conversation, Event.Action.UNASSIGNED, detail=f"{away} is away", at=now)
    _auto_assign(conversation, now=now)
    sla.clock_refresh(conversation, now=now)


def _seen_again(source: Source, conversation_id: int, now: datetime) -> Conversation:
    """A post already in the inbox read by another source: a shared source makes a
    private conversation the department's; a private prospect list moves one that no
    one has touched yet to its owner's department (whichever source read it first)."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    _visibility_widen(conversation, source)
    if (
        source.is_private
        and conversation.routed_by in (Conversation.RoutedBy.SOURCE, Conversation.RoutedBy.DEFAULT)
        and conversation.assignee_id is None
        and not conversation.notes.exists()
        and not conversation.replies.exists()
    ):
        department = routing.owner_department(source.owner_id)
        if department is not None and department.pk != conversation.department_id:
            _department_move(conversation, department, Conversation.RoutedBy.PRIVATE_LIST, now)
    return conversation


def _department_move(
    conversation: Conversation, department: Department, routed_by: str, now: datetime, actor=None
) -> None:
    conversation.department = department
    conversation.routed_by = routed_by
    conversation.routing_rule = None
    conversation.save(update_fields=["department", "routed_by", "routing_rule", "updated_at"])
    # The inbox metrics count the conversation, its answers and resolution by department.
    sla.inbox_mark(
        conversation.first_message_at,
        conversation.resolved_at,
        *conversation.messages.filter(direction=Message.Direction.OUTBOUND).values_list(
            "at", flat=True
        ),
    )
    sla.clock_refresh(conversation, now=now)
    # The mentions metric counts inbox items by the department they are routed to.
    moved = InboxItem.objects.filter(tweet__inbox_message__conversation=conversation)
    mark(Family.MENTIONS, list(moved.values_list("received_at", flat=True)))
    moved.update(department=department)
    _event(
        conversation,
        Event.Action.ROUTED,
        actor=actor,
        detail=f"To {department.name}: {conversation.get_routed_by_display()}",
        at=now,
    )


# --- Direct messages arriving ----------------------------------------------------------


def dms_ingest(*, source: Source, messages: list[DirectMessage], now: datetime) -> int:
    """DMs a page stored for the first time (ingestion's direct_messages_received, inside
    its transaction: once per DM, or not at all with the page) become messages of DM
    conversations, one per X dm_conversation_id:

    1. a DM already in a conversation is skipped (ours, sent from the inbox: stored with
       its event id when X took it);
    2. a new conversation is routed by the same rules as posts (message kind DM; the
       other party as author), open when they wrote, waiting on them when we did (a DM
       sent from x.com);
    3. in order: theirs reopens the conversation and starts the wait for our answer;
       ours (sent outside the product) ends the wait as a person's answer;
    4. older than what the conversation holds (X reads DMs newest first): history, which
       moves neither its state nor its times, except that an earlier unanswered message
       of theirs starts the running wait earlier;
    5. prospects hear of each (signals.x_interaction), in the same transaction.
    Returns the number of new messages."""
    if not messages:
        return 0
    ids = [str(m.pk) for m in messages]
    known = set(Message.objects.filter(dm_event_id__in=ids).values_list("dm_event_id", flat=True))
    fresh = sorted((m for m in messages if str(m.pk) not in known), key=lambda m: m.pk)
    if not fresh:
        return 0
    ours = set(XAccount.objects.exclude(x_user_id=None).values_list("x_user_id", flat=True))
    others = {_other_party(m, ours) for m in fresh} - {None}
    users = {u.pk: u for u in XUser.objects.filter(pk__in=others)}
    rules = list(RoutingRule.objects.filter(enabled=True).select_related("department"))
    new = 0
    with transaction.atomic():  # ingestion's page transaction, or one of its own
        for dm in fresh:
            if _dm_add(source=source, dm=dm, ours=ours, users=users, rules=rules, now=now):
                new += 1
    return new


def _other_party(dm: DirectMessage, ours: set[int]) -> int | None:
    if dm.direction == DirectMessage.Direction.OUT or dm.sender_id in ours:
        return dm.recipient_id
    return dm.sender_id


def _dm_add(
    *,
    source: Source,
    dm: DirectMessage,
    ours: set[int],
    users: dict[int, XUser],
    rules: list[RoutingRule],
    now: datetime,
) -> bool:
    inbound = not (dm.direction == DirectMessage.Direction.OUT or dm.sender_id in ours)
    other_id = _other_party(dm, ours)
    at = dm.created_at or now
    text = dm.text or ""
    sentiment = _score(text) if inbound else ""
    where = routing.route(
        routing.Incoming(
            text=text,
            kind=MessageKind.DM,
            account=source.account,
            source=source,
            author=users.get(other_id or 0),
            sentiment=sentiment,
        ),
        rules,
    )
    conversation, created = _locked_conversation(
        {"kind": Conversation.Kind.DM, "dm_conversation_id": dm.dm_conversation_id},
        {
            "account_id": dm.account_id,
            "author_id": other_id,
            "department": where.department,
            "routed_by": where.routed_by,
            "routing_rule": where.rule,
            "priority": where.priority or Priority.NORMAL,
            "sentiment": sentiment,
            "preview": text[:280],
            "status": Status.OPEN if inbound else Status.WAITING,
            "first_message_at": at,
            "last_message_at": at,
            "awaiting_since": at if inbound else None,
        },
    )
    # Under the conversation's lock: the inbox's own send stores its DM under it too.
    if Message.objects.filter(dm_event_id=str(dm.pk)).exists():
        return False
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
        kind=MessageKind.DM,
        dm_event_id=str(dm.pk),
        author_id=dm.sender_id,
        text=text,
        at=at,
    )
    signals.interaction(
        x_user_id=other_id,
        kind="dm_received" if inbound else "dm_sent",
        occurred_at=at,
        ref=f"dm:{dm.pk}",
        text=text,
    )
    if created:
        why = where.rule.name if where.rule else conversation.get_routed_by_display()
        name = where.department.name if where.department else "no department"
        _event(conversation, Event.Action.CREATED, detail=f"DM via {source}", at=now)
        _event(conversation, Event.Action.ROUTED, detail=f"To {name}: {why}", at=now)
        if inbound:
            _auto_assign(conversation, now=now)
        return True
    if at < conversation.last_message_at:
        _dm_history(conversation, message)
    elif inbound:
        _inbound_update(conversation, at=at, text=text, sentiment=sentiment, now=now)
    else:
        conversation.preview = text[:280]
        conversation.save(update_fields=["preview", "updated_at"])
        response_record(conversation=conversation, responder=None, at=at)
        _event(conversation, Event.Action.MESSAGE, detail=f"Sent from X: {text[:180]}", at=now)
    return True


def _dm_history(conversation: Conversation, message: Message) -> None:
    """An older DM than the conversation's newest (step 4 of dms_ingest)."""
    fields = ["version", "updated_at"]
    conversation.version = F("version") + 1
    if message.at < conversation.first_message_at:
        conversation.first_message_at = message.at
        fields.append("first_message_at")
    waiting = conversation.awaiting_since
    if (
        message.direction == Message.Direction.INBOUND
        and waiting is not None
        and message.at < waiting
        and not conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, at__gte=message.at, at__lt=waiting
        ).exists()
    ):
        conversation.awaiting_since = message.at
        fields.append("awaiting_since")
    conversation.save(update_fields=fields)
    conversation.refresh_from_db(fields=["version"])


# --- Assignment -----------------------------------------------------------------------


def _available(conversation: Conversation) -> bool:
    agent = Agent.objects.filter(
        department_id=conversation.department_id, user_id=conversation.assignee_id
    ).first()
    return agent is None or agent.available


def _pick(inbox: DepartmentInbox) -> int | None:
    """The agent to give the next conversation to (see the module's steps), or None."""
    members = Membership.objects.filter(
        department_id=inbox.department_id, role__in=perms.WORKING_ROLES
    ).values("user_id")
    agents = list(
        Agent.objects.filter(
            department_id=inbox.department_id, available=True, user__in=members
        ).order_by("user_id")
    )
    counts = open_counts(department_id=inbox.department_id)
    free = [a for a in agents if counts.get(a.user_id, 0) < a.capacity]
    if not free:
        return None
    if inbox.assignment == DepartmentInbox.Assignment.FEWEST_OPEN:
        return min(free, key=lambda a: (counts.get(a.user_id, 0), a.user_id)).user_id
    last = inbox.last_assigned_id or 0
    after = [a for a in free if a.user_id > last]
    return (after or free)[0].user_id


def _locked_inbox(department_id: int | None) -> DepartmentInbox | None:
    if department_id is None:
        return None
    inbox = DepartmentInbox.objects.select_for_update().filter(department_id=department_id).first()
    if inbox is None or inbox.assignment == DepartmentInbox.Assignment.MANUAL:
        return None
    return inbox


def _give(conversation: Conversation, inbox: DepartmentInbox, user_id: int, now) -> None:
    conversation.assignee_id, conversation.assigned_at = user_id, now
    conversation.save(update_fields=["assignee", "assigned_at", "updated_at"])
    inbox.last_assigned_id = user_id
    inbox.save(update_fields=["last_assigned"])
    name = User.objects.get(pk=user_id)
    _event(
        conversation,
        Event.Action.ASSIGNED,
        detail=f"To {name} ({inbox.get_assignment_display().lower()})",
        at=now,
    )
    _webhook("conversation.assigned", conversation)


def _auto_assign(conversation: Conversation, *, now: datetime) -> None:
    """The caller holds the conversation's row."""
    if conversation.assignee_id or not conversation.is_open or conversation.private_to_id:
        return
    inbox = _locked_inbox(conversation.department_id)
    if inbox is None:
        return
    user_id = _pick(inbox)
    if user_id is not None:
        _give(conversation, inbox, user_id, now)


def queue_drain(*, department_id: int | None, now: datetime | None = None) -> int:
    """Give the oldest unassigned open conversations to agents with free capacity, as
    long as there are both. Returns how many were assigned."""
    now = now or timezone.now()
    given = 0
    with transaction.atomic():
        inbox = _locked_inbox(department_id)
        if inbox is None:
            return 0
        while (user_id := _pick(inbox)) is not None:
            waiting = Conversation.objects.filter(
                department_id=department_id, status__in=OPEN, assignee=None, private_to=None
            ).order_by("first_message_at", "pk")
            if connection.features.has_select_for_update_skip_locked:
                waiting = waiting.select_for_update(skip_locked=True, of=("self",))
            conversation = waiting.first()
            if conversation is None:
                break
            _give(conversation, inbox, user_id, now)
            given += 1
    return given


def _drain_after(department_id: int | None) -> None:
    transaction.on_commit(lambda: queue_drain(department_id=department_id))


# --- What people do -------------------------------------------------------------------


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def conversation_assign(
    *, actor: User, conversation: Conversation, assignee: User | None
) -> Conversation:
    """Give the conversation to a member of its department (or an admin), or back to
    the queue (None)."""
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    with transaction.atomic():
        conversation = _locked(conversation)
        if assignee is not None and not _can_take(assignee, conversation):
            raise ValidationError(
                {"assignee": f"{assignee} cannot take conversations of this department."}
            )
        previous = conversation.assignee_id
        if previous == (assignee.pk if assignee else None):
            return conversation
        now = timezone.now()
        conversation.assignee = assignee
        conversation.assigned_at = now if assignee else None
        conversation.save(update_fields=["assignee", "assigned_at", "updated_at"])
        if assignee is None:
            _event(conversation, Event.Action.UNASSIGNED, actor=actor, detail="Back to the queue")
        else:
            _event(conversation, Event.Action.ASSIGNED, actor=actor, detail=f"To {assignee}")
            _webhook("conversation.assigned", conversation)
        if previous is not None:
            _drain_after(conversation.department_id)
    return conversation


def _can_take(user: User, conversation: Conversation) -> bool:
    if conversation.private_to_id is not None:
        return user.pk == conversation.private_to_id
    if user.is_org_admin:
        return True
    return Membership.objects.filter(
        user=user, department_id=conversation.department_id, role__in=perms.WORKING_ROLES
    ).exists()


def conversation_status_set(
    *, actor: User, conversation: Conversation, status: str
) -> Conversation:
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    if status not in Status.values:
        raise ValidationError({"status": f"“{status}” is not a status."})
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.status == status:
            return conversation
        now = timezone.now()
        frees = conversation.is_open and status in (Status.RESOLVED, Status.CLOSED)
        conversation.status = status
        if status == Status.RESOLVED:
            sla.inbox_mark(conversation.resolved_at, now)  # the day it counted on before
            conversation.resolved_at = now
            conversation.resolved_by = actor
            conversation.resolution_seconds = int(
                max(0, (now - conversation.first_message_at).total_seconds())
            )
            conversation.resolution_business_seconds = sla.resolution_measure(conversation, now)
        conversation.save(
            update_fields=[
                "status",
                "resolved_at",
                "resolved_by",
                "resolution_seconds",
                "resolution_business_seconds",
                "updated_at",
            ]
        )
        sla.clock_refresh(conversation, now=now)
        if status == Status.RESOLVED:
            _webhook("conversation.resolved", conversation)
        _event(
            conversation,
            Event.Action.STATUS,
            actor=actor,
            detail=Status(status).label,
            at=now,
        )
        if frees and conversation.assignee_id:
            _drain_after(conversation.department_id)
    return conversation


def conversation_priority_set(
    *, actor: User, conversation: Conversation, priority: str
) -> Conversation:
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    if priority not in Priority.values:
        raise ValidationError({"priority": f"“{priority}” is not a priority."})
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.priority != priority:
            conversation.priority = priority
            conversation.save(update_fields=["priority", "updated_at"])
            sla.clock_refresh(conversation)
            _event(
                conversation, Event.Action.PRIORITY, actor=actor, detail=Priority(priority).label
            )
    return conversation


def conversation_tags_set(
    *, actor: User, conversation: Conversation, tags: Iterable[str]
) -> Conversation:
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    names = sorted({t.strip().lower() for t in tags if t.strip()})
    for name in names:
        if len(name) > 40:
            raise ValidationError({"tags": f"“{name[:40]}…” is longer than 40 characters."})
    with transaction.atomic():
        conversation = _locked(conversation)
        wanted = [Tag.objects.get_or_create(name=name)[0] for name in names]
        before = sorted(conversation.tags.values_list("name", flat=True))
        if before != names:
            conversation.tags.set(wanted)
            _event(conversation, Event.Action.TAGGED, actor=actor, detail=", ".join(names) or "—")
    return conversation


def note_add(*, actor: User, conversation: Conversation, text: str) -> Note:
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    with transaction.atomic():
        conversation = _locked(conversation)
        note = Note(conversation=conversation, author=actor, text=text.strip())
        if not note.text:
            raise ValidationError({"text": "Write the note."})
        note.full_clean()
        note.save()
        Conversation.objects.filter(pk=conversation.pk).update(version=F("version") + 1)
        _event(conversation, Event.Action.NOTE, actor=actor, detail=note.text[:200])
    return note


def conversation_department_set(
    *, actor: User, conversation: Conversation, department: Department
) -> Conversation:
    """Hand a conversation to another department (back to its queue)."""
    perms.require(perms.can_work(actor, conversation), "You cannot work on this conversation.")
    with transaction.atomic():
        conversation = _locked(conversation)
        if conversation.department_id == department.pk:
            return conversation
        had = conversation.department_id
        conversation.assignee, conversation.assigned_at = None, None
        conversation.save(update_fields=["assignee", "assigned_at", "updated_at"])
        _department_move(
            conversation, department, Conversation.RoutedBy.PERSON, timezone.now(), actor=actor
        )
        _auto_assign(conversation, now=timezone.now())
        _drain_after(had)
    return conversation


# --- Agents and the department's assignment -------------------------------------------


def _can_manage(user: User, department: Department) -> bool:
    return user.is_authenticated and (
        user.is_org_admin
        or Membership.objects.filter(
            user=user, department=department, role=Membership.Role.LEAD
        ).exists()
    )


def department_inbox_set(
    *, actor: User, department: Department, assignment: str
) -> DepartmentInbox:
    perms.require(_can_manage(actor, department), "Only the department's leads or an admin.")
    if assignment not in DepartmentInbox.Assignment.values:
        raise ValidationError({"assignment": f"“{assignment}” is not a way to assign."})
    with transaction.atomic():
        inbox, _ = DepartmentInbox.objects.select_for_update().get_or_create(department=department)
        before = snapshot(inbox)
        inbox.assignment = assignment
        instance_save(actor=actor, instance=inbox, before=before, department=department)
        _drain_after(department.pk)
    return inbox


def agent_set(
    *,
    actor: User,
    department: Department,
    user: User,
    available: bool | None = None,
    capacity: int | None = None,
) -> Agent:
    """An agent's availability (they set their own, leads and admins anyone's) and
    capacity (leads and admins)."""
    own = actor.pk == user.pk and capacity is None
    perms.require(own or _can_manage(actor, department), "Only the department's leads.")
    if not Membership.objects.filter(
        user=user, department=department, role__in=perms.WORKING_ROLES
    ).exists():
        raise ValidationError({"user": f"{user} is not a member of {department}."})
    with transaction.atomic():
        agent, created = Agent.objects.select_for_update().get_or_create(
            department=department, user=user
        )
        before = None if created else snapshot(agent)
        if available is not None:
            agent.available = available
        if capacity is not None:
            agent.capacity = capacity
        instance_save(actor=actor, instance=agent, before=before, department=department)
        if agent.available:
            _drain_after(department.pk)
    return agent


# --- Routing rules (organisation admins) -----------------------------------------------

# In the order the rule's form shows them.
RULE_FIELDS = (
    "name",
    "position",
    "keywords",
    "exclude_keywords",
    "message_kind",
    "account",
    "source",
    "min_followers",
    "verified",
    "language",
    "sentiment",
    "department",
    "priority",
    "enabled",
)


def routing_rule_create(*, actor: User, **fields) -> RoutingRule:
    perms.require(perms.can_manage_routing(actor), "Only organisation admins edit routing.")
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))}")
    _refuse_private_source(fields.get("source"))
    with transaction.atomic():
        if "position" not in fields:
            last = RoutingRule.objects.order_by("-position").values_list("position", flat=True)
            fields["position"] = (last.first() or 0) + 10
        rule = RoutingRule(**fields)
        instance_save(actor=actor, instance=rule)
    return rule


def routing_rule_update(*, actor: User, rule: RoutingRule, **fields) -> RoutingRule:
    perms.require(perms.can_manage_routing(actor), "Only organisation admins edit routing.")
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"cannot set {', '.join(sorted(unknown))}")
    _refuse_private_source(fields.get("source"))
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = snapshot(rule)
        for key, value in fields.items():
            setattr(rule, key, value)
        instance_save(actor=actor, instance=rule, before=before)
    return rule


def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    perms.require(perms.can_manage_routing(actor), "Only organisation admins edit routing.")
    with transaction.atomic():
        instance_delete(actor=actor, instance=rule)


def _refuse_private_source(source: Source | None) -> None:
    if source is not None and source.is_private:
        # An admin's rule must not name (nor reveal) someone's private list.
        raise ValidationError({"source": "A private list routes to its owner's department."})


def inbox_default_set(*, actor: User, department: Department | None) -> InboxSettings:
    perms.require(perms.can_manage_routing(actor), "Only organisation admins edit routing.")
    with transaction.atomic():
        settings, created = InboxSettings.objects.select_for_update().get_or_create(pk=1)
        before = None if created else snapshot(settings)
        settings.default_department = department
        instance_save(actor=actor, instance=settings, before=before)
    return settings
