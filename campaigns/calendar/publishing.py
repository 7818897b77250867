"""Publishing scheduled posts to X, exactly once.

The post's row is the record of intent; nothing reaches X that the row does not say is
being sent, and nothing is sent twice:

1. `posts_due_claim` moves due SCHEDULED posts to PUBLISHING with a fresh claim token and
   claimed_at, in one transaction, before anything is sent. The UPDATE is conditional on
   status='scheduled', so two beats can never both claim a post; on PostgreSQL the
   candidates are also read FOR UPDATE SKIP LOCKED, so two beats take disjoint posts
   without waiting on each other (SQLite's IMMEDIATE transactions serialise them).
2. `post_publish` (the publish_post task) sends the parts in order — the post itself, then
   each PostPart as a reply to the part before — and stores each part's X id in its own
   transaction as soon as X answers. A crash mid-thread resumes at the first part
   without an id.
3. Before each send the claim is checked and renewed (claimed_at = now). A send is
   bounded by the client's timeouts, far inside PUBLISH_CLAIM_TIMEOUT, so a live sender
   never has its claim taken over.
4. A claim older than PUBLISH_CLAIM_TIMEOUT belongs to a worker that died, possibly after
   X accepted a part and before its id was stored. `posts_stale_reclaim` claims it anew,
   and that attempt — like every attempt after a post's first, since an earlier one may
   have reached X before it failed (a timeout after X accepted) — first reads the
   account's own posts since the post was first claimed and adopts the one that matches
   the part (its text, and the post it replies to) instead of sending it again
   (RECONCILED). X ids are unique in our tables, so one X post is adopted once.
5. Outcomes, each with a PostEvent: all parts sent → PUBLISHED; a 429 → back to SCHEDULED
   at X's reset (never sleeping in a worker); 5xx or a timeout → the task retries with
   backoff, still holding the claim, and PUBLISHED or FAILED after
   PUBLISH_MAX_RETRIES; X refusing the post (too long, duplicate content, …) → FAILED
   with X's message; 401 → one token refresh, then FAILED "account needs reconnection".
   A 429 sets scheduled_at to X's reset (the time the post will really go out).

Replies go out with in_reply_to, quotes with quote_tweet_id. A repost (no text of its
own) goes out through X's POST /2/users/:id/retweets and stores the repost's own id as
the post's X id. Reconciling a repost needs no text: the account's own posts since the
first claim show a repost of the target (a post that references it as "retweeted").
X keeps one repost per account and post, so even a send the reconciliation missed
cannot repost twice; it gives back the repost that is there.

Tests can make a worker SIGKILL itself right after X accepted a part
(PUBLISH_TEST_KILL_AFTER_SENDS, honoured only with SOCIALOPS_TESTING): the crash that
step 4 exists for.
"""

from __future__ import annotations

import html
import logging
import os
import re
import signal
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Min, OuterRef
from django.utils import timezone

from campaigns.calendar import permissions as post_perms
from campaigns.calendar.services import post_links_track
from campaigns.models import PostEvent, PostPart, ScheduledPost
from listening import client as x
from listening.models import XAccount
from socialops.marks import Family, mark
from socialops.models import User
from socialops.permissions import require
from socialops.services import instance_save, snapshot
from socialops.webhooks.services import event_emit

log = logging.getLogger(__name__)

Status = ScheduledPost.Status
Kind = ScheduledPost.Kind
Action = PostEvent.Action

# X's snowflake epoch: an id is (ms since it) << 22, so a time gives the lowest id a post
# created then can have — a since_id that reads only what came after.
X_EPOCH_MS = 1288834974657
URL_RE = re.compile(r"https?://\S+")
RECONCILE_PAGES = 5  # 500 own posts since the first claim: more than an account posts

NEEDS_RECONNECTION = "X refused the account's token: the account needs reconnection."


# --- Who may -------------------------------------------------------------------------


def can_publish(user: User, post: ScheduledPost) -> bool:
    """Editors (leads, members) of the post's department and admins send or retry it."""
    return post_perms.can_edit_posts(user, post.department)


# --- The people's use cases ------------------------------------------------------------


