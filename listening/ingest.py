"""Ingestion: one run of a source, page by page, from X into the database.

A run:
1. claims the source with a lease (a conditional UPDATE), so only one run reads it at a
   time; a run whose worker died loses the lease when it expires, and the next run
   resumes where the dead one last committed;
2. asks X for one page at a time with X's `since_id` rule (keep the same since_id while
   following next_token; the next since_id is the first page's newest_id); a list,
   whose timeline takes no since_id, in small pages that stop at the first post it has
   (list_page_sizes);
3. writes each page in one transaction: users and posts upserted by X id (metrics
   updated on conflict), the source's stream, new inbox items, the run's counters, what
   X bills for the page (listening.billing) and the cursor that covers exactly those
   rows — all or nothing;
4. on a 429 reschedules the source for X's reset time instead of sleeping; on a 401
   marks the account as needing reconnection; on 5xx or a timeout gives up the lease and
   lets the task retry with backoff.

Re-running a finished run reads from the stored since_id, so nothing is read or written
twice; rows are keyed by X's ids, so a page replayed after a crash changes nothing.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from operator import attrgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from listening import billing, selectors
from listening import client as x
from listening.columns import (
    PRIVATE_METRICS,
    TWEET_FIELDS,
    TWEET_INDEX,
    TWEET_UPDATE_FIELDS,
    USER_FIELDS,
    USER_INDEX,
    USER_UPDATE_FIELDS,
    tweet_line,
    tweet_row,
    user_row,
)
from listening.inbox import services as inbox
from listening.models import (
    DirectMessage,
    FollowerCount,
    Source,
    SourceRun,
    SourceTweet,
    Tweet,
    XAccount,
    XUser,
)
from listening.upsert import (
    adapt_json,
    copy_into,
    copy_line,
    staging,
    upsert,
    upsert_sql,
)
from socialops.marks import Family, mark

log = logging.getLogger(__name__)


def lease() -> timedelta:
    """How long a run may go without committing a page before others may take over."""
    return timedelta(seconds=settings.X_SOURCE_LEASE_SECONDS)


OWN_POSTS_WINDOW = timedelta(days=30)  # X gives non-public metrics for 30 days only
MAX_PAGES_FIRST_LIST_RUN = 8  # a list's history can be long; 800 posts is plenty to start
LIST_PAGE_MAX = 100  # X's largest max_results for a list timeline
MENTIONS_REACH = 800  # X returns a user's latest 800 mentions, no more


class LeaseLost(Exception):
    """Another run took the source over (this one outlived its lease)."""


PAUSED = "paused"  # RunResult.status of a run refused: the account is paused at its budget


@dataclass
class RunResult:
    status: str
    pages: int = 0
    posts_read: int = 0
    posts_new: int = 0
    error: str = ""


# --- The lease ------------------------------------------------------------------------


def source_claim(*, source_id: int, now: datetime | None = None) -> str | None:
    """Take the source's lease; None when a live run holds it."""
    now = now or timezone.now()
    token = str(uuid.uuid4())
    claimed = Source.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=source_id
    ).update(lease_token=token, lease_until=now + lease())
    return token if claimed else None


def source_release(*, source_id: int, token: str, **fields) -> None:
    Source.objects.filter(pk=source_id, lease_token=token).update(
        lease_token="", lease_until=None, **fields
    )


# --- Writing a page -------------------------------------------------------------------


# How many users a run remembers having stored (about 100 bytes each).
USERS_REMEMBERED = 50_000

# Ingestion works on records' fields in order (x.tweet_values, x.user_values): a record
# costs more to build than its row does to write.
_tweet_values = attrgetter(*(f.name for f in fields(x.TweetRecord)))
_user_values = attrgetter(*(f.name for f in fields(x.UserRecord)))
_ID, _AUTHOR = TWEET_INDEX["id"], TWEET_INDEX["author_id"]
_CREATED, _USER_ID = TWEET_INDEX["created_at"], USER_INDEX["id"]
_USER_RAW = USER_INDEX["raw"]


