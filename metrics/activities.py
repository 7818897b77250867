"""Which activities pay off ("invest your time wisely"): per department, ISO week and
activity kind (post, thread, reply, quote, repost; direct messages and other work from the
time log), what they brought — posts, clicks, unique visitors, conversions, revenue,
replies and engagements received — beside the hours logged and the department's X API
spend, each per hour and per dollar with a 95 % interval. Read from the daily rollup's
department × activity cells (metrics.facts says what each counts and whose it is); every
signed-in member may read it, as the department pages."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncWeek

from departments.models import Department
from metrics import facts
from metrics.models import DailyRollup, Dim

ACTIVITY_ORDER = (
    facts.ACTIVITY_POST,
    facts.ACTIVITY_THREAD,
    facts.ACTIVITY_REPLY,
    facts.ACTIVITY_QUOTE,
    facts.ACTIVITY_REPOST,
    facts.ACTIVITY_DM,
    facts.ACTIVITY_OTHER,
)
KIND_OF_ACTIVITY = {code: kind for kind, code in facts.POST_KIND_ACTIVITY.items()}
# Below these, a row's rates say "too few to tell".
MIN_POSTS = 5
MIN_HOURS = Decimal(2)
# The most weeks one table covers.
MAX_WEEKS = 26
Z95 = 1.96


@dataclass(frozen=True)
class Rate:
    """A rate with its 95 % interval (None where it cannot be told)."""

    value: float
    low: float | None
    high: float | None


def count_rate(count: int, exposure: Decimal | None) -> Rate | None:
    """count ÷ exposure with a 95 % interval, the count taken as Poisson: normal
    approximation count ± 1.96 √count (lower end at 0); for a count of 0, the exact upper
    end −ln 0.025 ≈ 3.69."""
    if not exposure:
        return None
    x = float(exposure)
    if count == 0:
        return Rate(0.0, 0.0, -math.log(0.025) / x)
    spread = Z95 * math.sqrt(count)
    return Rate(count / x, max(0.0, count - spread) / x, (count + spread) / x)


def amount_rate(amount: Decimal, count: int, exposure: Decimal | None) -> Rate | None:
    """An amount (revenue) ÷ exposure; its interval takes the number of conversions behind
    it as Poisson and their average value as fixed: amount × (1 ± 1.96 / √count)."""
    if not exposure:
        return None
    x = float(exposure)
    value = float(amount) / x
    if count == 0:
        return Rate(value, None, None)
    spread = Z95 / math.sqrt(count)
    return Rate(value, max(0.0, value * (1 - spread)), value * (1 + spread))


ACTIVITY_MEASURES = (
    ("posts", "Posts"),
    ("clicks", "Clicks"),
    ("visitors", "Unique visitors"),
    ("conversions", "Conversions"),
    ("revenue", "Revenue"),
    ("replies", "Replies received"),
    ("engagements", "Engagements"),
)


@dataclass
class ActivityRow:
    week: date  # its Monday
    department_id: int
    activity: int
    department: Department | None = None
    hours: Decimal = Decimal(0)
    x_spend: Decimal | None = None  # the department's X API spend that week
    posts: int = 0
    clicks: int = 0
    visitors: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal(0)
    replies: int = 0
    engagements: int = 0
    cells: list[dict] = field(default_factory=list)

    @property
    def label(self) -> str:
        return facts.ACTIVITY_LABELS[self.activity]

    @property
    def week_end(self) -> date:
        return self.week + timedelta(days=6)

    @property
    def is_post_kind(self) -> bool:
        return self.activity in KIND_OF_ACTIVITY

    @property
    def kind(self) -> str:
        return KIND_OF_ACTIVITY.get(self.activity, "")

    @property
    def awaits_inbox(self) -> bool:
        return self.activity == facts.ACTIVITY_DM

    @property
    def too_few(self) -> bool:
        """Too few posts or hours for its rates to mean much (rows of other work and
        direct messages have no rates)."""
        return self.is_post_kind and (self.posts < MIN_POSTS or self.hours < MIN_HOURS)

    def finish(self) -> None:
        """Each measure with its rates per hour and per dollar of X API spend."""
        self.cells = []
        for key, label in ACTIVITY_MEASURES:
            value = getattr(self, key)
            if key == "revenue":
                per_hour = amount_rate(value, self.conversions, self.hours)
                per_dollar = amount_rate(value, self.conversions, self.x_spend)
            else:
                per_hour = count_rate(value, self.hours)
                per_dollar = count_rate(value, self.x_spend)
            self.cells.append(
                {"key": key, "label": label, "value": value, "hour": per_hour, "dollar": per_dollar}
            )


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


# Where each of a row's figures comes from: the rollup's metric.
ROW_METRICS = {
    "posts_published": "posts",
    "link_clicks": "clicks",
    "unique_clicks": "visitors",  # unique per day, as everywhere in the rollup
    "conversions": "conversions",
    "revenue": "revenue",
    "replies_received": "replies",
    "engagements": "engagements",
    "hours_spent": "hours",
}
COUNTS = frozenset({"posts", "clicks", "visitors", "conversions", "replies", "engagements"})


def activity_table(
    *,
    first: date,
    last: date,
    department: Department | None = None,
    zone: tzinfo | None = None,
    currency: str | None = None,
) -> list[ActivityRow]:
    """Per department, ISO week and activity kind over first..last (whole weeks, as the
    filter form gives them), from the daily rollup — so in the organisation's time zone,
    revenue in its currency; `zone` and `currency` are the callers' and change nothing.

    1. The department × activity cells of the row's metrics (ROW_METRICS), summed per week
       in one query; the departments' X API spend per week in another.
    2. Rows keyed (week, department, activity) collect them; spend is the department's,
       shared by its activities (its sources have no activity).
    3. Each row gets its rates and intervals (ActivityRow.finish).

    Hours: each day's cell holds minutes ÷ 60 to four places; a week's sum rounded to the
    hundredth is the raw rows' (a sum of minutes ÷ 60 is never within 0.0017 of a half
    hundredth, seven days' rounding moves it at most 0.00035)."""
    cells = DailyRollup.objects.filter(
        dim=Dim.DEPARTMENT_ACTIVITY, metric__in=ROW_METRICS, day__gte=first, day__lte=last
    )
    spent = DailyRollup.objects.filter(
        dim=Dim.DEPARTMENT, metric="x_api_spend", day__gte=first, day__lte=last
    )
    if department is not None:
        low, high = facts.department_activity_ids(department.pk)
        cells = cells.filter(dim_id__gte=low, dim_id__lt=high)
        spent = spent.filter(dim_id=department.pk)
    rows: dict[tuple[date, int, int], ActivityRow] = {}
    for metric, dim_id, week, count, total in _weekly(cells):
        department_id, activity = facts.department_activity_of(dim_id)
        key = (week, department_id, activity)
        if key not in rows:
            rows[key] = ActivityRow(week=week, department_id=department_id, activity=activity)
        name = ROW_METRICS[metric]
        setattr(rows[key], name, int(count) if name in COUNTS else total)
    spend = {(week, dim_id): total for _, dim_id, week, _, total in _weekly(spent)}

    departments = {d.pk: d for d in Department.objects.filter(pk__in={k[1] for k in rows})}
    order = {code: n for n, code in enumerate(ACTIVITY_ORDER)}
    out = sorted(
        rows.values(),
        key=lambda r: (
            -r.week.toordinal(),
            departments[r.department_id].name if r.department_id in departments else "",
            order.get(r.activity, 99),
        ),
    )
    for r in out:
        r.department = departments.get(r.department_id)
        r.hours = r.hours.quantize(Decimal("0.01"))
        r.x_spend = spend.get((r.week, r.department_id))
        r.finish()
    return out


def _weekly(cells) -> list[tuple[str, int, date, int, Decimal]]:
    """(metric, dim id, Monday, count, total) summed per ISO week."""
    return list(
        cells.annotate(week=TruncWeek("day"))
        .values_list("metric", "dim_id", "week")
        .annotate(count=Sum("count"), total=Sum("total"))
        .order_by()
    )
