"""KPI progress: a KPI's actual over its goal's period and scope, what is expected of it by
now, where it is heading, and its red/amber/green.

Where the actual comes from:
- metrics the product computes (metrics.measure.is_computed): the metric over the goal's
  period up to today (period_start .. min(today, period_end)) in the KPI's scope, read
  from the daily rollup; a page's KPIs are read together (one measure.Table: two
  queries however many KPIs);
- metrics entered by hand (custom): the latest measurement on or before today;
- the inbox's metrics: no data yet, until its issue computes them.

How it is judged (the one rule, everywhere: home, department, goal and KPI pages, API):
1. Reach (a total that adds up over the period): the target pro rata, target × the share
   of the period's days that are over by the time of the actual, is what is expected by
   now; score = actual ÷ expected.
2. Stay above (a level or a ratio, compared as it is): score = actual ÷ target.
3. Stay below: score = target ÷ actual (at or under the target scores 100 % or more).
4. Green from `green_from` % (default 99), amber from `amber_from` % (default 81), red
   below. No actual: "no data yet", grey, never red. Nothing expected yet (the period's
   first day) is green. A target of zero or below has no percentage: green when met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from django.utils.safestring import SafeString

from departments.models import KPI
from metrics.measure import LEVELS, Point, Request, Scope, Table, is_computed, periods
from metrics.models import Dim
from metrics.registry import entered_by_hand, is_total
from socialops.charts import sparkline_svg


class Rag(StrEnum):
    NO_DATA = "no_data"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


RAG_LABELS = {
    Rag.NO_DATA: "No data yet",
    Rag.GREEN: "Green",
    Rag.AMBER: "Amber",
    Rag.RED: "Red",
}


class Source(StrEnum):
    DATA = "data"  # measured from the product's own rows
    HAND = "hand"  # typed in by people
    NOT_YET = "not_yet"  # the inbox's metrics, until they are computed


HUNDRED = Decimal(100)


def _number(value: Decimal) -> str:
    """A figure for the hover text: thousands separated, at most two decimals."""
    text = f"{value:,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class KPIProgress:
    kpi: KPI
    source: Source
    actual: Decimal | None
    as_of: date | None  # the last day the actual counts (or the measurement's day)
    first: date  # the goal's period
    last: date
    days_total: int
    days_gone: int  # days of the period over by the time of the actual
    expected: Decimal | None  # reach: target pro rata by `as_of`
    projected: Decimal | None  # the end of the period's value at the current rate
    needed_per_day: Decimal | None  # to end on target, per day left (levels and totals)
    rag: Rag
    rag_rule: str
    note: str = ""  # why there is no data, when there is none
    points: list[tuple[date, Decimal | None]] = field(default_factory=list)

    @property
    def target(self) -> Decimal:
        return self.kpi.target

    @property
    def baseline(self) -> Decimal | None:
        return self.kpi.baseline

    @property
    def rag_label(self) -> str:
        return RAG_LABELS[self.rag]

    @property
    def share_gone(self) -> float:
        return self.days_gone / self.days_total

    @property
    def share_gone_percent(self) -> int:
        return round(self.share_gone * 100)

    @property
    def percent_of_target(self) -> int | None:
        if self.actual is None or self.kpi.target == 0:
            return None
        return round(self.actual * HUNDRED / self.kpi.target)

    @property
    def bar_percent(self) -> int:
        return max(0, min(100, self.percent_of_target or 0))

    @property
    def per_day_label(self) -> str:
        """needed_per_day's name: for a total to stay below, the room each day has left."""
        below = self.kpi.direction == KPI.Direction.BELOW
        # A typed-in value is read as a level (see _projection); a computed total adds up.
        if below and self.source == Source.DATA and is_total(self.kpi.metric):
            return "Room per day left"
        return "Needed per day left"

    @property
    def days_left(self) -> int:
        return self.days_total - self.days_gone

    @cached_property
    def sparkline(self) -> SafeString:
        """The actual over the period so far (a running total for a total), with the
        target: pro rata from zero for a total, a flat line otherwise."""
        if not any(v is not None for _, v in self.points):
            return SafeString("")
        reach = self.kpi.direction == KPI.Direction.REACH
        return sparkline_svg(
            [((day - self.first).days + 1, value) for day, value in self.points],
            span=self.days_total,
            target=self.kpi.target,
            target_from_zero=reach,
            label=f"{self.kpi.label}: {self.rag_label}",
        )


def kpi_scope(kpi: KPI) -> Scope | None:
    """The rollup scope a KPI is measured in; None when its account or campaign is gone."""
    if kpi.scope == KPI.Scope.ORGANISATION:
        return Scope(Dim.ORG, 0)
    if kpi.scope == KPI.Scope.DEPARTMENT:
        return Scope(Dim.DEPARTMENT, kpi.goal.department_id)
    if kpi.scope == KPI.Scope.ACCOUNT and kpi.account_id:
        return Scope(Dim.ACCOUNT, kpi.account_id)
    if kpi.scope == KPI.Scope.CAMPAIGN and kpi.campaign_id:
        return Scope(Dim.CAMPAIGN, kpi.campaign_id)
    return None  # its account or campaign was deleted