def store_posts(
    *,
    tweets: list[x.TweetRecord],
    users: list[x.UserRecord],
    now: datetime,
    source: Source | None = None,
    keep_metrics_from_public: bool = False,
) -> set[int]:
    """Upsert users and posts by X id; link them to the source. Returns the ids of posts
    stored for the first time. Call inside a transaction."""
    return _store(
        tweets=[_tweet_values(t) for t in tweets],
        users=[_user_values(u) for u in users],
        now=now,
        source=source,
        keep_metrics_from_public=keep_metrics_from_public,
    )


def _store(
    *,
    tweets: list[tuple],
    users: list[tuple],
    now: datetime,
    source: Source | None = None,
    keep_metrics_from_public: bool = False,
    users_stored: dict[int, int] | None = None,
) -> set[int]:
    """store_posts for records' values (x.tweet_values, x.user_values).

    `users_stored`: the users this run has stored (id → hash of their raw JSON), kept up
    to date here as transactions commit. A user X sends again exactly as stored is not
    written again — the database would skip the row anyway (unchanged raw), after the
    cost of sending and matching it: a backlog meets the same authors page after page.
    (A hash collision would only leave a profile change for the next run.)"""
    adapt = connection.ops.adapt_datetimefield_value
    postgresql = connection.vendor == "postgresql"
    # Formatted once for every row (COPY takes text; SQLite's adapter makes text too).
    row_now = now.isoformat() if postgresql else adapt(now)
    # With their raw JSON.
    users_by_id = {v[_USER_ID]: (v, adapt_json(v[_USER_RAW])) for v in users}
    posts = list({v[_ID]: v for v in tweets}.values())
    # A post whose author X did not include still needs an author row to join on.
    # (Author 0 stands for "X did not say": old payloads without author_id.)
    missing = {v[_AUTHOR] or 0 for v in posts} - users_by_id.keys()
    if users_stored is not None:
        users_by_id = {
            pk: (v, raw)
            for pk, (v, raw) in users_by_id.items()
            if users_stored.get(pk) != hash(raw)
        }
        written = {pk: hash(raw) for pk, (_v, raw) in users_by_id.items()}
        transaction.on_commit(lambda: _remember(users_stored, written))
    user_rows = [user_row(v, raw, row_now, adapt) for v, raw in users_by_id.values()]
    update = TWEET_UPDATE_FIELDS
    if keep_metrics_from_public:
        # Read without user auth: X sent no private metrics; keep the ones we have.
        update = [f for f in TWEET_UPDATE_FIELDS if f not in PRIVATE_METRICS]
    store = _store_postgresql if postgresql else _store_rows
    new_ids = store(user_rows, posts, update=update, source=source, now=now, row_now=row_now)
    if missing:
        stubs = [
            user_row(_user_values(x.UserRecord(id=pk, username="")), "{}", row_now, adapt)
            for pk in missing
        ]
        upsert(XUser, USER_FIELDS, stubs, conflict=["id"])
    _mark_own_posts(posts)
    return new_ids


def _mark_own_posts(posts: list[tuple]) -> None:
    """Our own accounts' posts (new, or with new X metrics) count in the metrics on the
    day X says they were posted: mark those days. Others' posts count nowhere."""
    if not posts:
        return
    ours = set(XAccount.objects.exclude(x_user_id=None).values_list("x_user_id", flat=True))
    mark(Family.POSTS, [v[_CREATED] for v in posts if v[_AUTHOR] in ours])


def _remember(users_stored: dict[int, int], written: dict[int, int]) -> None:
    if len(users_stored) + len(written) > USERS_REMEMBERED:
        users_stored.clear()
    users_stored.update(written)


