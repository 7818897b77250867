"""Keeping the daily rollup equal to the raw rows: recompute a family's days (replace its
rows for those days whole, so running it twice changes nothing), the marked days, the last
week every night, everything (`metrics_rebuild`), and the check (`metrics_verify`)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from campaigns.calendar.models import ScheduledPost
from campaigns.links.models import Click
from campaigns.models import Campaign
from campaigns.offers.models import Conversion
from campaigns.timelog.models import TimeEntry
from departments.models import Organisation
from listening.models import Conversation, FollowerCount, InboxItem, SourceRun, Tweet
from metrics.facts import FAMILIES, Cell
from metrics.models import DailyRollup
from prospects.models import Interaction, StageChange
from socialops.models import DirtyDay

# Late data: every night the last week is recomputed whatever was marked.
NIGHTLY_DAYS = 7
# Rebuilds and checks go this many days at a time (and report progress after each).
CHUNK_DAYS = 31
# Rollup rows one statement deletes by id (SQLite caps a statement's parameters).
DELETE_BATCH = 500
# The first key of the advisory locks recomputes take (the second is the family's hash).
LOCK_SPACE = 7211

Key = tuple[date, str, str, int]


def zone_of(name: str) -> tzinfo:
    """A time zone by name; UTC for a name this machine does not know."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def organisation_zone() -> tzinfo:
    return zone_of(Organisation.objects.values_list("time_zone", flat=True).first() or "UTC")


def organisation_today() -> date:
    return timezone.localdate(timezone=organisation_zone())


def _cells(family: str, first: date, last: date, zone: tzinfo) -> dict[Key, Cell]:
    compute, _ = FAMILIES[family]
    cells: dict[Key, Cell] = {}
    for cell in compute(first, last, zone):
        cells[(cell.day, cell.metric, cell.dim, cell.dim_id)] = cell
    return cells


def recompute(family: str, first: date, last: date, *, zone: tzinfo | None = None) -> int:
    """Make the family's rollup rows for the days first..last equal to freshly computed
    cells. Returns how many cells those days hold.

    1. Under the family's lock, compute the cells from the raw rows.
    2. Read the stored rows of those days: a row equal to its cell stays; a row whose
       cell differs or is gone is deleted, and the differing and new cells inserted. A
       marked pass after a day's rows landed rewrote every cell of the two or three days
       it covers (at full size 13,000 rows of clicks, most unchanged: about half its
       time); now it writes what changed."""
    zone = zone or organisation_zone()
    _, metrics = FAMILIES[family]
    with transaction.atomic():
        # Computed under the lock: of two recomputes of the same days, the one that writes
        # last has read last (computed before it, an older reading could land last).
        _lock(family)
        _without_jit()
        cells = _cells(family, first, last, zone)
        held = len(cells)
        stale = []
        stored = DailyRollup.objects.filter(metric__in=metrics, day__gte=first, day__lte=last)
        for pk, *key, count, total, buckets in stored.values_list(
            "pk", "day", "metric", "dim", "dim_id", "count", "total", "buckets"
        ):
            cell = cells.get(tuple(key))
            if cell is not None and (cell.count, cell.total, _listed(cell.buckets)) == (
                count,
                total,
                buckets,
            ):
                del cells[tuple(key)]  # as stored
            else:
                stale.append(pk)
        for start in range(0, len(stale), DELETE_BATCH):
            DailyRollup.objects.filter(pk__in=stale[start : start + DELETE_BATCH]).delete()
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(
                    day=c.day,
                    metric=c.metric,
                    dim=c.dim,
                    dim_id=c.dim_id,
                    count=c.count,
                    total=c.total,
                    buckets=_listed(c.buckets),
                )
                for c in cells.values()
            ],
            batch_size=2000,
        )
    return held


def _listed(buckets: tuple[int, ...] | None) -> list[int] | None:
    """A cell's buckets as the JSON column stores and reads them."""
    return None if buckets is None else list(buckets)


def _lock(family: str) -> None:
    """One recompute of a family at a time (two would both delete, then both insert): a
    PostgreSQL lock held to the end of the transaction. SQLite has one writer anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_SPACE, family])


def _without_jit() -> None:
    """PostgreSQL compiles a query whose estimated cost is high (JIT): the posts family's
    per-post subqueries are estimated far above what they cost, and compiling took 1.3 s
    of a 1.4 s query over three days of posts. Off for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def local_days(utc_days: Iterable[date], zone: tzinfo) -> list[tuple[date, date]]:
    """The organisation's days overlapping these UTC dates, merged into ranges: the local
    days of a UTC date's first and last instant (one day in UTC, two elsewhere). A mark
    made with a day the rows store as it is (a time entry's, a follower count's) is among
    them, whatever the offset."""
    days = sorted(
        {
            moment.astimezone(zone).date()
            for d in utc_days
            for moment in (
                datetime.combine(d, time.min, tzinfo=UTC),
                datetime.combine(d, time.max, tzinfo=UTC),
            )
        }
    )
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def recompute_marked() -> int:
    """Recompute the days marked since the last pass; clear each mark only if it was not
    marked again meanwhile. Returns the number of (family, day) marks handled."""
    marks = list(DirtyDay.objects.values_list("family", "day", "version"))
    if not marks:
        return 0
    zone = organisation_zone()
    by_family: dict[str, list[date]] = {}
    for family, day, _ in marks:
        by_family.setdefault(family, []).append(day)
    for family, days in by_family.items():
        if family not in FAMILIES:
            continue
        for first, last in local_days(days, zone):
            recompute(family, first, last, zone=zone)
    for family, day, version in marks:
        DirtyDay.objects.filter(family=family, day=day, version=version).delete()
    return len(marks)