def _interval(days: int) -> str:
    # A sparkline needs no more than a few dozen points (each is a sum over its days).
    return "day" if days <= 31 else "week" if days <= 190 else "month"


def _days_gone(first: date, last: date, as_of: date, today: date) -> int:
    """Days of first..last over by the time of a figure as of `as_of`: a figure of today
    counts today only in part, so today is not yet over."""
    end = as_of if as_of < today else as_of - timedelta(days=1)
    return max(0, min((last - first).days + 1, (end - first).days + 1))


def _score(kpi: KPI, actual: Decimal, expected: Decimal | None) -> Decimal | None:
    """Percent of the (pro-rated) target by the KPI's direction; None when there is no
    percentage (nothing expected yet, or a target of zero or below)."""
    if kpi.direction == KPI.Direction.REACH:
        return None if not expected or expected <= 0 else actual * HUNDRED / expected
    if kpi.target <= 0:
        return None
    if kpi.direction == KPI.Direction.ABOVE:
        return actual * HUNDRED / kpi.target
    return HUNDRED * 1000 if actual <= 0 else kpi.target * HUNDRED / actual


def _rag(kpi: KPI, actual: Decimal, expected: Decimal | None) -> Rag:
    score = _score(kpi, actual, expected)
    if score is None:
        met = {
            KPI.Direction.REACH: True,  # nothing expected yet
            KPI.Direction.ABOVE: actual >= kpi.target,
            KPI.Direction.BELOW: actual <= kpi.target,
        }[kpi.direction]
        return Rag.GREEN if met else Rag.RED
    if score >= kpi.green_from:
        return Rag.GREEN
    if score >= kpi.amber_from:
        return Rag.AMBER
    return Rag.RED


def rag_rule(kpi: KPI, expected: Decimal | None = None) -> str:
    """The rule in words, with today's thresholds, for the badge's hover text."""
    g, a = kpi.green_from, kpi.amber_from
    target = kpi.target
    if kpi.direction == KPI.Direction.REACH:
        by_now = "" if expected is None else f" ({_number(expected)} by now)"
        return (
            f"Reach {_number(target)} over the period. Green at {g} % or more of the "
            f"target pro rata{by_now}, amber from {a} %, red below."
        )
    if target <= 0:
        side = "at or above" if kpi.direction == KPI.Direction.ABOVE else "at or below"
        return f"Green when {side} {_number(target)}, red otherwise."
    if kpi.direction == KPI.Direction.ABOVE:
        return (
            f"Stay above {_number(target)}. Green from {g} % of it "
            f"({_number(target * g / HUNDRED)}), amber from {a} % "
            f"({_number(target * a / HUNDRED)}), red below."
        )
    return (
        f"Stay below {_number(target)}. Green while at most {_number(target * HUNDRED / g)} "
        f"(the target is {g} % of it), amber up to {_number(target * HUNDRED / a)} "
        f"({a} %), red above."
    )


def _projection(
    kpi: KPI,
    actual: Decimal,
    points: list[tuple[date, Decimal | None]],
    *,
    first: date,
    last: date,
    as_of: date,
    days_gone: int,
    level: bool,
) -> tuple[Decimal | None, Decimal | None]:
    """(projected end value, needed per remaining day).
    - a total: its rate over the days gone, carried to the end (so it is on target exactly
      when it is at its pro-rated target); needed: what is missing ÷ days left;
    - a level (followers, a number typed in by hand): the straight line through its first
      and latest value in the period; needed: the change per day left to end on target;
    - a ratio: as it stands; nothing per day (a ratio does not add up by days)."""
    days_total = (last - first).days + 1
    days_left = days_total - days_gone
    if kpi.direction == KPI.Direction.REACH or (is_total(kpi.metric) and not level):
        projected = actual * days_total / max(1, days_gone)
        missing = max(Decimal(0), kpi.target - actual)
        return projected, (missing / days_left if days_left > 0 else None)
    if not level:
        return actual, None
    known = [(day, value) for day, value in points if value is not None and day >= first]
    projected = actual
    if len(known) >= 2 and known[-1][0] > known[0][0]:
        slope = (known[-1][1] - known[0][1]) / (known[-1][0] - known[0][0]).days
        projected = actual + slope * max(0, (last - as_of).days)
    gap = kpi.target - actual
    on_the_right_side = gap <= 0 if kpi.direction == KPI.Direction.ABOVE else gap >= 0
    needed = Decimal(0) if on_the_right_side else gap
    return projected, (needed / days_left if days_left > 0 else None)


def _running(points: list[Point], total: bool) -> list[tuple[date, Decimal | None]]:
    """A series as the KPI reads it at each point's end: a total adds up from the start."""
    out: list[tuple[date, Decimal | None]] = []
    running: Decimal | None = None
    for point in points:
        if total and point.value is not None:
            running = (running or Decimal(0)) + point.value
            out.append((point.end, running))
        else:
            out.append((point.end, running if total else point.value))
    return out