def _store_rows(
    user_rows: list[tuple],
    posts: list[tuple],
    *,
    update: list[str],
    source: Source | None,
    now: datetime,
    row_now,
) -> set[int]:
    """Any database: one upsert per table, and a query for the posts we already had."""
    upsert(
        XUser, USER_FIELDS, user_rows, conflict=["id"], update=USER_UPDATE_FIELDS, unless_same="raw"
    )
    if not posts:
        return set()
    adapt = connection.ops.adapt_datetimefield_value
    ids = [v[_ID] for v in posts]
    existing = set(Tweet.objects.filter(pk__in=ids).values_list("pk", flat=True))
    rows = [tweet_row(v, row_now, adapt) for v in posts]
    upsert(Tweet, TWEET_FIELDS, rows, conflict=["id"], update=update, unless_same="raw")
    if source is not None:
        upsert(
            SourceTweet,
            ["source_id", "tweet_id", "seen_at"],
            [(source.pk, pk, row_now) for pk in ids],
            conflict=["source_id", "tweet_id"],
        )
    return set(ids) - existing


def _store_postgresql(
    user_rows: list[tuple],
    posts: list[tuple],
    *,
    update: list[str],
    source: Source | None,
    now: datetime,
    row_now: str,
) -> set[int]:
    """PostgreSQL: users and posts go by COPY into staging tables; then one round trip
    upserts both, links the posts to the source (from the same staging table) and
    returns the posts inserted rather than updated (xmax is 0 only on a new row)."""
    users_staged, prepare_users = staging(XUser, USER_FIELDS)
    posts_staged, prepare_posts = staging(Tweet, TWEET_FIELDS)
    statements, params = [], []
    with connection.cursor() as cursor:
        cursor.execute(f"{prepare_users}; {prepare_posts}")
        if user_rows:
            copy_into(cursor, users_staged, map(copy_line, user_rows))
            statements.append(
                upsert_sql(
                    XUser,
                    USER_FIELDS,
                    conflict=["id"],
                    update=USER_UPDATE_FIELDS,
                    unless_same="raw",
                    source=users_staged,
                )
            )
        if posts:
            copy_into(cursor, posts_staged, (tweet_line(v, row_now) for v in posts))
            upsert_posts = upsert_sql(
                Tweet,
                TWEET_FIELDS,
                conflict=["id"],
                update=update,
                unless_same="raw",
                source=posts_staged,
            )
            link = ""
            if source is not None:
                stream = connection.ops.quote_name(SourceTweet._meta.db_table)
                link = (
                    f", linked AS (INSERT INTO {stream} (source_id, tweet_id, seen_at) "
                    f"SELECT %s, id, %s FROM {posts_staged} ON CONFLICT DO NOTHING)"
                )
                params += [source.pk, now]
            statements.append(
                f"WITH stored AS ({upsert_posts} RETURNING id, xmax = 0 AS inserted){link} "
                "SELECT id FROM stored WHERE inserted"
            )
        if not statements:
            return set()
        cursor.execute("; ".join(statements), params)
        return {pk for (pk,) in cursor.fetchall()} if posts else set()


def pages_bill(*, source: Source, pages: list[x.Page], now: datetime) -> billing.Bill:
    """Record what these pages read and return what X bills for it (see
    listening.billing). Call inside the transaction that stores them."""
    return billing.reads_bill(
        account_id=source.account_id,
        kind=source.kind,
        now=now,
        post_ids=[pk for p in pages for pk in p.tweet_ids],
        user_ids=[int(u["id"]) for p in pages for u in p.user_data],
    )