def post_publish_retry(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """A failed post goes back on the schedule: due now, or at its time if that is still
    ahead. Attempts are kept, and the next attempt checks X first: a failure after a
    timeout may have reached X."""
    require(can_publish(actor, post), "You cannot retry this post.")
    with transaction.atomic():
        post = ScheduledPost.objects.select_for_update().get(pk=post.pk)
        if post.status != Status.FAILED:
            raise ValidationError({"status": "Only a failed post can be retried."})
        before = snapshot(post)
        now = timezone.now()
        if post.scheduled_at is None or post.scheduled_at < now:
            post.scheduled_at = now
        post.status = Status.SCHEDULED
        post.error = ""
        post.claim_token = ""
        post.claimed_at = None
        instance_save(actor=actor, instance=post, before=before, department=post.department)
        PostEvent.objects.create(post=post, action=Action.RETRIED, actor=actor, at=now)
        transaction.on_commit(_tick, robust=True)
    return post


def post_publish_now(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """An approved or scheduled post becomes due now and is sent at once (the claim in
    the publish_due tick queued on commit, so it is sent exactly like any due post)."""
    require(can_publish(actor, post), "You cannot publish this post.")
    with transaction.atomic():
        post = ScheduledPost.objects.select_for_update().get(pk=post.pk)
        if post.status not in (Status.APPROVED, Status.SCHEDULED):
            raise ValidationError({"status": "Only an approved or scheduled post can be sent."})
        before = snapshot(post)
        now = timezone.now()
        # An approved post skips post_schedule: its links become tracked ones here (a
        # scheduled post's already are; doing it twice changes nothing).
        post_links_track(actor=actor, post=post)
        post.scheduled_at = now
        post.status = Status.SCHEDULED
        instance_save(actor=actor, instance=post, before=before, department=post.department)
        PostEvent.objects.create(
            post=post, action=Action.SCHEDULED, actor=actor, at=now, note="Send now"
        )
        transaction.on_commit(_tick, robust=True)
    return post


def _tick() -> None:
    """Queue a publish_due at once instead of waiting for beat (a broker that is away
    only delays the post to the next beat). Queued by name: the task module imports this
    one."""
    current_app.send_task("campaigns.publish_due", queue=settings.PUBLISH_QUEUE)


# --- Claims ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    post_id: int
    claim_token: str


def _candidates(queryset, limit: int) -> list[int]:
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset.order_by("scheduled_at", "pk").values_list("pk", flat=True)[:limit])


def posts_due_claim(*, now: datetime | None = None, limit: int | None = None) -> list[Claim]:
    """Claim the due SCHEDULED posts (at most `limit`): each becomes PUBLISHING with its
    own claim token, and the CLAIMED event says so, before anything is sent."""
    now = now or timezone.now()
    limit = limit or settings.PUBLISH_BATCH
    claims: list[Claim] = []
    with transaction.atomic():
        due = ScheduledPost.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now)
        for pk in _candidates(due, limit):
            token = uuid.uuid4().hex
            claimed = ScheduledPost.objects.filter(pk=pk, status=Status.SCHEDULED).update(
                status=Status.PUBLISHING,
                claim_token=token,
                claimed_at=now,
                attempts=F("attempts") + 1,
                error="",
            )
            if claimed:
                claims.append(Claim(pk, token))
        PostEvent.objects.bulk_create(
            [PostEvent(post_id=c.post_id, action=Action.CLAIMED, at=now) for c in claims]
        )
    return claims