def kpi_requests(kpis: Sequence[KPI], *, today: date) -> dict[int, Request]:
    """What each computed KPI reads from the rollup (by KPI id): its metric over its
    goal's period so far, in its scope."""
    requests: dict[int, Request] = {}
    for kpi in kpis:
        goal = kpi.goal
        scope = kpi_scope(kpi)
        if is_computed(kpi.metric) and scope is not None and today >= goal.period_start:
            last = min(today, goal.period_end)
            requests[kpi.pk] = Request(kpi.metric, scope, goal.period_start, last)
    return requests


def kpi_progress_many(
    kpis: Sequence[KPI], *, today: date, series: bool = True, table: Table | None = None
) -> list[KPIProgress]:
    """Every KPI's progress. The computed ones are read together from one measure.Table
    (two queries for the page, as measure.values and measure.series_many would each
    take): the actual over the whole period so far, and the series cut into days, weeks
    or months for the sparkline. Hand-typed KPIs read their prefetched
    `recent_measurements` (departments.selectors). `series=False` leaves the computed
    KPIs' sparklines out (the API answers none). `table`: one the page has already read
    with kpi_requests' requests among its own (its other figures), so the page reads
    the rollup once."""
    requests = kpi_requests(kpis, today=today)
    if table is None:
        table = Table(list(requests.values()))
    found: dict[int, tuple[Decimal | None, list[Point]]] = {}
    for pk, r in requests.items():
        points = []
        if series:
            cuts = periods(r.first, r.last, _interval((r.last - r.first).days + 1))
            points = [Point(a, b, table.value(r.metric, r.scope, a, b)) for a, b in cuts]
        found[pk] = (table.value(r.metric, r.scope, r.first, r.last), points)
    return [_progress(kpi, today, *found.get(kpi.pk, (None, None))) for kpi in kpis]


def kpi_progress(*, kpi: KPI, today: date) -> KPIProgress:
    return kpi_progress_many([kpi], today=today)[0]


def _progress(
    kpi: KPI, today: date, actual: Decimal | None, points: list[Point] | None
) -> KPIProgress:
    goal = kpi.goal
    first, last = goal.period_start, goal.period_end
    days_total = (last - first).days + 1
    note = ""
    spark: list[tuple[date, Decimal | None]] = []
    as_of: date | None = None
    level = False
    if entered_by_hand(kpi.metric):
        source = Source.HAND
        level = kpi.direction != KPI.Direction.REACH
        recent = getattr(kpi, "recent_measurements", None)
        history = sorted(
            recent if recent is not None else kpi.measurements.all(),
            key=lambda m: m.measured_on,
        )
        history = [m for m in history if m.measured_on <= today]
        if history:
            actual, as_of = history[-1].value, history[-1].measured_on
            spark = [(m.measured_on, m.value) for m in history if first <= m.measured_on <= last]
        else:
            note = "No measurement yet."
    elif is_computed(kpi.metric):
        source = Source.DATA
        level = kpi.metric in LEVELS
        if today < first:
            note = f"The period starts on {first:%d %b %Y}."
        elif kpi_scope(kpi) is None:
            note = f"Its {kpi.get_scope_display().lower().removeprefix('one ')} was deleted."
        else:
            as_of = min(today, last)
            spark = _running(points or [], is_total(kpi.metric))
            if actual is None:
                note = "Nothing counted in this scope yet."
    else:
        source = Source.NOT_YET
        note = "Measured once the inbox arrives."
    if actual is None or as_of is None:
        return KPIProgress(
            kpi=kpi,
            source=source,
            actual=None,
            as_of=None,
            first=first,
            last=last,
            days_total=days_total,
            days_gone=_days_gone(first, last, today, today),
            expected=None,
            projected=None,
            needed_per_day=None,
            rag=Rag.NO_DATA,
            rag_rule=rag_rule(kpi) + " No data yet: " + (note or "nothing to compare."),
            note=note,
            points=spark,
        )
    days_gone = _days_gone(first, last, as_of, today)
    expected = None
    if kpi.direction == KPI.Direction.REACH:
        expected = kpi.target * days_gone / days_total
    projected, needed = _projection(
        kpi, actual, spark, first=first, last=last, as_of=as_of, days_gone=days_gone, level=level
    )
    return KPIProgress(
        kpi=kpi,
        source=source,
        actual=actual,
        as_of=as_of,
        first=first,
        last=last,
        days_total=days_total,
        days_gone=days_gone,
        expected=expected,
        projected=projected,
        needed_per_day=needed,
        rag=_rag(kpi, actual, expected),
        rag_rule=rag_rule(kpi, expected),
        points=spark,
    )


def rag_counts(progresses: Sequence[KPIProgress]) -> dict[str, int]:
    counts = {rag.value: 0 for rag in Rag}
    for progress in progresses:
        counts[progress.rag.value] += 1
    return counts