@transaction.atomic
def _commit_page(
    *,
    source_id: int,
    token: str,
    run_id: int,
    pages: list[x.Page],
    first_page: bool,
    done: bool,
    gap_until_id: int | None = None,
    users_stored: dict[int, int] | None = None,
    now: datetime | None = None,
) -> int:
    """Write consecutive pages and move the cursor past them, in one transaction, with
    what X bills for them. `first_page`: the first of them is the first page of a pass
    (its newest id becomes the next since_id). `users_stored`: the run's memory of the
    users it stored (see _store)."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # Not waiting for this commit to reach the disk is safe here: a page lost in a
        # database crash loses its cursor move in the same transaction, so the next run
        # reads it from X again. Nothing lost, nothing twice, and pages commit faster.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    source = Source.objects.select_for_update().select_related("account").get(pk=source_id)
    if source.lease_token != token:
        raise LeaseLost(f"source {source_id} was taken over by another run")
    tweets = [x.tweet_values(item) for p in pages for item in p.data]
    new_ids = _store(
        tweets=tweets,
        users=[x.user_values(item) for p in pages for item in p.user_data],
        now=now,
        source=source,
        keep_metrics_from_public=source.account.auth == XAccount.Auth.APP,
        users_stored=users_stored,
    )
    # Mentions, replies to and quotes of our posts become conversations (and a
    # mentions source's posts inbox items, the mentions metric's rows), routed.
    inbox.messages_ingest(source=source, tweets=tweets, now=now)
    # List timelines carry no newest_id in meta: the page's highest id is the same thing.
    newest = pages[0].newest_id or max(pages[0].tweet_ids, default=None)
    if first_page and newest:
        source.pending_since_id = newest
    if gap_until_id:
        # The mentions pass ended at X's reach: search for the gap before moving since_id.
        source.gap_until_id = gap_until_id
        source.page_token = ""
    elif done:
        if source.pending_since_id:
            source.since_id = max(source.since_id or 0, source.pending_since_id)
        source.pending_since_id = None
        source.gap_until_id = None
        source.page_token = ""
    else:
        source.page_token = pages[-1].next_token or ""
    source.lease_until = now + lease()
    source.save(
        update_fields=[
            "since_id",
            "pending_since_id",
            "gap_until_id",
            "page_token",
            "lease_until",
            "updated_at",
        ]
    )
    bill = pages_bill(source=source, pages=pages, now=now)
    SourceRun.objects.filter(pk=run_id).update(
        pages=F("pages") + len(pages),
        posts_read=F("posts_read") + sum(len(p.data) for p in pages),
        users_read=F("users_read") + sum(len(p.user_data) for p in pages),
        posts_new=F("posts_new") + len(new_ids),
        posts_billed=F("posts_billed") + bill.posts,
        users_billed=F("users_billed") + bill.users,
        cost=F("cost") + bill.cost,
    )
    _mark_spend(run_id, bill)
    return len(new_ids)


def _mark_spend(run_id: int, bill: billing.Bill) -> None:
    """A run's cost counts on the day it started (metrics.facts.x_spend): mark it."""
    if bill.cost:
        started = SourceRun.objects.filter(pk=run_id).values_list("started_at", flat=True)
        mark(Family.X_SPEND, started)


# --- A run ----------------------------------------------------------------------------


def _fetch(
    client: x.XClient, source: Source, *, page_token: str | None, max_results: int = 100
) -> x.Page:
    account = source.account
    if source.kind == Source.Kind.MENTIONS and source.gap_until_id:
        return client.search_page(
            f"@{account.username}",
            since_id=source.since_id,
            until_id=source.gap_until_id,
            pagination_token=page_token,
        )
    if source.kind == Source.Kind.MENTIONS:
        return client.mentions_page(
            account.x_user_id, since_id=source.since_id, pagination_token=page_token
        )
    if source.kind == Source.Kind.SEARCH:
        return client.search_page(
            source.query, since_id=source.since_id, pagination_token=page_token
        )
    if source.kind == Source.Kind.LIST:
        return client.list_tweets_page(
            source.x_list_id, pagination_token=page_token, max_results=max_results
        )
    if source.kind == Source.Kind.OWN_POSTS:
        # No since_id: the point is to re-read recent posts for their growing metrics.
        return client.own_posts_page(account.x_user_id, since_id=None, pagination_token=page_token)
    raise ValueError(f"{source.kind} sources are not paged")


def list_page_sizes(expected: int) -> Iterator[int]:
    """How many posts to ask for, page after page, when reading a list timeline down to
    the newest post the source has. X's list timeline takes no since_id, and X bills
    every post on a page, so:

    1. the first page asks for the posts expected since the last run (as many as the
       last runs added to the stream, on average) plus one — the newest post we have,
       which ends the run: one post when the list is quiet;
    2. when that page holds no post we have, the next ones start small (the square root
       of the first: about what such an estimate misses by) and double up to X's 100,
       so a burst costs at most about twice itself and a backlog few requests.
    """
    first = max(1, min(LIST_PAGE_MAX, expected + 1))
    yield first
    size = max(1, math.isqrt(first))
    while True:
        yield min(LIST_PAGE_MAX, size)
        size *= 2