def posts_stale_reclaim(*, now: datetime | None = None, limit: int | None = None) -> list[Claim]:
    """Claim anew the PUBLISHING posts whose claim is older than PUBLISH_CLAIM_TIMEOUT:
    their worker died (or its task was lost). The new attempt checks X before sending.
    A post whose claims keep dying (PUBLISH_MAX_ATTEMPTS) is failed for a person instead."""
    now = now or timezone.now()
    limit = limit or settings.PUBLISH_BATCH
    cutoff = now - timedelta(seconds=settings.PUBLISH_CLAIM_TIMEOUT)
    claims: list[Claim] = []
    events: list[PostEvent] = []
    with transaction.atomic():
        stale = ScheduledPost.objects.filter(status=Status.PUBLISHING, claimed_at__lt=cutoff)
        for pk in _candidates(stale, limit):
            row = ScheduledPost.objects.filter(pk=pk).values("claim_token", "attempts").get()
            same_claim = ScheduledPost.objects.filter(
                pk=pk,
                status=Status.PUBLISHING,
                claim_token=row["claim_token"],
                claimed_at__lt=cutoff,
            )
            if row["attempts"] >= settings.PUBLISH_MAX_ATTEMPTS:
                error = (
                    f"Gave up after {row['attempts']} attempts whose workers stopped "
                    "answering. Retry to check X and send what is missing."
                )
                if same_claim.update(status=Status.FAILED, error=error):
                    events.append(PostEvent(post_id=pk, action=Action.FAILED, at=now, note=error))
                    _post_event_emit("post.failed", pk)
                continue
            token = uuid.uuid4().hex
            if same_claim.update(
                claim_token=token, claimed_at=now, attempts=F("attempts") + 1, error=""
            ):
                claims.append(Claim(pk, token))
                events.append(
                    PostEvent(
                        post_id=pk,
                        action=Action.CLAIMED,
                        at=now,
                        note="The last attempt stopped answering: checking X before sending.",
                    )
                )
        PostEvent.objects.bulk_create(events)
    return claims


# --- Sending --------------------------------------------------------------------------


class Outcome:
    PUBLISHED = "published"
    RATE_LIMITED = "rate_limited"
    FAILED = "failed"
    STALE = "stale"  # the claim is no longer ours: another attempt owns the post


class _ClaimLost(Exception):
    pass


@dataclass
class _Part:
    position: int  # 0 is the post itself
    text: str
    x_post_id: int | None
    part_pk: int | None = None


_sent_in_process = 0


def post_publish(*, post_id: int, claim_token: str, check_x: bool = False) -> str:
    """Send a claimed post (see the module's steps). `check_x`: an earlier try of this
    claim may have reached X (the task's retries), so look on X before sending. Returns
    an Outcome; raises x.Transient for the task to retry (the claim is kept, renewed)."""
    lease = _Lease(post_id, claim_token)
    try:
        lease.renew()
    except _ClaimLost:
        return Outcome.STALE
    post = ScheduledPost.objects.select_related("account").get(pk=post_id)
    check_x = check_x or post.attempts > 1
    try:
        # A refused token is refreshed once and the post sent from where it was (a 401
        # means X took nothing, and stored ids are not sent again).
        published = x.with_fresh_token(
            post.account, lambda client: _send(post, client, lease, check_x=check_x)
        )
    except _ClaimLost:
        return Outcome.STALE
    except x.RateLimited as exc:
        _release(post, claim_token, exc.reset_at, str(exc))
        return Outcome.RATE_LIMITED
    except x.AuthRevoked as exc:
        XAccount.objects.filter(pk=post.account_id).update(
            status=XAccount.Status.NEEDS_RECONNECTION, last_error=str(exc)[:1000]
        )
        _fail(post.pk, claim_token, NEEDS_RECONNECTION)
        return Outcome.FAILED
    except x.Permanent as exc:
        _fail(post.pk, claim_token, str(exc))
        return Outcome.FAILED
    except x.Transient as exc:
        _note_transient(post.pk, claim_token, str(exc))
        raise
    return Outcome.PUBLISHED if published else Outcome.STALE


def post_publish_give_up(*, post_id: int, claim_token: str, error: str) -> bool:
    """X kept failing transiently: FAILED with the last error (a retry checks X first, as
    a timeout may have hidden a post X did take)."""
    return _fail(post_id, claim_token, f"{error} (gave up after retrying)")


def _parts(post: ScheduledPost) -> list[_Part]:
    parts = [_Part(0, post.text, post.x_post_id)]
    if post.kind != Kind.THREAD:  # only threads have further parts
        return parts
    later = post.parts.order_by("position")
    return parts + [_Part(p.position, p.text, p.x_post_id, p.pk) for p in later]


