"""Marks for the metrics rollups: every service that lands or changes raw rows that
metrics count (clicks, conversions, posts, time entries, …) calls mark() in the same
transaction, naming the row family and when the rows happened. metrics.rollups reads the
marks and recomputes only the days they touch; a mark is cleared only once metrics has
read what it stands for (DirtyDay.version)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from celery import current_app
from django.db import connections, transaction
from django.db.models import DateTimeField, QuerySet

from socialops.models import DirtyDay


class Family:
    """The families of raw rows metrics rolls up (metrics.facts computes each)."""

    CLICKS = "clicks"
    CONVERSIONS = "conversions"
    POSTS = "posts"  # published posts and their X metrics
    MENTIONS = "mentions"
    FOLLOWERS = "followers"
    TIME = "time"  # the time log
    SPEND = "spend"  # campaign spend
    X_SPEND = "x_spend"  # X API reads
    PROSPECTS = "prospects"  # prospects added, their stage changes, reps' touches
    INBOX = "inbox"  # conversations: responses, answers sent, resolutions, sentiment

    ALL = (
        CLICKS,
        CONVERSIONS,
        POSTS,
        MENTIONS,
        FOLLOWERS,
        TIME,
        SPEND,
        X_SPEND,
        PROSPECTS,
        INBOX,
    )


# Days one INSERT marks (two parameters each).
MARK_BATCH = 1000


def _utc_day(moment: date | datetime) -> date:
    if isinstance(moment, datetime):
        return (moment.astimezone(UTC) if moment.tzinfo else moment).date()
    return moment


def mark(family: str, moments: Iterable[date | datetime | None], *, using: str = "default") -> None:
    """Record that rows of `family` dated `moments` (datetimes, or days as the rows store
    them) landed or changed. Call it inside the transaction that writes the rows."""
    if family not in Family.ALL:
        raise ValueError(f"unknown metrics family {family!r}")
    days = sorted({_utc_day(m) for m in moments if m is not None})
    if not days:
        return
    table = DirtyDay._meta.db_table
    with connections[using].cursor() as cursor:
        # In slices: a campaign may span centuries, and both back ends cap the
        # parameters of one statement.
        for start in range(0, len(days), MARK_BATCH):
            batch = days[start : start + MARK_BATCH]
            placeholders = ", ".join(["(%s, %s, 1)"] * len(batch))
            params: list[object] = []
            for day in batch:
                params += [family, day]
            # An upsert both back ends speak (SQLite ≥ 3.24): a second mark of the same
            # day bumps the version, so the reader clears only the marks it saw.
            cursor.execute(
                f"INSERT INTO {table} (family, day, version) VALUES {placeholders} "
                f"ON CONFLICT (family, day) DO UPDATE SET version = {table}.version + 1",
                params,
            )


def mark_all(family: str, first: date, last: date) -> None:
    """Mark every day from `first` to `last`, e.g. after an attribution changed (a link
    moved to another campaign): the reader recomputes them all."""
    mark(family, (first + timedelta(days=n) for n in range((last - first).days + 1)))


def mark_rows(family: str, rows: QuerySet, field: str) -> None:
    """Mark every day on which `rows` have `field` (a date or datetime field of their
    model), e.g. each day a campaign has clicks before the campaign changes department:
    the rows did not change, whom they are attributed to did. One query for the days."""
    if isinstance(rows.model._meta.get_field(field), DateTimeField):
        moments = rows.datetimes(field, "day", tzinfo=UTC)
    else:
        moments = rows.dates(field, "day")
    mark(family, moments, using=rows.db)


def rebuild_later() -> None:
    """For a change every day's figures may depend on (the organisation's time zone, a
    department or a person deleted with what was theirs): queue metrics' rebuild of the
    whole rollup once this transaction commits. By name: metrics sits above every app.
    Robust: a broker that is away does not undo the change (the nightly pass and the
    next rebuild catch up)."""
    transaction.on_commit(lambda: current_app.send_task("metrics.rebuild"), robust=True)