LIST_RATE_RUNS = 5  # runs whose additions to the stream predict the next run's


def _recent_runs(source: Source) -> tuple[int, datetime] | None:
    """How many of the source's last successful runs to average (up to LIST_RATE_RUNS,
    never the oldest one on record: the first run reads history, no measure of what
    arrives between two runs) and when the first of them started; None before two."""
    starts = list(
        SourceRun.objects.filter(source=source, status=SourceRun.Status.OK)
        .order_by("-started_at")
        .values_list("started_at", flat=True)[: LIST_RATE_RUNS + 1]
    )
    runs = min(LIST_RATE_RUNS, len(starts) - 1)
    if runs < 1:
        return None
    return runs, starts[runs - 1]


def _list_expected(source: Source) -> int:
    """How many posts the next run of a list may find: the average its last successful
    runs (_recent_runs) added to the stream."""
    recent = _recent_runs(source)
    if recent is None:
        return 0
    runs, since = recent
    # The newest rows of the stream, by the (source, tweet) index read backwards: posts
    # a run adds are newer than those it had.
    seen = SourceTweet.objects.filter(source=source).order_by("-tweet_id")
    rows = seen.values_list("seen_at", flat=True)[: runs * LIST_PAGE_MAX]
    return round(sum(1 for at in rows if at >= since) / runs)


def _finished(source: Source, page: x.Page, pages_this_run: int, now: datetime) -> bool:
    if not page.next_token:
        return True
    if source.kind == Source.Kind.LIST:
        # List timelines take no since_id (and send no oldest_id): stop as soon as a
        # page reaches a post we have.
        oldest = page.oldest_id or min(page.tweet_ids, default=None)
        if source.since_id and oldest and oldest <= source.since_id:
            return True
        return not source.since_id and pages_this_run >= MAX_PAGES_FIRST_LIST_RUN
    if source.kind == Source.Kind.OWN_POSTS:
        oldest = min((t.created_at for t in page.tweets if t.created_at), default=None)
        return oldest is not None and oldest < now - OWN_POSTS_WINDOW
    return False


def source_run(*, source_id: int, now: datetime | None = None, on_page=None) -> RunResult | None:
    """Run a source once, to the end of what X has. None when another run holds it.
    `on_page(result)` is called after each committed page (for progress lines)."""
    clock = _clock(now)
    now = clock()
    token = source_claim(source_id=source_id, now=now)
    if token is None:
        return None
    if selectors.account_list_paused(now=now).filter(sources=source_id).exists():
        # Paused at the budget (a run queued before, "Run now", x_sync SOURCE): no read.
        source_release(source_id=source_id, token=token)
        return RunResult(status=PAUSED, error="its account reached its monthly X budget")
    # A run that held the lease before us died: say so in its record.
    SourceRun.objects.filter(source_id=source_id, status=SourceRun.Status.RUNNING).update(
        status=SourceRun.Status.INTERRUPTED, finished_at=now
    )
    source = Source.objects.select_related("account").get(pk=source_id)
    billing.reads_forget(account_id=source.account_id, now=now)
    run = SourceRun.objects.create(source=source, started_at=now)
    result = RunResult(status=SourceRun.Status.OK)
    tried = False

    def pull(client: x.XClient) -> None:
        nonlocal source, tried
        if tried:  # X refused the token, now refreshed: go on from the last committed page
            source = Source.objects.select_related("account").get(pk=source_id)
        tried = True
        _run_source(source, client, token, run, result, on_page, clock)

    try:
        x.with_fresh_token(source.account, pull)
    except x.RateLimited as exc:
        _end(source, token, run, result, SourceRun.Status.RATE_LIMITED, str(exc))
        Source.objects.filter(pk=source_id).update(next_run_at=exc.reset_at)
        XAccount.objects.filter(pk=source.account_id).update(
            status=XAccount.Status.RATE_LIMITED, rate_limited_until=exc.reset_at
        )
        return result
    except x.AuthRevoked as exc:
        _end(source, token, run, result, SourceRun.Status.AUTH, str(exc))
        XAccount.objects.filter(pk=source.account_id).update(
            status=XAccount.Status.NEEDS_RECONNECTION, last_error=str(exc)[:1000]
        )
        return result
    except (x.Transient, x.Permanent) as exc:
        _end(source, token, run, result, SourceRun.Status.ERROR, str(exc))
        raise
    except LeaseLost as exc:
        SourceRun.objects.filter(pk=run.pk).update(
            status=SourceRun.Status.INTERRUPTED, finished_at=timezone.now(), error=str(exc)
        )
        return result
    _end(source, token, run, result, SourceRun.Status.OK, "")
    XAccount.objects.filter(pk=source.account_id).update(
        status=XAccount.Status.OK, rate_limited_until=None, last_success_at=timezone.now()
    )
    return result


