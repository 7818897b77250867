"""Answering on X exactly once (the calendar's publishing machinery, for one reply):

1. `reply_create` checks the version the agent loaded against the conversation's (a
   message, note or reply since then: refused, 409) and writes the Reply row QUEUED —
   one per message and kind (a unique constraint): never two answers to one message.
   The send is queued on commit. A like needs no version (it answers nothing and
   changes no one's reply): liking a post liked already is the same like.
2. `reply_send` claims it: a conditional UPDATE QUEUED → SENDING with a fresh token, so
   two workers never both send it; attempts counts the claims.
3. Any attempt after the first (a worker that died after X accepted, a timeout) first
   reads the account's posts since the first claim and adopts the one replying to the
   same post with the same text (RECONCILED) instead of sending again.
   A DM is looked for in the conversation's DM events (client.find_sent_dm); a like
   is sent again (X keeps one like per account and post).
4. X's id (a post's, a DM event's) is stored at once, with the outbound message, the
   response time, status "waiting on them" and the prospect's interaction, in one
   transaction. A DM that ingestion read back first is adopted, not stored twice.
5. A 429 or 5xx puts it back QUEUED for the task's retry; X refusing it (a 4xx) is
   FAILED with X's message, shown on the page. A claim older than
   PUBLISH_CLAIM_TIMEOUT belongs to a dead worker: `replies_stale_reclaim` queues it
   again (its next attempt checks X first).
"""

from __future__ import annotations

import html
import logging
import os
import re
import signal
import uuid
from datetime import UTC, datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from listening import client as x
from listening.inbox import permissions as perms
from listening.inbox import signals
from listening.inbox.models import (
    Conversation,
    Event,
    Message,
    MessageKind,
    Reply,
    ResponseTime,
    Status,
)
from listening.inbox.sla import services as sla
from listening.models import XAccount
from socialops.drf import Conflict
from socialops.models import User

log = logging.getLogger(__name__)
State = Reply.State

_sent_in_process = 0
# X's snowflake epoch: an id is (ms since it) << 22 (as in the calendar's publishing).
X_EPOCH_MS = 1288834974657
URL_RE = re.compile(r"https?://\S+")


