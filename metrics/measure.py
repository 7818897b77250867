"""Reading the metrics: a metric's value over a range of days for a scope, or its series,
from the daily rollup only. None means "no data yet": the scope has never had a row of the
metric's kind up to the range's end (a measured zero is 0). Ratios (conversion rate, cost
per conversion, ROI) are the ratio of the range's sums, never an average of daily ratios;
followers and the pipeline's value, levels, take the last cell on or before the range's
end."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from metrics.facts import FAMILIES, FAMILY_OF
from metrics.histogram import combine, quantile
from metrics.models import DailyRollup, Dim


@dataclass(frozen=True)
class Scope:
    dim: str = Dim.ORG
    id: int = 0


ORG = Scope()

LEVELS = frozenset({"followers", "pipeline_value"})


def _ratio(
    numerator: Decimal | None, denominator: Decimal | None, scale: int = 1
) -> Decimal | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator * scale / denominator


def _sum(*values: Decimal | None) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, Decimal(0)) if known else None


def _roi(v: dict[str, Decimal | None]) -> Decimal | None:
    cost = _sum(v["staff_cost"], v["campaign_spend"])
    if v["revenue"] is None or cost is None:
        return None
    return _ratio(v["revenue"] - cost, cost, 100)


# Metrics computed from other metrics' sums over the same range: (inputs, formula).
DERIVED: dict[
    str, tuple[tuple[str, ...], Callable[[dict[str, Decimal | None]], Decimal | None]]
] = {
    "conversion_rate": (
        ("conversions", "unique_clicks"),
        lambda v: _ratio(v["conversions"], v["unique_clicks"], 100),
    ),
    "cost": (
        ("staff_cost", "campaign_spend"),
        lambda v: _sum(v["staff_cost"], v["campaign_spend"]),
    ),
    "cost_per_conversion": (
        ("staff_cost", "campaign_spend", "conversions"),
        lambda v: _ratio(_sum(v["staff_cost"], v["campaign_spend"]), v["conversions"]),
    ),
    "roi": (("revenue", "staff_cost", "campaign_spend"), _roi),
    "avg_hours_in_stage": (
        ("hours_in_stage", "stage_exits"),
        lambda v: _ratio(v["hours_in_stage"], v["stage_exits"]),
    ),
    "sla_met_share": (
        ("sla_responses_met", "sla_responses"),
        lambda v: _ratio(v["sla_responses_met"], v["sla_responses"], 100),
    ),
    "positive_sentiment_share": (
        ("conversations_positive", "conversations_neutral", "conversations_negative"),
        lambda v: _ratio(
            v["conversations_positive"],
            _sum(
                v["conversations_positive"], v["conversations_neutral"], v["conversations_negative"]
            ),
            100,
        ),
    ),
}

# Durations read off the range's histogram buckets (metrics.histogram): (stored metric, q).
QUANTILES: dict[str, tuple[str, float]] = {
    "median_first_response_minutes": ("first_response_minutes", 0.5),
    "p90_first_response_minutes": ("first_response_minutes", 0.9),
    "median_first_response_business_minutes": ("first_response_business_minutes", 0.5),
    "p90_first_response_business_minutes": ("first_response_business_minutes", 0.9),
}
BUCKETED = frozenset(stored for stored, _ in QUANTILES.values())

# The spread of first responses: (label, the histogram buckets it adds up). The
# histogram's bounds include 60, 240, 480 and 1440 minutes, so the bands are exact.
SPREAD: tuple[tuple[str, range], ...] = (
    ("0–1 h", range(0, 7)),
    ("1–4 h", range(7, 9)),
    ("4–8 h", range(9, 10)),
    ("8–24 h", range(10, 11)),
    ("24 h+", range(11, 13)),
)


def is_computed(key: str) -> bool:
    """Whether the product measures this metric from its data (else: entered by hand, or
    not measured yet: the inbox and prospects metrics)."""
    return key in FAMILY_OF or key in DERIVED or key in QUANTILES


def stored_inputs(key: str) -> tuple[str, ...]:
    if key in DERIVED:
        return DERIVED[key][0]
    if key in QUANTILES:
        return (QUANTILES[key][0],)
    return (key,) if key in FAMILY_OF else ()


def _first_days(keys: Sequence[tuple[str, Scope]], last: date) -> list[tuple[str, Scope, date]]:
    """The first day on or before `last` each (metric, scope) has a row, for those that
    have one, in one query: a MIN per key, which the database answers from the start of
    the key's range in the unique index (metric, dim, dim_id, day). A MIN grouped by key
    had read every row of every key back to the first (two years of days: 40 ms of the
    home page's 64 KPIs at full size, against 1 ms). The keys are a VALUES list, whose
    columns PostgreSQL and SQLite both name column1, column2, …"""
    quote, meta = connection.ops.quote_name, DailyRollup._meta
    metric, dim, dim_id, day = (
        quote(meta.get_field(name).column) for name in ("metric", "dim", "dim_id", "day")
    )
    keys_sql = ", ".join(["(%s, %s, %s)"] * len(keys))
    sql = (
        f"SELECT k.column1, k.column2, k.column3, (SELECT MIN(r.{day}) "
        f"FROM {quote(meta.db_table)} r WHERE r.{metric} = k.column1 AND r.{dim} = k.column2 "
        f"AND r.{dim_id} = k.column3 AND r.{day} <= %s) FROM (VALUES {keys_sql}) AS k"
    )
    params: list[object] = [last]
    for key_metric, scope in keys:
        params += [key_metric, str(scope.dim), scope.id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (row_metric, Scope(row_dim, int(row_id)), _as_date(since))
        for row_metric, row_dim, row_id, since in rows
        if since is not None
    ]


def _as_date(value: date | str) -> date:
    # SQLite answers a raw query's dates as text.
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass(frozen=True)
class Request:
    metric: str
    scope: Scope
    first: date
    last: date


class Table:
    """The rollup rows a set of requests needs, read in two queries."""

    def __init__(self, requests: Sequence[Request]) -> None:
        stored = {m for r in requests for m in stored_inputs(r.metric)}
        scopes = {r.scope for r in requests}
        self.daily: dict[tuple[str, Scope], dict[date, Decimal]] = defaultdict(dict)
        # The first day each (family, scope) has any row: before it, "no data yet".
        self.since: dict[tuple[str, Scope], date] = {}
        # Durations' buckets per day, for quantiles and the spread.
        self.buckets: dict[tuple[str, Scope], dict[date, list[int]]] = defaultdict(dict)
        self._indexes: dict[tuple[str, Scope], tuple[list, list, list]] = {}
        if not stored or not requests:
            return
        where = Q()
        for scope in scopes:
            where |= Q(dim=scope.dim, dim_id=scope.id)
        first = min(r.first for r in requests)
        last = max(r.last for r in requests)
        families = {FAMILY_OF[m] for m in stored}
        family_metrics = [m for f in families for m in FAMILIES[f][1]]
        for metric, scope, since in _first_days(
            [(m, scope) for m in family_metrics for scope in scopes], last
        ):
            key = (FAMILY_OF[metric], scope)
            self.since[key] = min(since, self.since.get(key, since))
        # Levels look back before the range for their last snapshot.
        level_first = {m: None for m in stored if m in LEVELS}
        rows = DailyRollup.objects.filter(where, metric__in=stored, day__lte=last)
        rows = rows.filter(Q(day__gte=first) | Q(metric__in=list(level_first)))
        # One dict per (metric, scope) looked up once, not a Scope built per row: a page
        # reads thousands of rows (a third of this loop's time).
        days_of: dict[tuple[str, str, int], dict[date, Decimal]] = {}
        for metric, dim, dim_id, day, count, total, buckets in rows.values_list(
            "metric", "dim", "dim_id", "day", "count", "total", "buckets"
        ).order_by():
            days = days_of.get((metric, dim, dim_id))
            if days is None:
                days = days_of[(metric, dim, dim_id)] = self.daily[(metric, Scope(dim, dim_id))]
            days[day] = total + count
            if buckets is not None and metric in BUCKETED:
                self.buckets[(metric, Scope(dim, dim_id))][day] = buckets

    def _index(self, key: tuple[str, Scope]) -> tuple[list[date], list[Decimal], list[Decimal]]:
        """The key's days in order, their values and running totals (built once), so each
        period is two bisections: a series of three years of days had cost each point a
        pass over every day (143 ms for 1,096 points)."""
        index = self._indexes.get(key)
        if index is None:
            days = sorted(self.daily.get(key, {}).items())
            running, total = [Decimal(0)], Decimal(0)
            for _, value in days:
                total += value
                running.append(total)
            index = self._indexes[key] = ([d for d, _ in days], [v for _, v in days], running)
        return index

    def _stored(self, metric: str, scope: Scope, first: date, last: date) -> Decimal | None:
        since = self.since.get((FAMILY_OF[metric], scope))
        if since is None or since > last:
            return None
        days, values, running = self._index((metric, scope))
        end = bisect_right(days, last)
        if metric in LEVELS:
            return values[end - 1] if end else None
        return running[end] - running[min(bisect_left(days, first), end)]

    def histogram(self, metric: str, scope: Scope, first: date, last: date) -> list[int] | None:
        """The stored durations' buckets added up over the range; None: no data yet."""
        since = self.since.get((FAMILY_OF[metric], scope))
        if since is None or since > last:
            return None
        days = self.buckets.get((metric, scope), {})
        return combine(b for day, b in days.items() if first <= day <= last)

    def value(self, metric: str, scope: Scope, first: date, last: date) -> Decimal | None:
        if metric in QUANTILES:
            stored, q = QUANTILES[metric]
            buckets = self.histogram(stored, scope, first, last)
            found = quantile(buckets, q) if buckets else None
            return None if found is None else Decimal(str(round(found, 2)))
        if metric in DERIVED:
            inputs, formula = DERIVED[metric]
            return formula({m: self._stored(m, scope, first, last) for m in inputs})
        if metric in FAMILY_OF:
            return self._stored(metric, scope, first, last)
        return None


def spread(buckets: Sequence[int] | None) -> list[tuple[str, int]] | None:
    """First responses per band (SPREAD) from added-up buckets; None: no data yet."""
    if buckets is None:
        return None
    return [(label, sum(buckets[n] for n in band)) for label, band in SPREAD]


def metric_value(metric: str, *, scope: Scope = ORG, first: date, last: date) -> Decimal | None:
    return Table([Request(metric, scope, first, last)]).value(metric, scope, first, last)


def values(requests: Sequence[Request]) -> list[Decimal | None]:
    """Many values in two queries (a page's KPIs, a table of departments)."""
    table = Table(requests)
    return [table.value(r.metric, r.scope, r.first, r.last) for r in requests]


INTERVALS = ("day", "week", "month")


def periods(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """first..last cut into days, ISO weeks (Monday first) or calendar months; the first
    and last period are clipped to the range."""
    out: list[tuple[date, date]] = []
    start = first
    while start <= last:
        if interval == "day":
            end = start
        elif interval == "week":
            end = start + timedelta(days=6 - start.weekday())
        elif interval == "month":
            following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
            end = following - timedelta(days=1)
        else:
            raise ValueError(f"unknown interval {interval!r}")
        end = min(end, last)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


@dataclass(frozen=True)
class Point:
    start: date
    end: date
    value: Decimal | None


def metric_series(
    metric: str, *, scope: Scope = ORG, first: date, last: date, interval: str = "day"
) -> list[Point]:
    cuts = periods(first, last, interval)
    table = Table([Request(metric, scope, first, last)])
    return [Point(a, b, table.value(metric, scope, a, b)) for a, b in cuts]


def series_many(requests: Iterable[Request], *, interval: str) -> list[list[Point]]:
    """Several series in two queries (a page's sparklines)."""
    requests = list(requests)
    table = Table(requests)
    return [
        [
            Point(a, b, table.value(r.metric, r.scope, a, b))
            for a, b in periods(r.first, r.last, interval)
        ]
        for r in requests
    ]