def _clock(now: datetime | None) -> Callable[[], datetime]:
    """The run's clock: the real one, or one that starts at `now` and runs on from it
    (a run "at" another time, in tests of X's UTC day and of the budget's month)."""
    if now is None:
        return timezone.now
    offset = now - timezone.now()
    return lambda: timezone.now() + offset


def _run_source(
    source: Source,
    client: x.XClient,
    token: str,
    run: SourceRun,
    result: RunResult,
    on_page,
    clock: Callable[[], datetime] = timezone.now,
) -> None:
    if source.kind == Source.Kind.FOLLOWERS:
        _run_followers(source, client, run, clock)
    elif source.kind == Source.Kind.DMS:
        _run_dms(source, client, token, run, result, on_page, clock)
    else:
        _run_pages(source, client, token, run, result, on_page, clock)


def _budget_reached(source: Source, now: datetime) -> bool:
    account = source.account
    if not (account.budget_pause and account.monthly_budget):
        return False
    return selectors.account_list_paused(now=now).filter(pk=account.pk).exists()


def _run_pages(
    source: Source,
    client: x.XClient,
    token: str,
    run: SourceRun,
    result: RunResult,
    on_page=None,
    clock: Callable[[], datetime] = timezone.now,
) -> None:
    """Read pages to the end, committing them in batches of X_INGEST_BATCH_PAGES: a
    backlog commits ten pages at a time (fewer, larger writes), an ordinary run its one
    or two pages. A failure commits the pages already read before it is raised, so the
    next run goes on after them; so does reaching the account's budget when it pauses
    there. A list is read in pages sized by list_page_sizes once it has a cursor."""
    page_token = source.page_token or None
    sizes = None
    if source.kind == Source.Kind.LIST and source.since_id:
        sizes = list_page_sizes(_list_expected(source))
    # Resuming a run that stopped half-way keeps its pending id (and its gap, if any).
    first_page = not page_token and not source.gap_until_id
    pages_this_run = 0
    read_this_pass, oldest_this_pass = 0, None
    batch: list[x.Page] = []
    users_stored: dict[int, int] = {}

    def commit(*, done: bool, gap: int | None) -> None:
        nonlocal batch, first_page
        if not batch:
            return
        result.posts_new += _commit_page(
            source_id=source.pk,
            token=token,
            run_id=run.pk,
            pages=batch,
            first_page=first_page,
            done=done,
            gap_until_id=gap,
            users_stored=users_stored,
            now=clock(),
        )
        result.pages += len(batch)
        result.posts_read += sum(len(p.data) for p in batch)
        batch, first_page = [], False
        if on_page is not None:
            on_page(result)

    while True:
        size = next(sizes) if sizes is not None else LIST_PAGE_MAX
        try:
            page = _fetch(client, source, page_token=page_token, max_results=size)
        except x.XError:
            commit(done=False, gap=None)
            raise
        pages_this_run += 1
        done = _finished(source, page, pages_this_run, timezone.now())
        read_this_pass += len(page.data)
        ids = page.tweet_ids
        if ids:
            oldest_this_pass = min(ids + ([oldest_this_pass] if oldest_this_pass else []))
        gap = None
        if (
            done
            and source.kind == Source.Kind.MENTIONS
            and not source.gap_until_id
            and source.since_id
            and read_this_pass >= MENTIONS_REACH
            and oldest_this_pass
            and oldest_this_pass > source.since_id
        ):
            gap = oldest_this_pass
        batch.append(page)
        if done or gap or len(batch) >= settings.X_INGEST_BATCH_PAGES:
            commit(done=done, gap=gap)
            if not done and _budget_reached(source, clock()):
                log.info("source %s: its account reached its X budget; pausing", source.pk)
                return
        if gap:
            log.info("source %s: mentions beyond X's reach; searching below %s", source.pk, gap)
            source.gap_until_id, page_token = gap, None
            continue
        if done:
            return
        page_token = page.next_token