def _refusal(post: ScheduledPost, client: x.XClient) -> str:
    """Why this post cannot be sent at all, or ''."""
    if post.kind in (Kind.REPLY, Kind.QUOTE, Kind.REPOST) and not post.target_x_id:
        return f"A {post.get_kind_display().lower()} needs the X post it refers to."
    if post.kind != Kind.REPOST and not post.text.strip():
        return "The post has no text."  # a repost has none of its own
    return ""


def _send(post: ScheduledPost, client: x.XClient, lease: _Lease, *, check_x: bool) -> bool:
    """Send what X does not have yet; True once the post is published."""
    refusal = _refusal(post, client)
    if refusal:
        raise x.Permanent(refusal)
    if post.kind == Kind.REPOST:
        return _send_repost(post, client, lease, check_x=check_x)
    parent = post.target_x_id if post.kind == Kind.REPLY else None
    found: list[x.TweetRecord] | None = None
    parts = _parts(post)
    for part in parts:
        last = part is parts[-1]
        if part.x_post_id:
            parent = part.x_post_id
            continue
        if check_x:
            if found is None:
                found = _own_posts_since(client, post)
            match = _match(found, part, parent, quote=post.kind == Kind.QUOTE)
            if match is not None:
                if _store(post, part, match.id, reconciled=True, finish=last):
                    return True
                parent = match.id
                continue
            # Later parts reply to this one, which X does not have: none can be there.
            check_x = False
        lease.ensure()
        try:
            if post.kind == Kind.QUOTE and part.position == 0:
                x_id = client.create_post(part.text, quote_tweet_id=post.target_x_id)
            else:
                x_id = client.create_post(part.text, in_reply_to=parent)
        except x.Permanent as exc:
            if part.position == 0:
                raise
            raise x.Permanent(f"{_part_name(part)} of {len(parts)}: {exc}") from exc
        _test_kill_hook()
        if _store(post, part, x_id, reconciled=False, finish=last):
            return True
        parent = x_id
    return _finish(post.pk)  # every part had its id already (or another attempt finished)


def _send_repost(post: ScheduledPost, client: x.XClient, lease: _Lease, *, check_x: bool) -> bool:
    """Repost the target unless the account's recent posts show it did already; True once
    the post is published with the repost's id."""
    part = _Part(0, "", post.x_post_id)
    if part.x_post_id:
        return _finish(post.pk)
    if check_x and (found := _repost_on_x(client, post)) is not None:
        return _store(post, part, found, reconciled=True, finish=True)
    lease.ensure()
    x_id = client.repost(post.target_x_id)
    _test_kill_hook()
    if x_id is None:
        # X said yes without naming the repost: it is among the account's posts.
        x_id = _repost_on_x(client, post)
        if x_id is None:
            # The retry checks X first, so this cannot repost twice.
            raise x.Transient("X took the repost but did not give its id; looking again")
    elif ScheduledPost.objects.filter(x_post_id=x_id).exclude(pk=post.pk).exists():
        # X answers a second repost of the same post with the first one's id.
        raise x.Permanent(
            f"The account had already reposted X post {post.target_x_id} "
            f"(repost {x_id}, another post on the calendar)."
        )
    return _store(post, part, x_id, reconciled=False, finish=True)


def _test_kill_hook() -> None:
    global _sent_in_process
    if not settings.PUBLISH_TEST_KILL_AFTER_SENDS:
        return
    _sent_in_process += 1
    if _sent_in_process >= settings.PUBLISH_TEST_KILL_AFTER_SENDS:
        log.warning("PUBLISH_TEST_KILL_AFTER_SENDS: killing this worker after X accepted")
        os.kill(os.getpid(), signal.SIGKILL)


class _Lease:
    """The claim, renewed (claimed_at = now) before a send: a check that it is still ours,
    and the start of PUBLISH_CLAIM_TIMEOUT again. A renewal a moment old is as good."""

    def __init__(self, post_id: int, claim_token: str) -> None:
        self.post_id, self.claim_token = post_id, claim_token
        self.renewed_at = float("-inf")

    def renew(self) -> None:
        renewed = ScheduledPost.objects.filter(
            pk=self.post_id, status=Status.PUBLISHING, claim_token=self.claim_token
        ).update(claimed_at=timezone.now())
        if not renewed:
            raise _ClaimLost
        self.renewed_at = time.monotonic()

    def ensure(self) -> None:
        fresh_for = min(5.0, settings.PUBLISH_CLAIM_TIMEOUT / 4)
        if time.monotonic() - self.renewed_at > fresh_for:
            self.renew()


