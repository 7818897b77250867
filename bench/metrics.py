"""Metrics (issue 11): a generated organisation of two years — 8 departments, 1,000,000 of
our posts on X (a fifth of them published from the calendar), 5,000,000 clicks on 50,000
tracked links, 50,000 conversions, 20,000 time entries — loaded with COPY, then:

1. a full rebuild of the daily rollup from an empty one (metrics.rollups.rebuild), in
   rollup rows/s and raw rows/s;
2. one new day's rows landed, marked and rolled up (recompute_marked), against < 2 s;
3. p50/p95 time and query count of the metrics-series API, the home page, a department's
   page (and the department dashboard and the marketing overview, where those URLs
   exist), each beside the same figures computed straight from the raw rows; targets
   p95 < 100 ms with ≤ 15 queries.

METRICS_BENCH_SCALE (default 1) scales every row count (0.01 for a quick try; days and
departments stay). METRICS_BENCH_DB=name (bench/__main__.py) generates into that database
once and reuses it on the next runs (give the same scale): generation is skipped, earlier
runs' new-day rows are deleted, and the rebuild, the new day, the check and the timings
run as usual. PostgreSQL only (COPY). Times are the Django test client's round trip in
this process: the server's work plus a little of the client's."""

from __future__ import annotations

import io
import logging
import os
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

SCALE = float(os.environ.get("METRICS_BENCH_SCALE", "1"))
DAYS = 730
DEPARTMENTS = 8
ACCOUNTS = 4
POSTS = int(1_000_000 * SCALE)
CALENDAR_SHARE = 0.2  # of our posts, those published from the calendar
LINKS = max(int(50_000 * SCALE), 10)
CLICKS = int(5_000_000 * SCALE)
CONVERSIONS = int(50_000 * SCALE)
TIME_ENTRIES = int(20_000 * SCALE)
CAMPAIGNS_PER_DEPARTMENT = 12  # two months each
ZONE = "Europe/Berlin"
ROUNDS = 40  # requests per page or API call timed (after two warm-ups)
RAW_ROUNDS = 10  # the raw-row counterparts are slower: fewer rounds
TARGET_P95_MS, TARGET_QUERIES, TARGET_INCREMENTAL_S = 100, 15, 2.0
CHUNK = 200_000  # rows per COPY

TWEET_BASE = 1_800_000_000_000_000_000
KINDS = ["post"] * 6 + ["thread"] * 2 + ["reply", "quote", "repost"]
ACTIVITIES = ["writing", "replying", "reposting", "dms", "planning", "listening", "reporting"]


# --- Generating the organisation --------------------------------------------------------


def _copy(table: str, columns: str, rows: Iterator[str]) -> int:
    """COPY the rows (tab-separated lines) into the table, CHUNK at a time."""
    from django.db import connection

    written = 0
    buffer, n = io.StringIO(), 0

    def flush() -> None:
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)

    for line in rows:
        buffer.write(line)
        n += 1
        if n == CHUNK:
            flush()
            written += n
            buffer, n = io.StringIO(), 0
    if n:
        flush()
        written += n
    return written