def _run_followers(
    source: Source,
    client: x.XClient,
    run: SourceRun,
    clock: Callable[[], datetime] = timezone.now,
) -> None:
    me = client.user_by_username(source.account.username)
    if me is None or me.followers_count is None:
        raise x.Permanent(f"X has no follower count for @{source.account.username}")
    with transaction.atomic():
        now = clock()
        store_posts(tweets=[], users=[me], now=now)
        bill = billing.reads_bill(
            account_id=source.account_id, kind=source.kind, now=now, post_ids=[], user_ids=[me.id]
        )
        SourceRun.objects.filter(pk=run.pk).update(
            users_read=F("users_read") + 1,
            users_billed=F("users_billed") + bill.users,
            cost=F("cost") + bill.cost,
        )
        _mark_spend(run.pk, bill)
        count, _ = FollowerCount.objects.update_or_create(
            account=source.account,
            day=timezone.localdate(),
            defaults={"followers": me.followers_count},
        )
        mark(Family.FOLLOWERS, [count.day])


# --- Direct messages ------------------------------------------------------------------


def direct_messages_received(*, source: Source, messages: list[DirectMessage]) -> None:
    """Called with the DMs a page stored for the first time, inside the transaction that
    stores them and moves the cursor past them: whatever is done here (a conversation
    opened or reopened in the inbox) happens exactly once per DM, or not at all with the
    page. Received and sent ones alike (a DM sent from x.com is part of the thread)."""
    inbox.dms_ingest(source=source, messages=messages, now=timezone.now())


def _dm_expected(source: Source) -> int:
    """How many DMs the next run may find: the average its last successful runs stored
    (as _list_expected for lists; the first run reads history, no measure)."""
    recent = _recent_runs(source)
    if recent is None:
        return 0
    runs, since = recent
    new = DirectMessage.objects.filter(account_id=source.account_id, first_seen_at__gte=since)
    return round(new.count() / runs)


def _run_dms(
    source: Source,
    client: x.XClient,
    token: str,
    run: SourceRun,
    result: RunResult,
    on_page=None,
    clock: Callable[[], datetime] = timezone.now,
) -> None:
    """Read the account's DM events, newest first, down to the newest one stored.

    1. X's DM timeline takes no since_id: like a list's, it is read in pages sized by
       list_page_sizes (X bills each event read, and allows 15 reads in 15 minutes)
       until a page reaches the cursor (`since_id`, the newest event stored) or X's empty
       last page (X hands a next_token out on every non-empty page);
    2. each page commits alone (_commit_dm_page): its events and senders, the cursor,
       what X bills — so a run killed between pages resumes from `page_token`, and the
       first page's newest id becomes the cursor only when the pass is done.
    """
    page_token = source.page_token or None
    first_page = not page_token
    sizes = list_page_sizes(_dm_expected(source)) if source.since_id else None
    while True:
        size = next(sizes) if sizes is not None else LIST_PAGE_MAX
        page = client.dm_events_page(pagination_token=page_token, max_results=size)
        oldest = min(page.event_ids, default=None)
        done = (
            not page.next_token
            or not page.event_ids
            or bool(source.since_id and oldest is not None and oldest <= source.since_id)
        )
        new = _commit_dm_page(
            source_id=source.pk,
            token=token,
            run_id=run.pk,
            page=page,
            first_page=first_page,
            done=done,
            now=clock(),
        )
        first_page = False
        result.pages += 1
        result.posts_read += len(page.data)
        result.posts_new += new
        if on_page is not None:
            on_page(result)
        if done:
            return
        if _budget_reached(source, clock()):
            log.info("source %s: its account reached its X budget; pausing", source.pk)
            return
        page_token = page.next_token