def _store(post: ScheduledPost, part: _Part, x_id: int, *, reconciled: bool, finish: bool) -> bool:
    """X has the part: keep its id at once, whoever holds the claim now — it is the truth
    about X, and the only thing that stops it being sent again. With the last part, the
    post is published in the same transaction. True when it was."""
    now = timezone.now()
    with transaction.atomic():
        if part.position == 0:
            # The post's X id joins our posts' X metrics to it (metrics.facts.posts).
            mark(Family.POSTS, [now])
            unstored = ScheduledPost.objects.filter(pk=post.pk, x_post_id__isnull=True)
            post.x_post_id, post.published_at = x_id, now
            # A single post: its id stored and the post published in one statement.
            if (
                finish
                and not reconciled
                and unstored.filter(status=Status.PUBLISHING).update(
                    x_post_id=x_id, published_at=now, status=Status.PUBLISHED, error=""
                )
            ):
                PostEvent.objects.create(post=post, action=Action.PUBLISHED, at=now)
                _post_event_emit("post.published", post.pk)
                return True
            unstored.update(x_post_id=x_id, published_at=now)
        else:
            PostPart.objects.filter(pk=part.part_pk, x_post_id__isnull=True).update(
                x_post_id=x_id, published_at=now
            )
        if reconciled:
            PostEvent.objects.create(
                post=post,
                action=Action.RECONCILED,
                at=now,
                note=_part_name(part) + f" was already on X ({x_id}): kept, not sent again.",
            )
        part.x_post_id = x_id
        return _mark_published(post.pk, now=now) if finish else False


def _part_name(part: _Part) -> str:
    return "The post" if part.position == 0 else f"Part {part.position + 1}"


def _finish(post_id: int) -> bool:
    with transaction.atomic():
        return _mark_published(post_id, now=timezone.now())


def _mark_published(post_id: int, *, now: datetime) -> bool:
    """In the caller's transaction. Whoever holds the claim: once every part has its X id,
    the post is published."""
    done = (
        ScheduledPost.objects.filter(pk=post_id, status=Status.PUBLISHING, x_post_id__isnull=False)
        .exclude(Exists(PostPart.objects.filter(post=OuterRef("pk"), x_post_id__isnull=True)))
        .update(status=Status.PUBLISHED, error="")
    )
    if done:
        PostEvent.objects.create(post_id=post_id, action=Action.PUBLISHED, at=now)
        _post_event_emit("post.published", post_id)
        published_at = (
            ScheduledPost.objects.filter(pk=post_id).values_list("published_at", flat=True).get()
        )
        mark(Family.POSTS, [published_at])
    return bool(done)


def _release(post: ScheduledPost, claim_token: str, reset_at: datetime, message: str) -> None:
    """429: back on the schedule at X's reset; the next claim goes on where this one
    stopped (ids already stored are not sent again)."""
    now = timezone.now()
    next_at = max(reset_at, post.scheduled_at) if post.scheduled_at else reset_at
    with transaction.atomic():
        moved = ScheduledPost.objects.filter(
            pk=post.pk, status=Status.PUBLISHING, claim_token=claim_token
        ).update(
            status=Status.SCHEDULED,
            claim_token="",
            claimed_at=None,
            scheduled_at=next_at,
            error=message[:1000],
        )
        if moved:
            PostEvent.objects.create(
                post_id=post.pk,
                action=Action.RESCHEDULED,
                at=now,
                note=f"X's rate limit: next attempt at {next_at:%H:%M:%S} UTC ({message})",
            )