def _normal(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _same_text(record: x.TweetRecord, text: str) -> bool:
    """X rewrites links (t.co): compare the rest."""
    return URL_RE.sub("<link>", _normal(record.text)) == URL_RE.sub("<link>", _normal(text))


class VersionConflict(Conflict):
    default_detail = (
        "The conversation changed since you opened it (a new message, note or reply): "
        "read it again before answering."
    )


def reply_create(
    *,
    actor: User,
    conversation: Conversation,
    message: Message,
    text: str = "",
    version: int | None = None,
    kind: str = Reply.Kind.REPLY,
) -> Reply:
    perms.require(perms.can_work(actor, conversation), "You cannot answer this conversation.")
    if kind not in Reply.Kind.values:
        raise ValidationError({"kind": f"“{kind}” is not a way to answer."})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if message.conversation_id != conversation.pk:
            raise ValidationError({"message": "Pick a message of this conversation."})
        if kind != Reply.Kind.DM and message.tweet_id is None:
            raise ValidationError({"message": "Pick a post of this conversation."})
        if kind == Reply.Kind.DM and not (
            conversation.kind == Conversation.Kind.DM or message.author_id
        ):
            raise ValidationError({"message": "X did not say who wrote it: no one to DM."})
        if kind == Reply.Kind.LIKE:
            liked = message.replies.filter(kind=kind).exclude(state=State.FAILED).first()
            if liked is not None:
                return liked  # liking twice is the same like
        elif version != conversation.version:
            raise VersionConflict()
        reply = Reply(
            conversation=conversation,
            in_reply_to=message,
            kind=kind,
            text=text.strip(),
            author=actor,
        )
        reply.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                reply.save()
        except IntegrityError as exc:
            if kind == Reply.Kind.LIKE:  # a like queued at the same moment
                return message.replies.filter(kind=kind).exclude(state=State.FAILED).get()
            raise VersionConflict("This message has been answered already.") from exc
        if kind != Reply.Kind.LIKE:
            Conversation.objects.filter(pk=conversation.pk).update(version=F("version") + 1)
        Event.objects.create(
            conversation=conversation,
            action=Event.Action.REPLY_QUEUED,
            actor=actor,
            detail=f"{reply.get_kind_display()}: {reply.text[:180]}" if reply.text else "Like",
            at=timezone.now(),
        )
        transaction.on_commit(lambda: _queue(reply.pk), robust=True)
    return reply


def _queue(reply_id: int) -> None:
    current_app.send_task("inbox.reply_send", args=[reply_id], queue=settings.PUBLISH_QUEUE)


def _claim(reply_id: int) -> str | None:
    token = str(uuid.uuid4())
    now = timezone.now()
    claimed = Reply.objects.filter(pk=reply_id, state=State.QUEUED).update(
        state=State.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    Reply.objects.filter(pk=reply_id, first_claimed_at=None).update(first_claimed_at=now)
    return token


def reply_send(*, reply_id: int) -> str:
    """Send one reply (see the module's steps). Returns its state afterwards; raises
    x.Transient for the task to retry (back QUEUED, so the retry can claim it)."""
    token = _claim(reply_id)
    if token is None:
        return Reply.objects.filter(pk=reply_id).values_list("state", flat=True).first() or ""
    reply = Reply.objects.select_related("conversation__account", "in_reply_to").get(pk=reply_id)
    account = reply.conversation.account
    try:
        x_id, reconciled = x.with_fresh_token(account, lambda client: _send(reply, client))
    except x.RateLimited as exc:
        _back(reply, token, str(exc))
        raise x.Transient(str(exc)) from exc
    except x.Transient as exc:
        _back(reply, token, str(exc))
        raise
    except x.AuthRevoked as exc:
        XAccount.objects.filter(pk=account.pk).update(
            status=XAccount.Status.NEEDS_RECONNECTION, last_error=str(exc)[:1000]
        )
        _fail(reply, token, "X refused the account's token: the account needs reconnection.")
        return State.FAILED
    except x.Permanent as exc:
        _fail(reply, token, str(exc))
        return State.FAILED
    _store(reply, token, x_id, reconciled=reconciled)
    return State.SENT


def _send(reply: Reply, client: x.XClient) -> tuple[int, bool]:
    target = reply.in_reply_to.tweet_id
    if reply.kind == Reply.Kind.DM:
        return _send_dm(reply, client)
    if reply.kind == Reply.Kind.LIKE:
        client.like(target)  # X keeps one like: a retry after a crash likes nothing twice
        _test_kill_hook()
        return target, False
    if reply.attempts > 1:
        found = _on_x(client, reply)
        if found is not None:
            return found, True
    if reply.kind == Reply.Kind.QUOTE:
        x_id = client.create_post(reply.text, quote_tweet_id=target)
    else:
        x_id = client.create_post(reply.text, in_reply_to=target)
    _test_kill_hook()
    return x_id, False


def _dm_target(reply: Reply) -> dict:
    """Into the DM conversation; from a public one, to the author of the message."""
    conversation = reply.conversation
    if conversation.kind == Conversation.Kind.DM:
        return {"dm_conversation_id": conversation.dm_conversation_id}
    return {"participant_id": reply.in_reply_to.author_id}


def _send_dm(reply: Reply, client: x.XClient) -> tuple[int, bool]:
    target = _dm_target(reply)
    if reply.attempts > 1:
        account = reply.conversation.account
        found = client.find_sent_dm(
            sender_id=account.x_user_id or client.me().id,
            text=reply.text,
            after=reply.first_claimed_at or timezone.now(),
            **target,
        )
        if (
            found is not None
            and not Reply.objects.filter(dm_event_id=str(found.dm_event_id))
            .exclude(pk=reply.pk)
            .exists()
        ):
            return found.dm_event_id, True
    sent = client.send_dm(reply.text, **target)
    _test_kill_hook()
    return sent.dm_event_id, False


def _on_x(client: x.XClient, reply: Reply) -> int | None:
    """Our post answering the same post with the same text since the first claim."""
    since = (reply.first_claimed_at or timezone.now()) - timedelta(
        seconds=settings.PUBLISH_RECONCILE_SKEW
    )
    since_id = max(int(since.timestamp() * 1000) - X_EPOCH_MS, 0) << 22
    account = reply.conversation.account
    user_id = account.x_user_id or client.me().id
    target = reply.in_reply_to.tweet_id
    token = None
    for _page in range(5):
        page = client.own_posts_page(user_id, since_id=since_id, pagination_token=token)
        for record in reversed(page.tweets):  # oldest first
            if reply.kind == Reply.Kind.QUOTE:
                refs = record.raw.get("referenced_tweets") or []
                aimed = any(r.get("type") == "quoted" and int(r["id"]) == target for r in refs)
            else:
                aimed = record.in_reply_to_tweet_id == target
            if (
                aimed
                and _same_text(record, reply.text)
                and not Reply.objects.filter(x_post_id=record.id).exists()
            ):
                return record.id
        token = page.next_token
        if not token:
            return None
    return None


def _test_kill_hook() -> None:
    global _sent_in_process
    if not settings.PUBLISH_TEST_KILL_AFTER_SENDS:
        return
    _sent_in_process += 1
    if _sent_in_process >= settings.PUBLISH_TEST_KILL_AFTER_SENDS:
        log.warning("PUBLISH_TEST_KILL_AFTER_SENDS: killing this worker after X accepted")
        os.kill(os.getpid(), signal.SIGKILL)


def _store(reply: Reply, token: str, x_id: int, *, reconciled: bool) -> None:
    """X has the answer: keep its id — whoever holds the claim now, it is the truth about
    X — with the outbound message, the response time and the prospect's interaction, in
    one transaction."""
    now = timezone.now()
    done = {"state": State.SENT, "sent_at": now, "reconciled": reconciled, "error": ""}
    with transaction.atomic():
        if reply.kind == Reply.Kind.LIKE:
            if (
                Reply.objects.filter(pk=reply.pk)
                .exclude(state=State.SENT)
                .update(claim_token="", **done)
            ):
                _sent_event(reply, Event.Action.LIKED, "On X", now)
            return
        if reply.kind == Reply.Kind.DM:
            stored = Reply.objects.filter(pk=reply.pk, dm_event_id="").update(
                dm_event_id=str(x_id), claim_token="", **done
            )
        else:
            stored = Reply.objects.filter(pk=reply.pk, x_post_id=None).update(
                x_post_id=x_id, claim_token="", **done
            )
        if not stored:
            return
        conversation = Conversation.objects.select_for_update().get(pk=reply.conversation_id)
        if reply.kind == Reply.Kind.DM:
            _dm_store(conversation, reply, x_id, now)
        else:
            Message.objects.create(
                conversation=conversation,
                direction=Message.Direction.OUTBOUND,
                kind=reply.in_reply_to.kind,
                x_post_id=x_id,
                sent_by=reply.author,
                text=reply.text,
                at=now,
            )
            response_record(conversation=conversation, responder=reply.author, at=now)
            signals.interaction(
                x_user_id=reply.in_reply_to.author_id,
                kind="our_reply",
                occurred_at=now,
                ref=f"tweet:{x_id}",
                text=reply.text,
                actor=reply.author,
                tweet_id=x_id,
            )
        _sent_event(
            reply,
            Event.Action.RECONCILED if reconciled else Event.Action.REPLY_SENT,
            f"Already on X ({x_id}): kept, not sent again" if reconciled else f"On X: {x_id}",
            now,
        )


def _sent_event(reply: Reply, action: str, detail: str, at) -> None:
    Event.objects.create(
        conversation_id=reply.conversation_id,
        action=action,
        actor=reply.author,
        detail=detail,
        at=at,
    )


def x_time(snowflake: int, *, default: datetime) -> datetime:
    """When X made the id (its snowflake's time): our DM on X's clock, the clock its
    neighbours in the conversation carry (a wrong order would take their answer for
    history). `default` when the id is not a plausible snowflake."""
    at = datetime.fromtimestamp(((snowflake >> 22) + X_EPOCH_MS) / 1000, tz=UTC)
    if abs((at - default).total_seconds()) > 86400:
        return default
    return at


def _dm_store(conversation: Conversation, reply: Reply, event_id: int, now) -> None:
    """Our DM as a message of the conversation. Ingestion may have read it back first
    (it holds the same lock): then that message becomes ours, and the wait it ended
    gets its responder."""
    read_back = Message.objects.filter(dm_event_id=str(event_id)).first()
    recipient = (
        conversation.author_id
        if conversation.kind == Conversation.Kind.DM
        else reply.in_reply_to.author_id
    )
    if read_back is not None:
        Message.objects.filter(pk=read_back.pk).update(sent_by=reply.author)
        ResponseTime.objects.filter(
            conversation_id=read_back.conversation_id, answered_at=read_back.at, responder=None
        ).update(responder=reply.author)
        at = read_back.at
    else:
        at = x_time(event_id, default=now)
        Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            kind=MessageKind.DM,
            dm_event_id=str(event_id),
            author_id=conversation.account.x_user_id,
            sent_by=reply.author,
            text=reply.text,
            at=at,
        )
        response_record(conversation=conversation, responder=reply.author, at=at)
    signals.interaction(
        x_user_id=recipient,
        kind="dm_sent",
        occurred_at=at,
        ref=f"dm:{event_id}",
        text=reply.text,
        actor=reply.author,
    )


def response_record(*, conversation: Conversation, responder: User | None, at) -> None:
    """A person answered: the running wait ends (the first response, or a next one);
    the conversation waits on them. Call with the conversation locked."""
    fields = ["last_message_at", "status", "awaiting_since", "version", "updated_at"]
    if conversation.awaiting_since is not None:
        first = conversation.first_response_at is None
        kind = ResponseTime.Kind.FIRST if first else ResponseTime.Kind.NEXT
        seconds = int(max(0, (at - conversation.awaiting_since).total_seconds()))
        business, within = sla.response_measure(
            conversation, kind=kind, started_at=conversation.awaiting_since, at=at
        )
        ResponseTime.objects.create(
            conversation=conversation,
            kind=kind,
            started_at=conversation.awaiting_since,
            answered_at=at,
            seconds=seconds,
            business_seconds=business,
            within_sla=within,
            responder=responder,
            department_id=conversation.department_id,
        )
        if first:
            conversation.first_response_at = at
            conversation.first_response_seconds = seconds
            conversation.first_response_business_seconds = business
            fields += [
                "first_response_at",
                "first_response_seconds",
                "first_response_business_seconds",
            ]
    conversation.awaiting_since = None
    conversation.last_message_at = at
    if conversation.status == Status.OPEN:
        conversation.status = Status.WAITING
    conversation.version = F("version") + 1
    conversation.save(update_fields=fields)
    # The answer and its response time count in the inbox metrics; the clocks move on.
    sla.inbox_mark(at)
    sla.clock_refresh(conversation, now=at)


def _back(reply: Reply, token: str, error: str) -> None:
    Reply.objects.filter(pk=reply.pk, state=State.SENDING, claim_token=token).update(
        state=State.QUEUED, claim_token="", error=error[:1000]
    )


def _fail(reply: Reply, token: str, error: str) -> None:
    with transaction.atomic():
        failed = Reply.objects.filter(pk=reply.pk, state=State.SENDING, claim_token=token).update(
            state=State.FAILED, error=error[:2000], claim_token=""
        )
        if failed:
            Event.objects.create(
                conversation_id=reply.conversation_id,
                action=Event.Action.REPLY_FAILED,
                actor=reply.author,
                detail=f"X refused the reply: {error}"[:500],
                at=timezone.now(),
            )


def reply_give_up(*, reply_id: int, error: str) -> None:
    reply = Reply.objects.get(pk=reply_id)
    token = _claim(reply_id)
    if token is not None:
        _fail(reply, token, f"{error} (gave up after retrying)")


def replies_stale_reclaim(*, now=None) -> list[int]:
    """Replies whose worker died while sending: back in the queue, checked on X first."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUBLISH_CLAIM_TIMEOUT)
    stale = list(
        Reply.objects.filter(state=State.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    requeued = []
    for pk in stale:
        if Reply.objects.filter(pk=pk, state=State.SENDING, claimed_at__lt=cutoff).update(
            state=State.QUEUED, claim_token=""
        ):
            requeued.append(pk)
            transaction.on_commit(lambda pk=pk: _queue(pk), robust=True)
    return requeued