@transaction.atomic
def _commit_dm_page(
    *,
    source_id: int,
    token: str,
    run_id: int,
    page: x.DmPage,
    first_page: bool,
    done: bool,
    now: datetime,
) -> int:
    """Store a page of DM events and their senders and move the cursor past them, in one
    transaction, with what X bills for them (a DM event as a post). The number stored
    for the first time."""
    source = Source.objects.select_for_update().select_related("account").get(pk=source_id)
    if source.lease_token != token:
        raise LeaseLost(f"source {source_id} was taken over by another run")
    own_id = source.account.x_user_id
    events = [e for e in page.events if e.event_type == "MessageCreate"]
    _store(tweets=[], users=[x.user_values(u) for u in page.user_data], now=now)
    # A sender X did not include (it may leave a suspended one out) still needs a row.
    known = set(
        XUser.objects.filter(pk__in={e.sender_id or 0 for e in events}).values_list("pk", flat=True)
    )
    stubs = {e.sender_id or 0 for e in events} - known
    if stubs:
        store_posts(tweets=[], users=[x.UserRecord(id=pk, username="") for pk in stubs], now=now)
    ids = [e.id for e in events]
    existing = set(DirectMessage.objects.filter(pk__in=ids).values_list("pk", flat=True))
    fresh = [
        DirectMessage(
            id=e.id,
            dm_conversation_id=e.dm_conversation_id,
            account_id=source.account_id,
            sender_id=e.sender_id or 0,
            recipient_id=e.recipient_id,
            text=e.text,
            created_at=e.created_at,
            direction=DirectMessage.Direction.OUT
            if e.sender_id == own_id
            else DirectMessage.Direction.IN,
            raw=e.raw,
            first_seen_at=now,
        )
        for e in events
        if e.id not in existing
    ]
    # Another of our accounts in the same conversation may store one first: not twice.
    DirectMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    if fresh:
        direct_messages_received(source=source, messages=fresh)
    if first_page and page.event_ids:
        source.pending_since_id = max(page.event_ids)
    if done:
        if source.pending_since_id:
            source.since_id = max(source.since_id or 0, source.pending_since_id)
        source.pending_since_id = None
        source.page_token = ""
    else:
        source.page_token = page.next_token or ""
    source.lease_until = now + lease()
    source.save(
        update_fields=["since_id", "pending_since_id", "page_token", "lease_until", "updated_at"]
    )
    bill = billing.reads_bill(
        account_id=source.account_id,
        kind=source.kind,
        now=now,
        post_ids=page.event_ids,
        user_ids=[int(u["id"]) for u in page.user_data],
    )
    SourceRun.objects.filter(pk=run_id).update(
        pages=F("pages") + 1,
        posts_read=F("posts_read") + len(page.data),
        users_read=F("users_read") + len(page.user_data),
        posts_new=F("posts_new") + len(fresh),
        posts_billed=F("posts_billed") + bill.posts,
        users_billed=F("users_billed") + bill.users,
        cost=F("cost") + bill.cost,
    )
    _mark_spend(run_id, bill)
    return len(fresh)


def _end(
    source: Source, token: str, run: SourceRun, result: RunResult, status: str, error: str
) -> None:
    now = timezone.now()
    result.status, result.error = status, error
    SourceRun.objects.filter(pk=run.pk).update(status=status, finished_at=now, error=error[:2000])
    fields = {"last_run_at": now, "last_result": status, "last_error": error[:2000]}
    if status == SourceRun.Status.OK:
        fields["last_success_at"] = now
    source_release(source_id=source.pk, token=token, **fields)