class World:
    """What the generator made and what the measurements need: ids, the window."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last
        self.start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        self.seconds = DAYS * 86_400
        self.departments: list = []
        self.accounts: list = []  # (XAccount id, X user id)
        self.campaigns: dict[int, list[tuple[int, date, date]]] = {}  # by department
        self.users: list[int] = []
        self.user = None
        self.posts: list[tuple[int, int, int, datetime]] = []  # (post, tweet, campaign, at)
        self.links: list[tuple[int, int | None, datetime]] = []  # (link, campaign, post's at)
        self.raw_rows = 0


def _seed_rows(world: World, rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password

    from campaigns.models import Campaign
    from departments.models import KPI, Department, Goal, Membership
    from listening.models import XAccount, XUser
    from socialops.models import User

    password = make_password("bench")
    world.user = User.objects.create(
        username="bench", password=password, is_superuser=True, is_staff=True
    )
    for d in range(DEPARTMENTS):
        department = Department.objects.create(
            name=f"Department {d}", slug=f"dept-{d}", kind="marketing"
        )
        world.departments.append(department)
        members = User.objects.bulk_create(
            User(username=f"d{d}u{n}", password=password) for n in range(2)
        )
        world.users += [u.pk for u in members]
        Membership.objects.bulk_create(
            Membership(department=department, user=u, role="member") for u in members
        )
        length = DAYS // CAMPAIGNS_PER_DEPARTMENT
        campaigns = Campaign.objects.bulk_create(
            Campaign(
                department=department,
                name=f"Campaign {d}.{c}",
                objective="sales",
                period_start=world.first + timedelta(days=c * length),
                period_end=world.first + timedelta(days=(c + 1) * length - 1),
                status="running",
                budget=Decimal(10_000),
                spend=Decimal(rng.randrange(1_000, 9_000)),
                utm_campaign=f"bench-{d}-{c}",
            )
            for c in range(CAMPAIGNS_PER_DEPARTMENT)
        )
        world.campaigns[department.pk] = [(c.pk, c.period_start, c.period_end) for c in campaigns]
        for g in range(2):
            goal = Goal.objects.create(
                department=department,
                objective="sales",
                title=f"Goal {d}.{g}",
                period_start=world.last - timedelta(days=60),
                period_end=world.last + timedelta(days=30),
            )
            KPI.objects.bulk_create(
                KPI(goal=goal, metric=metric, unit=unit, target=Decimal(1000), baseline=0)
                for metric, unit in [
                    ("link_clicks", "count"),
                    ("conversions", "count"),
                    ("revenue", "currency"),
                    ("hours_spent", "hours"),
                ]
            )
    Membership.objects.create(department=world.departments[0], user=world.user, role="lead")
    for a in range(ACCOUNTS):
        x_user = XUser.objects.create(
            id=10_000 + a, username=f"bench{a}", name=f"Bench {a}", fetched_at=world.start
        )
        account = XAccount.objects.create(username=f"bench{a}", x_user_id=x_user.pk)
        world.accounts.append((account.pk, x_user.pk))


def _campaign_at(world: World, department_id: int, day: date) -> int | None:
    for campaign_id, first, last in world.campaigns[department_id]:
        if first <= day <= last:
            return campaign_id
    return None


def _tweets(
    world: World, rng: random.Random, count: int, base: int, window, text: str = "Bench post"
) -> Iterator[str]:
    start, seconds = window
    for n in range(count):
        at = start + timedelta(seconds=rng.randrange(seconds))
        _, author = world.accounts[n % ACCOUNTS]
        impressions = rng.randrange(100, 5_000)
        stamp = at.isoformat()
        yield (
            f"{base + n}\t{author}\t{text} {n}\t{stamp}\t{base + n}\ten\tf\t"
            f"{rng.randrange(40)}\t{rng.randrange(8)}\t{rng.randrange(6)}\t{rng.randrange(3)}\t"
            f"{impressions}\t0\t{rng.randrange(30)}\t{{}}\t{stamp}\t{stamp}\n"
        )


TWEET_COLUMNS = (
    "id, author_id, text, created_at, conversation_id, lang, is_retweet, like_count, "
    "retweet_count, reply_count, quote_count, impression_count, bookmark_count, "
    "url_link_clicks, raw, first_seen_at, updated_at"
)
POST_COLUMNS = (
    "id, account_id, department_id, campaign_id, kind, category, text, owner_id, "
    "scheduled_at, notes, status, review_round, rejection_reason, claim_token, attempts, "
    "x_post_id, published_at, error, created_at, updated_at"
)
LINK_COLUMNS = (
    "id, campaign_id, post_id, destination, utm_source, utm_medium, utm_campaign, "
    "utm_content, code, created_at"
)
CLICK_COLUMNS = "link_id, clicked_at, referrer, user_agent, is_bot, visitor_key, click_id"
CONVERSION_COLUMNS = (
    "kind, value, currency, occurred_at, is_new_customer, click_id, coupon_code, link_id, "
    "campaign_id, attribution, external_id, channel, created_at"
)
TIME_COLUMNS = (
    "user_id, day, minutes, activity, campaign_id, department_id, note, created_at, updated_at"
)


def _calendar_posts(world: World, rng: random.Random, tweets: list, first_id: int) -> list:
    """Calendar rows for a share of the posts: (id, tweet id, campaign, published at)."""
    account_ids = [a for a, _ in world.accounts]
    rows = []
    for n, (tweet_id, at) in enumerate(tweets):
        department = world.departments[rng.randrange(DEPARTMENTS)].pk
        campaign = _campaign_at(world, department, at.date()) if rng.random() < 0.7 else None
        rows.append((first_id + n, tweet_id, department, campaign, at, account_ids[n % ACCOUNTS]))
    return rows


def _post_lines(
    world: World, rng: random.Random, rows: list, text: str = "Bench post"
) -> Iterator[str]:
    for post_id, tweet_id, department, campaign, at, account in rows:
        stamp = at.isoformat()
        yield (
            f"{post_id}\t{account}\t{department}\t{_n(campaign)}\t{rng.choice(KINDS)}\t\t"
            f"{text}\t{world.user.pk}\t{stamp}\t\tpublished\t1\t\t\t1\t{tweet_id}\t"
            f"{stamp}\t\t{stamp}\t{stamp}\n"
        )


def _n(value: object) -> str:
    return "\\N" if value is None else str(value)


def _click_lines(
    world: World, rng: random.Random, count: int, first_id: int, since: datetime, until: datetime
) -> Iterator[str]:
    links = world.links
    visitors = max(count // 3, 1)
    for n in range(count):
        # A few links draw most clicks; a click comes hours to days after its post.
        link_id, _, posted = links[int(len(links) * rng.random() ** 2)]
        at = posted + timedelta(seconds=int(rng.expovariate(1 / 86_400)))
        if not since <= at < until:
            at = until - timedelta(seconds=rng.randrange(1, 86_400))
        bot = "t" if rng.random() < 0.08 else "f"
        yield (
            f"{link_id}\t{at.isoformat()}\t\t\t{bot}\tv{rng.randrange(visitors):x}\t"
            f"{first_id + n:032x}\n"
        )


def _conversion_lines(
    world: World, rng: random.Random, count: int, prefix: str, window
) -> Iterator[str]:
    start, seconds = window
    campaigns = [c for cs in world.campaigns.values() for c, _, _ in cs]
    for n in range(count):
        roll = rng.random()
        link, campaign, attribution, coupon = "\\N", "\\N", "none", ""
        at = start + timedelta(seconds=rng.randrange(seconds))
        if roll < 0.7:
            link_id, link_campaign, posted = world.links[int(len(world.links) * rng.random() ** 2)]
            link, campaign, attribution = str(link_id), _n(link_campaign), "click"
            at = max(at, posted)
        elif roll < 0.8:
            campaign, attribution, coupon = str(rng.choice(campaigns)), "coupon", "SAVE10"
        stamp = at.isoformat()
        value = f"{rng.randrange(1_000, 50_000) / 100:.2f}"
        new = "t" if rng.random() < 0.3 else "f"
        yield (
            f"purchase\t{value}\tUSD\t{stamp}\t{new}\t\t{coupon}\t{link}\t{campaign}\t"
            f"{attribution}\t{prefix}{n}\tapi\t{stamp}\n"
        )


def _time_lines(
    world: World, rng: random.Random, count: int, days: list[date], note: str = ""
) -> Iterator[str]:
    for _ in range(count):
        day = rng.choice(days)
        department = world.departments[rng.randrange(DEPARTMENTS)].pk
        campaign = _campaign_at(world, department, day) if rng.random() < 0.5 else None
        stamp = datetime.combine(day, datetime.min.time(), tzinfo=UTC).isoformat()
        yield (
            f"{rng.choice(world.users)}\t{day}\t{rng.randrange(15, 240)}\t"
            f"{rng.choice(ACTIVITIES)}\t{_n(campaign)}\t{department}\t{note}\t{stamp}\t{stamp}\n"
        )


def _generate(world: World, rng: random.Random) -> None:
    from django.db import connection

    from listening.models import FollowerCount

    window = (world.start, world.seconds)
    world.raw_rows += _copy(
        "listening_tweet", TWEET_COLUMNS, _tweets(world, rng, POSTS, TWEET_BASE, window)
    )
    # The calendar published a share of them: read back their ids and times.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, created_at FROM listening_tweet WHERE id %% %s = 0 ORDER BY id",
            [round(1 / CALENDAR_SHARE)],
        )
        tweets = cursor.fetchall()
    rows = _calendar_posts(world, rng, tweets, 1)
    world.raw_rows += _copy("campaigns_scheduledpost", POST_COLUMNS, _post_lines(world, rng, rows))
    world.posts = [(r[0], r[1], r[3], r[4]) for r in rows]
    # Links on calendar posts, spread evenly over them, with the post's campaign.
    step = max(len(rows) // LINKS, 1)
    chosen = rows[::step][:LINKS]
    world.links = [(n + 1, r[3], r[4]) for n, r in enumerate(chosen)]
    world.raw_rows += _copy(
        "campaigns_trackedlink",
        LINK_COLUMNS,
        (
            f"{n + 1}\t{_n(r[3])}\t{r[0]}\thttps://shop.example.com/p/{n}\tx\tsocial\t\t\t"
            f"b{n:x}\t{r[4].isoformat()}\n"
            for n, r in enumerate(chosen)
        ),
    )
    end = datetime.combine(world.last + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    world.raw_rows += _copy(
        "campaigns_click", CLICK_COLUMNS, _click_lines(world, rng, CLICKS, 0, world.start, end)
    )
    world.raw_rows += _copy(
        "campaigns_conversion",
        CONVERSION_COLUMNS,
        _conversion_lines(world, rng, CONVERSIONS, "bench-", window),
    )
    days = [world.first + timedelta(days=n) for n in range(DAYS)]
    world.raw_rows += _copy(
        "campaigns_timeentry", TIME_COLUMNS, _time_lines(world, rng, TIME_ENTRIES, days)
    )
    FollowerCount.objects.bulk_create(
        FollowerCount(account_id=account, day=day, followers=5_000 + n * 3)
        for account, _ in world.accounts
        for n, day in enumerate(days)
    )
    world.raw_rows += ACCOUNTS * DAYS
    with connection.cursor() as cursor:
        for table in ("campaigns_scheduledpost", "campaigns_trackedlink"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")


# --- Measuring --------------------------------------------------------------------------


def _vacuum() -> None:
    """VACUUM (ANALYZE) the whole database, as autovacuum does in production after a load
    this size. Without it (a server run with autovacuum off, as this host's is) the
    visibility map stays empty, index-only scans read the heap, and the dashboard's top
    posts by clicks read every page of the department's posts instead of its index."""
    from django.db import connection

    vacuumed = "autovacuum on" if _setting("autovacuum") == "on" else "autovacuum off here"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(
        f"  VACUUM (ANALYZE) after the load, as autovacuum would ({vacuumed}): "
        f"{time.perf_counter() - started:.1f} s"
    )


def _setting(name: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def _times(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """p50 and p95 in ms over `rounds` calls, after two warm-up calls."""
    fn()
    fn()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def _queries(fn: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _line(name: str, fn: Callable[[], object], raw: Callable[[], object], raw_name: str) -> None:
    p50, p95 = _times(fn, ROUNDS)
    queries = _queries(fn)
    raw_p50, raw_p95 = _times(raw, RAW_ROUNDS)
    raw_queries = _queries(raw)
    verdict = "ok" if p95 < TARGET_P95_MS and queries <= TARGET_QUERIES else "MISSED"
    print(
        f"  {name:<48} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries:3d} queries | "
        f"raw rows ({raw_name}): p50 {raw_p50:8.1f} ms  p95 {raw_p95:8.1f} ms  "
        f"{raw_queries:2d} queries | target p95 < {TARGET_P95_MS} ms, ≤ {TARGET_QUERIES} "
        f"queries: {verdict}"
    )


def _raw_figures(world: World, department, first: date, last: date) -> dict:
    """A department's (or, with None, every department's) clicks, unique visitors,
    conversions, revenue and hours over first..last, straight from the raw rows, with the
    rollup's attribution (metrics.facts)."""
    from zoneinfo import ZoneInfo

    from django.db.models import Count, Q, Sum
    from django.db.models.functions import Coalesce

    from campaigns.links.models import Click
    from campaigns.offers.models import Conversion
    from campaigns.timelog.models import TimeEntry

    zone = ZoneInfo(ZONE)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    clicks = Click.objects.filter(is_bot=False, clicked_at__gte=start, clicked_at__lt=end)
    conversions = Conversion.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    hours = TimeEntry.objects.filter(day__gte=first, day__lte=last)
    clicks = clicks.annotate(
        _department=Coalesce("link__post__department_id", "link__campaign__department_id")
    )
    conversions = conversions.annotate(
        _department=Coalesce("link__post__department_id", "campaign__department_id")
    )
    if department is not None:
        clicks = clicks.filter(_department=department.pk)
        conversions = conversions.filter(_department=department.pk)
        hours = hours.filter(department=department)
    return {
        "clicks": list(
            clicks.values("_department").annotate(
                n=Count("id"), unique=Count("visitor_key", filter=~Q(visitor_key=""), distinct=True)
            )
        ),
        "conversions": list(
            conversions.values("_department").annotate(n=Count("id"), revenue=Sum("value"))
        ),
        "hours": list(hours.values("department").annotate(m=Sum("minutes"))),
    }


def _raw_series(department, first: date, last: date) -> list:
    from zoneinfo import ZoneInfo

    from django.db.models import Count
    from django.db.models.functions import Coalesce, TruncDate

    from campaigns.links.models import Click

    zone = ZoneInfo(ZONE)
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return list(
        Click.objects.filter(is_bot=False, clicked_at__gte=start, clicked_at__lt=end)
        .annotate(
            _department=Coalesce("link__post__department_id", "link__campaign__department_id")
        )
        .filter(_department=department.pk)
        .annotate(day=TruncDate("clicked_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )


def _new_day(world: World, rng: random.Random, day: date) -> tuple[int, float]:
    """Land one day's rows (a day's share of every family), mark them as the services
    do, and time the marked recompute."""
    from zoneinfo import ZoneInfo

    from django.db import connection, transaction

    from metrics.rollups import recompute_marked
    from socialops.marks import Family, mark

    zone = ZoneInfo(ZONE)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    window = (start, 86_400)
    end = start + timedelta(days=1)
    n_posts = max(POSTS // DAYS, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM listening_tweet")
        base = (cursor.fetchone()[0] or TWEET_BASE) + 1_000
        cursor.execute("SELECT max(id) FROM campaigns_scheduledpost")
        first_post = (cursor.fetchone()[0] or 0) + 1
    # The new day's rows say so (NEW_DAY), for _forget_new_days on a kept database.
    with transaction.atomic():
        tweets = _tweets(world, rng, n_posts, base, window, text=NEW_DAY)
        rows = _copy("listening_tweet", TWEET_COLUMNS, tweets)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, created_at FROM listening_tweet WHERE id >= %s AND id %% %s = 0",
                [base, round(1 / CALENDAR_SHARE)],
            )
            tweets = cursor.fetchall()
        calendar = _calendar_posts(world, rng, tweets, first_post)
        rows += _copy(
            "campaigns_scheduledpost", POST_COLUMNS, _post_lines(world, rng, calendar, NEW_DAY)
        )
        # Clicks on the links of recent posts (as the day's clicks mostly are).
        world.links.sort(key=lambda link: link[2], reverse=True)
        clicks = _click_lines(world, rng, max(CLICKS // DAYS, 1), NEW_CLICK_IDS, start, end)
        rows += _copy("campaigns_click", CLICK_COLUMNS, clicks)
        conversions = _conversion_lines(world, rng, max(CONVERSIONS // DAYS, 1), "new-", window)
        rows += _copy("campaigns_conversion", CONVERSION_COLUMNS, conversions)
        rows += _copy(
            "campaigns_timeentry",
            TIME_COLUMNS,
            _time_lines(world, rng, max(TIME_ENTRIES // DAYS, 1), [day], NEW_DAY),
        )
        for family in (Family.POSTS, Family.CLICKS, Family.CONVERSIONS, Family.TIME):
            mark(family, [start, end - timedelta(seconds=1)] if family != Family.TIME else [day])
    started = time.perf_counter()
    recompute_marked()
    return rows, time.perf_counter() - started


NEW_DAY = "Bench new day"  # the text of its posts and the note of its time entries
NEW_CLICK_IDS = 10**12  # its clicks' ids count from here (the generated ones from 0)


def _forget_new_days() -> None:
    """Delete the rows earlier runs' new days landed in a kept database (the rebuild that
    follows recomputes the rollup without them)."""
    from django.db import connection

    from campaigns.calendar.models import ScheduledPost

    ScheduledPost.objects.filter(text=NEW_DAY).delete()  # with what hangs off them
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM listening_tweet WHERE text LIKE %s", [f"{NEW_DAY}%"])
        cursor.execute(
            "DELETE FROM campaigns_click WHERE click_id >= %s", [f"{NEW_CLICK_IDS:032x}"]
        )
        cursor.execute("DELETE FROM campaigns_conversion WHERE external_id LIKE 'new-%%'")
        cursor.execute("DELETE FROM campaigns_timeentry WHERE note = %s", [NEW_DAY])


def _kept_world() -> World | None:
    """The organisation a kept database (METRICS_BENCH_DB) already holds, None if it is
    empty: the window from the follower snapshots (one a day for each account), the rest
    read back as the generator made it."""
    from django.db import connection
    from django.db.models import Max, Min

    from campaigns.calendar.models import ScheduledPost
    from campaigns.links.models import TrackedLink
    from campaigns.models import Campaign
    from departments.models import Department
    from listening.models import FollowerCount, XAccount
    from socialops.models import User

    user = User.objects.filter(username="bench").first()
    window = FollowerCount.objects.aggregate(first=Min("day"), last=Max("day"))
    if user is None or window["first"] is None:
        return None
    world = World(window["first"], window["last"])
    world.user = user
    world.departments = list(Department.objects.filter(slug__startswith="dept-").order_by("pk"))
    world.accounts = list(
        XAccount.objects.filter(username__startswith="bench")
        .order_by("pk")
        .values_list("pk", "x_user_id")
    )
    for campaign in Campaign.objects.filter(utm_campaign__startswith="bench-").order_by("pk"):
        world.campaigns.setdefault(campaign.department_id, []).append(
            (campaign.pk, campaign.period_start, campaign.period_end)
        )
    world.users = list(
        User.objects.filter(username__regex=r"^d[0-9]+u[0-9]+$").values_list("pk", flat=True)
    )
    world.posts = list(
        ScheduledPost.objects.order_by("pk").values_list(
            "pk", "x_post_id", "campaign_id", "published_at"
        )
    )
    world.links = list(
        TrackedLink.objects.order_by("pk").values_list("pk", "campaign_id", "post__published_at")
    )
    with connection.cursor() as cursor:
        for table in RAW_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            world.raw_rows += cursor.fetchone()[0]
    return world


RAW_TABLES = (
    "listening_tweet",
    "campaigns_scheduledpost",
    "campaigns_trackedlink",
    "campaigns_click",
    "campaigns_conversion",
    "campaigns_timeentry",
    "listening_followercount",
)


def _breakdown(day: date) -> str:
    """Each family's share: its recompute of the days the marks covered, run again (the
    marks of UTC days take in the local days either side)."""
    from metrics.rollups import organisation_zone, recompute
    from socialops.marks import Family

    zone = organisation_zone()
    parts = []
    for family, first in [
        (Family.CLICKS, day - timedelta(days=2)),
        (Family.POSTS, day - timedelta(days=2)),
        (Family.CONVERSIONS, day - timedelta(days=2)),
        (Family.TIME, day - timedelta(days=1)),
    ]:
        started = time.perf_counter()
        recompute(family, first, day + timedelta(days=1), zone=zone)
        parts.append(f"{family} {time.perf_counter() - started:.2f} s")
    return ", ".join(parts)


def run() -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import Resolver404, resolve

    from departments.selectors import organisation_get
    from metrics.rollups import organisation_today, rebuild, verify
    from socialops.models import User

    if connection.vendor != "postgresql":
        print("metrics: skipped (needs PostgreSQL for COPY; set DATABASE_URL)")
        return
    rng = random.Random(11)
    # The organisation first: the rollup's days are in its zone, its revenue in its currency.
    organisation = organisation_get()
    organisation.time_zone, organisation.currency = ZONE, "USD"
    organisation.hourly_staff_cost = Decimal(60)
    organisation.save()
    # Two years of the organisation's days up to yesterday; today is the "new day".
    today = organisation_today()
    started = time.perf_counter()
    if User.objects.filter(username="bench").exists():
        _forget_new_days()
    world = _kept_world()
    if world is None:
        world = World(today - timedelta(days=DAYS), today - timedelta(days=1))
        _seed_rows(world, rng)
        _generate(world, rng)
        print(
            f"metrics, scale {SCALE:g}: {POSTS:,} posts ({len(world.posts):,} from the "
            f"calendar), {len(world.links):,} links, {CLICKS:,} clicks, {CONVERSIONS:,} "
            f"conversions, {TIME_ENTRIES:,} time entries over {DAYS} days, {DEPARTMENTS} "
            f"departments: generated with COPY in {time.perf_counter() - started:.0f} s"
        )
    else:
        print(
            f"metrics: the kept database's organisation ({world.first} to {world.last}, "
            f"{world.raw_rows:,} raw rows, {len(world.posts):,} calendar posts, "
            f"{len(world.links):,} links) reused, earlier new days deleted, in "
            f"{time.perf_counter() - started:.0f} s"
        )

    with connection.cursor() as cursor:
        # From nothing, as the first time (a kept database holds the last run's rollup, and
        # a rebuild writes only the cells that differ).
        cursor.execute("TRUNCATE metrics_dailyrollup")
    started = time.perf_counter()
    written = rebuild()
    took = time.perf_counter() - started
    print(
        f"  full rebuild (metrics.rollups.rebuild): {written:,} rollup rows in {took:.1f} s = "
        f"{written / took:,.0f} rows/s; {world.raw_rows / took:,.0f} raw rows/s read "
        "(target: printed)"
    )
    _vacuum()

    rows, took = _new_day(world, rng, today)
    verdict = "ok" if took < TARGET_INCREMENTAL_S else "MISSED"
    print(
        f"  one new day ({rows:,} raw rows landed and marked): recompute_marked {took:.2f} s | "
        f"target < {TARGET_INCREMENTAL_S:g} s: {verdict}"
    )
    print(f"    by family (recomputed again): {_breakdown(today)}")

    started = time.perf_counter()
    differences = verify(today - timedelta(days=30), today)
    print(
        f"  metrics_verify over the last 31 days, the new day included: {len(differences)} "
        f"cells differ from the raw rows ({time.perf_counter() - started:.1f} s) | target: 0"
    )

    client = Client()
    logging.getLogger("axes").setLevel(logging.WARNING)  # a line per sign-in otherwise
    client.force_login(world.user)
    department = world.departments[0]
    last = today
    month = last - timedelta(days=27)
    year = last - timedelta(days=364)

    def get(url: str) -> Callable[[], None]:
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    series = f"/api/v1/metrics/series/?metric=link_clicks&dimension=department&id={department.pk}"
    # The API and the raw rows agree before anything is timed.
    body = client.get(f"{series}&from={month}&to={last}&interval=month").json()
    api_total = sum(Decimal(p["value"] or 0) for p in body["points"])
    raw_total = sum(r["n"] for r in _raw_series(department, month, last))
    assert api_total == raw_total, (api_total, raw_total)

    print(
        f"  pages and API as {world.user.username} (organisation admin, lead of {department.name}):"
    )
    _line(
        "series API, a department's clicks, 365 days",
        get(f"{series}&from={year}&to={last}"),
        lambda: _raw_series(department, year, last),
        "clicks by day",
    )
    longest = last - timedelta(days=3 * 365)
    _line(
        "series API, the same, 3 years by day (longest)",
        get(f"{series}&from={longest}&to={last}"),
        lambda: _raw_series(department, longest, last),
        "clicks by day",
    )
    _line(
        "series API, the same by week, 2 years",
        get(f"{series}&from={world.first}&to={last}&interval=week"),
        lambda: _raw_series(department, world.first, last),
        "clicks by day",
    )
    pages = [
        ("home page /", "/", None),
        (
            f"department page /departments/{department.slug}/",
            f"/departments/{department.slug}/",
            department,
        ),
        (
            f"dashboard /departments/{department.slug}/dashboard/",
            f"/departments/{department.slug}/dashboard/",
            department,
        ),
        ("marketing overview /metrics/overview/", "/metrics/overview/", None),
        ("activities /metrics/activities/", "/metrics/activities/", None),
    ]
    for name, url, scope in pages:
        try:
            resolve(url)
        except Resolver404:
            print(f"  {name:<48} skipped: the URL does not resolve on this branch")
            continue
        _line(
            name,
            get(url),
            lambda scope=scope: _raw_figures(world, scope, month, last),
            "4 weeks' figures" + ("" if scope else ", every department"),
        )