def recompute_recent(days: int = NIGHTLY_DAYS) -> None:
    today = organisation_today()
    zone = organisation_zone()
    for family in FAMILIES:
        recompute(family, today - timedelta(days=days), today, zone=zone)


def first_raw_day(zone: tzinfo) -> date | None:
    """The earliest day any raw row counts on."""
    moments = [
        Click.objects.aggregate(m=Min("clicked_at"))["m"],
        Conversion.objects.aggregate(m=Min("occurred_at"))["m"],
        ScheduledPost.objects.aggregate(m=Min("published_at"))["m"],
        Tweet.objects.aggregate(m=Min("created_at"))["m"],
        InboxItem.objects.aggregate(m=Min("received_at"))["m"],
        Conversation.objects.aggregate(m=Min("first_message_at"))["m"],
        SourceRun.objects.aggregate(m=Min("started_at"))["m"],
        StageChange.objects.aggregate(m=Min("at"))["m"],
        Interaction.objects.aggregate(m=Min("occurred_at"))["m"],
    ]
    days = [m.astimezone(zone).date() for m in moments if m is not None]
    days += [
        d
        for d in (
            FollowerCount.objects.aggregate(m=Min("day"))["m"],
            TimeEntry.objects.aggregate(m=Min("day"))["m"],
            Campaign.objects.filter(spend__gt=0).aggregate(m=Min("period_start"))["m"],
        )
        if d is not None
    ]
    return min(days) if days else None


def _chunks(first: date, last: date) -> list[tuple[date, date]]:
    chunks = []
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
        chunks.append((start, end))
        start = end + timedelta(days=1)
    return chunks


Progress = Callable[[int, int, str], None]


def rebuild(*, since: date | None = None, progress: Progress | None = None) -> int:
    """Recompute every family from `since` (default: the earliest raw row) to the end of
    the last campaign or today. Returns the rollup rows those days hold."""
    zone = organisation_zone()
    first = since or first_raw_day(zone)
    last = max(
        organisation_today(),
        Campaign.objects.filter(spend__gt=0)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
        or date.min,
    )
    if first is None:
        if since is None:
            DailyRollup.objects.all().delete()
        return 0
    if since is None:
        DailyRollup.objects.filter(day__lt=first).delete()
    DirtyDay.objects.all().delete()  # what they mark is about to be recomputed
    chunks = _chunks(first, last)
    written = 0
    steps = len(chunks) * len(FAMILIES)
    for n, (start, end) in enumerate(chunks):
        for m, family in enumerate(FAMILIES):
            written += recompute(family, start, end, zone=zone)
            if progress:
                progress(n * len(FAMILIES) + m + 1, steps, f"{start:%Y-%m}")
    if connection.vendor == "postgresql":
        # The table may have been rewritten whole: the planner's figures now, not when
        # autovacuum gets to it (until then, at full size it estimated the activities
        # page's 7,500 cells at one row).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {DailyRollup._meta.db_table}")
    return written


@dataclass(frozen=True)
class Difference:
    day: date
    metric: str
    dim: str
    dim_id: int
    stored: Decimal | None
    computed: Decimal | None


def verify(first: date, last: date, *, progress: Progress | None = None) -> list[Difference]:
    """Every rollup cell between first and last that differs from the raw rows."""
    zone = organisation_zone()
    differences: list[Difference] = []
    chunks = _chunks(first, last)
    steps = len(chunks) * len(FAMILIES)
    for n, (start, end) in enumerate(chunks):
        for m, (family, (_, metrics)) in enumerate(FAMILIES.items()):
            with transaction.atomic():
                _without_jit()
                cells = _cells(family, start, end, zone)
            computed = {k: (c.count + c.total, _listed(c.buckets)) for k, c in cells.items()}
            stored = {
                (r.day, r.metric, r.dim, r.dim_id): (r.count + r.total, r.buckets)
                for r in DailyRollup.objects.filter(
                    metric__in=metrics, day__gte=start, day__lte=end
                )
            }
            for key in sorted(set(computed) | set(stored)):
                if computed.get(key) != stored.get(key):
                    differences.append(
                        Difference(
                            *key,
                            (stored.get(key) or (None,))[0],
                            (computed.get(key) or (None,))[0],
                        )
                    )
            if progress:
                progress(n * len(FAMILIES) + m + 1, steps, f"{start:%Y-%m}")
    return differences