def _fail(post_id: int, claim_token: str, error: str) -> bool:
    now = timezone.now()
    with transaction.atomic():
        failed = ScheduledPost.objects.filter(
            pk=post_id, status=Status.PUBLISHING, claim_token=claim_token
        ).update(status=Status.FAILED, error=error[:2000])
        if failed:
            PostEvent.objects.create(post_id=post_id, action=Action.FAILED, at=now, note=error)
            _post_event_emit("post.failed", post_id)
    return bool(failed)


def _post_event_emit(event_type: str, post_id: int) -> None:
    """In the caller's transaction: the webhook event, the post as the API shows it."""
    post = ScheduledPost.objects.select_related("account", "department", "campaign").get(pk=post_id)
    event_emit(
        event_type, instance=post, serializer="campaigns.calendar.api.ScheduledPostSerializer"
    )


def _note_transient(post_id: int, claim_token: str, error: str) -> None:
    """Keep the claim (X may have taken the part: the retry checks first) and renew it, so
    the retry, not the reconciler, goes on."""
    now = timezone.now()
    with transaction.atomic():
        kept = ScheduledPost.objects.filter(
            pk=post_id, status=Status.PUBLISHING, claim_token=claim_token
        ).update(claimed_at=now, error=error[:1000])
        if kept:
            PostEvent.objects.create(
                post_id=post_id,
                action=Action.RESCHEDULED,
                at=now,
                note=f"{error}: trying again shortly.",
            )


# --- Reconciling with X ---------------------------------------------------------------


def _own_posts_since(client: x.XClient, post: ScheduledPost) -> list[x.TweetRecord]:
    """The account's posts since this post was first claimed (less the skew), that no post
    of ours has already adopted."""
    first_claim = (
        PostEvent.objects.filter(post=post, action=Action.CLAIMED).aggregate(at=Min("at"))["at"]
        or post.claimed_at
        or timezone.now()
    )
    since = first_claim - timedelta(seconds=settings.PUBLISH_RECONCILE_SKEW)
    since_ms = int(since.timestamp() * 1000)
    since_id = max(since_ms - X_EPOCH_MS, 0) << 22
    user_id = post.account.x_user_id or client.me().id
    records: list[x.TweetRecord] = []
    token = None
    for _page in range(RECONCILE_PAGES):
        page = client.own_posts_page(user_id, since_id=since_id, pagination_token=token)
        records += [t for t in page.tweets if t.created_at is None or t.created_at >= since]
        token = page.next_token
        if not token:
            break
    ids = [t.id for t in records]
    taken = set(ScheduledPost.objects.filter(x_post_id__in=ids).values_list("x_post_id", flat=True))
    taken |= set(PostPart.objects.filter(x_post_id__in=ids).values_list("x_post_id", flat=True))
    return [t for t in records if t.id not in taken]


def _repost_on_x(client: x.XClient, post: ScheduledPost) -> int | None:
    """The id of the account's repost of the post's target since the first claim, if
    one is there that no post of ours has adopted."""
    target = str(post.target_x_id)
    for record in reversed(_own_posts_since(client, post)):  # oldest first
        refs = record.raw.get("referenced_tweets") or []
        if any(r.get("type") == "retweeted" and str(r.get("id")) == target for r in refs):
            return record.id
    return None


def _normal(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _expanded(record: x.TweetRecord) -> str:
    """The text as we sent it: X turns links into t.co links and says which was which."""
    text = record.text
    for url in (record.raw.get("entities") or {}).get("urls") or []:
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    return text


def _same_text(record: x.TweetRecord, text: str) -> bool:
    wanted = _normal(text)
    if _normal(_expanded(record)) == wanted:
        return True
    # Links X rewrote without saying how: compare the rest.
    return URL_RE.sub("<link>", _normal(record.text)) == URL_RE.sub("<link>", wanted)


def _match(
    found: list[x.TweetRecord], part: _Part, parent: int | None, *, quote: bool
) -> x.TweetRecord | None:
    for record in reversed(found):  # oldest first: the earliest copy is the one we sent
        if record.in_reply_to_tweet_id != parent or record.is_retweet:
            continue
        if quote and part.position == 0:
            refs = record.raw.get("referenced_tweets") or []
            if not any(r.get("type") == "quoted" for r in refs):
                continue
        if _same_text(record, part.text):
            found.remove(record)
            return record
    return None
