"""Reads for the dashboards: a department's figures over a period beside the period before
(from the daily rollup, metrics.measure), its top posts and campaigns, and what the marketing
overview lists (which activities pay off: metrics.activities). Every signed-in member may
read all of it, as the department pages."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber
from django.utils import timezone

from campaigns.calendar import selectors as calendar_selectors
from campaigns.calendar.models import PostEvent, ScheduledPost
from campaigns.models import Campaign
from departments import selectors as department_selectors
from departments.models import Department, Goal, Membership
from listening import billing
from listening import selectors as listening_selectors
from listening.models import AccountSpend, Source, Tweet, XAccount

# Which activities pay off is metrics.activities; the dashboards' views and forms read it
# through here.
from metrics import facts
from metrics.activities import (  # noqa: F401
    ACTIVITY_MEASURES,
    MAX_WEEKS,
    MIN_HOURS,
    MIN_POSTS,
    ActivityRow,
    Rate,
    activity_table,
    amount_rate,
    count_rate,
    week_of,
)
from metrics.measure import Request, Scope, Table
from metrics.models import DailyRollup, Dim
from metrics.registry import METRICS
from metrics.selectors import kpi_progress_many, kpi_requests, rag_counts
from socialops.models import User

# --- periods ----------------------------------------------------------------------------

RANGE_WEEK = "week"
RANGE_4_WEEKS = "4w"
RANGE_QUARTER = "quarter"
RANGE_CUSTOM = "custom"
RANGES = [
    (RANGE_WEEK, "This week"),
    (RANGE_4_WEEKS, "Last 4 weeks"),
    (RANGE_QUARTER, "This quarter"),
    (RANGE_CUSTOM, "Custom"),
]
# A custom period is at most this long: the daily chart and the drill-downs stay bounded.
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def period_for(choice: str, *, today: date) -> Period:
    """The named periods, each ending today (so the previous period compares like with
    like: the same weekdays, the same number of days)."""
    if choice == RANGE_WEEK:
        return Period(today - timedelta(days=today.weekday()), today)
    if choice == RANGE_QUARTER:
        first_month = (today.month - 1) // 3 * 3 + 1
        return Period(today.replace(month=first_month, day=1), today)
    return Period(today - timedelta(days=27), today)


def window(period: Period, zone: tzinfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(period.first, time.min, tzinfo=zone),
        datetime.combine(period.last + timedelta(days=1), time.min, tzinfo=zone),
    )


# --- a department's figures -------------------------------------------------------------

# The headline figures, in the order shown.
HEADLINE = (
    "link_clicks",
    "unique_clicks",
    "conversions",
    "conversion_rate",
    "revenue",
    "cost",
    "roi",
    "posts_published",
    "impressions",
    "engagements",
    "mentions",
)
# Shown only where the department has them in either period (the inbox's answers, the
# sales team's prospects): "no data yet" on every department's page would be noise.
WHERE_COUNTED = (
    "replies",
    "conversations_resolved",
    "median_first_response_minutes",
    "sla_met_share",
    "leads",
    "touches",
    "prospects_engaged",
    "pipeline_value",
)
LABELS = {"unique_clicks": "Unique visitors"}
CAMPAIGN_METRICS = ("link_clicks", "conversions", "conversion_rate", "revenue", "cost", "roi")
CHART_METRICS = ("link_clicks", "mentions")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    value: Decimal | None
    previous: Decimal | None
    higher_is_better: bool

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_percent(self) -> Decimal | None:
        if self.change is None or not self.previous:
            return None
        return self.change * 100 / abs(self.previous)

    @property
    def trend(self) -> str:
        """ "better", "worse" or "same" (direction aware: less cost is better)."""
        if self.change is None or self.change == 0:
            return "same"
        up = self.change > 0
        return "better" if up == self.higher_is_better else "worse"


def figure(key: str, value: Decimal | None, previous: Decimal | None) -> Figure:
    metric = METRICS[key]
    return Figure(
        key=key,
        label=LABELS.get(key, metric.label),
        unit=str(metric.unit),
        value=value,
        previous=previous,
        higher_is_better=metric.higher_is_better,
    )


@dataclass
class CampaignResult:
    campaign: Campaign
    figures: dict[str, Decimal | None]


@dataclass
class DepartmentFigures:
    period: Period
    previous: Period
    figures: list[Figure]
    campaigns: list[CampaignResult]
    # One row per day: (day, {metric: value or None}).
    daily: list[tuple[date, dict[str, Decimal | None]]]
    # The rollup rows read, with those of the requests passed `also` (the page's KPIs).
    table: Table

    def chart(self) -> dict:
        return {
            "labels": [day.isoformat() for day, _ in self.daily],
            "series": [
                {
                    "key": key,
                    "label": LABELS.get(key, METRICS[key].label),
                    "values": [None if v[key] is None else float(v[key]) for _, v in self.daily],
                }
                for key in CHART_METRICS
            ],
        }


def department_campaigns(*, department: Department, period: Period) -> list[Campaign]:
    """The department's campaigns that run at some point of the period."""
    return list(
        Campaign.objects.filter(
            department=department, period_start__lte=period.last, period_end__gte=period.first
        ).order_by("-period_start", "name")
    )


def department_figures(
    *, department: Department, period: Period, also: Sequence[Request] = ()
) -> DepartmentFigures:
    """Every figure of the dashboard from the rollup in two queries (metrics.measure's
    Table): the headline for the period and the one before, each campaign's results, and
    the daily series; `also`: more requests read in the same two queries (the page's
    KPIs, metrics.selectors.kpi_requests), answered by the returned figures' table."""
    scope = Scope(Dim.DEPARTMENT, department.pk)
    previous = period.previous()
    campaigns = department_campaigns(department=department, period=period)
    requests = [
        Request(m, scope, p.first, p.last)
        for m in (*HEADLINE, *WHERE_COUNTED)
        for p in (period, previous)
    ]
    requests += [
        Request(m, Scope(Dim.CAMPAIGN, c.pk), period.first, period.last)
        for c in campaigns
        for m in CAMPAIGN_METRICS
    ]
    table = Table([*requests, *also])
    figures = [
        figure(
            key,
            table.value(key, scope, period.first, period.last),
            table.value(key, scope, previous.first, previous.last),
        )
        for key in HEADLINE
    ]
    for key in WHERE_COUNTED:
        shown = figure(
            key,
            table.value(key, scope, period.first, period.last),
            table.value(key, scope, previous.first, previous.last),
        )
        if shown.value is not None or shown.previous is not None:
            figures.append(shown)
    results = [
        CampaignResult(
            campaign=c,
            figures={
                m: table.value(m, Scope(Dim.CAMPAIGN, c.pk), period.first, period.last)
                for m in CAMPAIGN_METRICS
            },
        )
        for c in campaigns
    ]
    daily = [
        (day, {m: table.value(m, scope, day, day) for m in CHART_METRICS})
        for day in period.each_day()
    ]
    return DepartmentFigures(period, previous, figures, results, daily, table)


TOP_POSTS = 10


@dataclass(frozen=True)
class TopPost:
    post_id: int
    text: str
    kind: str
    published_at: datetime | None
    clicks: int | None = None
    visitors: int | None = None
    engagements: int | None = None
    impressions: int | None = None


def top_posts_by_clicks(*, department: Department, period: Period) -> list[TopPost]:
    """The department's posts whose tracked links were clicked most in the period."""
    return top_posts_by_clicks_many(departments=[department], period=period)[department.pk]


def top_posts_by_clicks_many(
    *, departments: Sequence[Department], period: Period, limit: int = TOP_POSTS
) -> dict[int, list[TopPost]]:
    """Each department's posts (by its id) whose tracked links were clicked most in the
    period, from the rollup's department × post cells, ranked per department and each
    post's text and time looked up in one query. The index rollup_dep_post holds the cells
    by (metric, day, packed id): naming each day of the period (an IN list) makes one
    descent per metric and day straight to the departments' adjacent ids, the count read
    from the index (a range over the days would walk every department's cells of the
    period)."""
    found: dict[int, list[TopPost]] = {d.pk: [] for d in departments}
    if not departments:
        return found
    low = min(facts.department_post_ids(d.pk)[0] for d in departments)
    high = max(facts.department_post_ids(d.pk)[1] for d in departments)
    days = list(period.each_day())
    cells = DailyRollup.objects.filter(
        dim=Dim.DEPARTMENT_POST, day__in=days, dim_id__gte=low, dim_id__lt=high
    )
    department = ExpressionWrapper(F("dim_id") / facts.POST_BASE, output_field=BigIntegerField())
    # Unique visitors of the winners only, each from its own cells (a sum grouped by the
    # one id: the subquery's single value).
    visitors = (
        cells.filter(metric="unique_clicks", dim_id=OuterRef("dim_id"))
        .values("dim_id")
        .annotate(n=Sum("count"))
        .values("n")
    )
    # No ordering: each lookup is by key (the model's default ordering adds a sort).
    post = ScheduledPost.objects.filter(pk=OuterRef("post_id")).order_by()
    rows = (
        cells.filter(metric="link_clicks")
        .values("dim_id")
        # A bigint sum (PostgreSQL's is numeric, slower to sort).
        .annotate(clicks=Cast(Sum("count"), BigIntegerField()))
        .filter(clicks__gt=0)
        .annotate(department=department)
        .annotate(
            post_id=ExpressionWrapper(
                F("dim_id") - F("department") * facts.POST_BASE, output_field=BigIntegerField()
            ),
            visitors=Subquery(visitors),
            text=Subquery(post.values("text")[:1]),
            kind=Subquery(post.values("kind")[:1]),
            published_at=Subquery(post.values("published_at")[:1]),
        )
    )
    if len(found) > 1:
        # Ranked within each department (Django filters on the window in an outer query).
        ranked = Window(
            RowNumber(), partition_by=department, order_by=[F("clicks").desc(), F("dim_id")]
        )
        rows = rows.annotate(rank=ranked).filter(rank__lte=limit).order_by("department", "rank")
    else:
        # One department: its first `limit` (and a query far cheaper to compile).
        rows = rows.order_by("-clicks", "dim_id")[:limit]
    for r in rows:
        if r["department"] not in found:
            continue
        found[r["department"]].append(
            TopPost(
                post_id=r["post_id"],
                text=r["text"] or f"{(r['kind'] or 'post').capitalize()} {r['post_id']}",
                kind=r["kind"] or "",
                published_at=r["published_at"],
                clicks=r["clicks"],
                visitors=r["visitors"] or 0,
            )
        )
    return found


def _engagements() -> Coalesce:
    # As metrics.facts counts them: X's own figure, else the sum of the public counters.
    return Coalesce(
        "engagements",
        Coalesce("like_count", 0)
        + Coalesce("reply_count", 0)
        + Coalesce("retweet_count", 0)
        + Coalesce("quote_count", 0),
        output_field=IntegerField(),
    )


def top_posts_by_engagements(
    *, department: Department, period: Period, zone: tzinfo
) -> list[TopPost]:
    """The department's posts published in the period with the most engagements (X's
    lifetime counters, as last read)."""
    return top_posts_by_engagements_many(departments=[department], period=period, zone=zone)[
        department.pk
    ]


def top_posts_by_engagements_many(
    *, departments: Sequence[Department], period: Period, zone: tzinfo, limit: int = TOP_POSTS
) -> dict[int, list[TopPost]]:
    """Each department's posts (by its id) published in the period with the most
    engagements, ranked per department in one query."""
    found: dict[int, list[TopPost]] = {d.pk: [] for d in departments}
    if not departments:
        return found
    start, end = window(period, zone)
    tweet = Tweet.objects.filter(pk=OuterRef("x_post_id"))
    rows = ScheduledPost.objects.filter(
        department__in=[d.pk for d in departments],
        status=ScheduledPost.Status.PUBLISHED,
        published_at__gte=start,
        published_at__lt=end,
    ).annotate(
        engaged=Subquery(tweet.annotate(e=_engagements()).values("e")[:1]),
        seen=Subquery(tweet.values("impression_count")[:1]),
    )
    # Posts not engaged with rank last and are dropped below: a filter on `engaged` here
    # would look each post's counters up twice.
    order = [F("engaged").desc(nulls_last=True), F("published_at").desc(), F("pk").desc()]
    if len(found) > 1:
        # Ranked within each department (Django filters on the window in an outer query).
        ranked = Window(RowNumber(), partition_by=F("department_id"), order_by=order)
        rows = rows.annotate(rank=ranked).filter(rank__lte=limit).order_by("department_id", "rank")
    else:
        rows = rows.order_by(*order)[:limit]
    for p in rows:
        if not p.engaged or p.engaged <= 0:
            continue
        found[p.department_id].append(
            TopPost(
                post_id=p.pk,
                text=str(p),
                kind=p.kind,
                published_at=p.published_at,
                engagements=p.engaged,
                impressions=p.seen,
            )
        )
    return found


# --- the marketing overview -------------------------------------------------------------------


@dataclass
class DepartmentLine:
    department: Department
    counts: dict[str, int]
    kpis: int
    clicks: list[Decimal | None]  # per week, oldest first
    clicks_total: Decimal | None


TREND_WEEKS = 8


def department_lines(*, user: User, today: date) -> tuple[list[DepartmentLine], list[date]]:
    """Every department with its active KPIs counted by red/amber/green, and its weekly
    clicks over the last TREND_WEEKS weeks from the rollup: one query for the
    departments (with the user's role in each), two for the KPIs (read as a list, not
    through their goals), and two for the KPIs' actuals and the clicks together."""
    role = Membership.objects.filter(user_id=user.pk, department=OuterRef("pk")).values("role")
    departments = list(
        department_selectors.department_list(user=user)
        .annotate(my_role=Subquery(role[:1]))
        .order_by("name")
    )
    kpis = list(department_selectors.kpi_list(user=user).filter(goal__status=Goal.Status.ACTIVE))
    monday = week_of(today)
    weeks = [monday - timedelta(weeks=n) for n in range(TREND_WEEKS - 1, -1, -1)]
    first = weeks[0]
    requests = [
        Request("link_clicks", Scope(Dim.DEPARTMENT, d.pk), first, today) for d in departments
    ]
    # The KPIs and the clicks trend from one read of the rollup.
    table = Table([*requests, *kpi_requests(kpis, today=today).values()])
    progress: dict[int, list] = defaultdict(list)
    found = kpi_progress_many(kpis, today=today, series=False, table=table)
    for kpi, p in zip(kpis, found, strict=True):
        progress[kpi.goal.department_id].append(p)
    lines = []
    for d in departments:
        scope = Scope(Dim.DEPARTMENT, d.pk)
        series = [
            table.value("link_clicks", scope, w, min(w + timedelta(days=6), today)) for w in weeks
        ]
        lines.append(
            DepartmentLine(
                department=d,
                # Keyed by every RAG there is, as metrics/_status_counts.html reads them.
                counts=rag_counts(progress[d.pk]),
                kpis=len(progress[d.pk]),
                clicks=series,
                clicks_total=table.value("link_clicks", scope, first, today),
            )
        )
    return lines, weeks


# The most calendar posts the overview reads at once (its lists show fewer each).
OVERVIEW_POSTS = 300


@dataclass
class OverviewPosts:
    next_days: list[ScheduledPost]
    awaiting: list[tuple[ScheduledPost, Department]]
    failed: list[ScheduledPost]
    late: list[ScheduledPost]


def overview_posts(
    *, user: User, led: set[int], now: datetime | None = None, days: int = 7, listed: int = 20
) -> OverviewPosts:
    """What the overview lists from the calendar, read in one query (and one for the
    approvals given, one for the approval rules): posts due in the next `days` days,
    those in review that wait for an approval the user may give, failed ones, and those
    late going out (past PUBLISH_STUCK_AFTER, as on the home page). Every member reads
    the whole calendar.

    `led`: the departments the user leads (an admin approves for every department)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUBLISH_STUCK_AFTER)
    Status = ScheduledPost.Status
    coming = Q(scheduled_at__gte=now, scheduled_at__lt=now + timedelta(days=days)) & ~Q(
        status__in=(Status.PUBLISHED, Status.FAILED)
    )
    late = Q(status__in=calendar_selectors.LATE, scheduled_at__lt=cutoff)
    rewrote = PostEvent.objects.filter(
        post=OuterRef("pk"), action=PostEvent.Action.REWRITTEN, actor_id=user.pk
    )
    posts = list(
        calendar_selectors.post_list(user=user)
        # Only what the lists show (a post's department) and the approvals given: the
        # list's seven joins took PostgreSQL 7.7 ms to plan for a 0.2 ms query.
        .select_related(None)
        .select_related("department")
        .prefetch_related(None)
        .prefetch_related("approvals")
        .filter(coming | late | Q(status__in=(Status.FAILED, Status.IN_REVIEW)))
        .annotate(rewritten_by_user=Exists(rewrote))
        .order_by(F("scheduled_at").asc(nulls_last=True), "pk")[:OVERVIEW_POSTS]
    )
    out = OverviewPosts([], [], [], [])
    reviewing = [p for p in posts if p.status == Status.IN_REVIEW]
    may_approve = user.is_authenticated and (user.is_org_admin or bool(led))
    rules = calendar_selectors.rules_by_department() if reviewing and may_approve else {}
    for post in posts:
        soon = post.scheduled_at and now <= post.scheduled_at < now + timedelta(days=days)
        if soon and post.status not in (Status.PUBLISHED, Status.FAILED):
            out.next_days.append(post)
        if post.status == Status.FAILED:
            out.failed.append(post)
        elif post.status in calendar_selectors.LATE and post.scheduled_at < cutoff:
            out.late.append(post)
        elif post.status == Status.IN_REVIEW and may_approve:
            # calendar.permissions.is_author, with its history read in the query above.
            author = user.pk in {post.owner_id, post.created_by_id} or post.rewritten_by_user
            for state in calendar_selectors.post_approval_states(post=post, rules=rules):
                if state.given or not (user.is_org_admin or state.department.pk in led):
                    continue
                if author and not state.requirement.allow_self_approval:
                    continue
                out.awaiting.append((post, state.department))
                break
    out.next_days = out.next_days[:listed]
    out.awaiting = out.awaiting[:listed]
    out.failed = out.failed[:listed]
    out.late = out.late[:listed]
    return out


@dataclass(frozen=True)
class AccountLine:
    account: XAccount
    health: listening_selectors.AccountHealth
    budget: listening_selectors.Budget


def accounts_health(*, user: User, now: datetime | None = None) -> list[AccountLine]:
    """Each account's health and this month's budget, its spend read in the same query
    (listening.selectors.account_budgets takes one more; the overview counts them)."""
    month = billing.billing_month(now or timezone.now())
    spent = AccountSpend.objects.filter(account=OuterRef("pk"), month=month).values("cost")
    accounts = (
        listening_selectors.account_list(user=user)
        .annotate(month_spent=Subquery(spent[:1]))
        .order_by("username")
    )
    return [
        AccountLine(
            a,
            listening_selectors.account_health(account=a),
            listening_selectors.Budget(
                budget=a.monthly_budget,
                spent=Decimal(a.month_spent or 0),
                pause=a.budget_pause,
                month=month,
                resumes_on=billing.next_month(month),
            ),
        )
        for a in accounts
    ]


def sources_month_spend(*, user: User) -> list[Source]:
    """The sources the user may see with what their runs cost this month (UTC calendar
    month, as X bills), most expensive first."""
    now = timezone.now()
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    return list(
        listening_selectors.source_list(user=user)
        .annotate(
            month_cost=Sum("runs__cost", filter=Q(runs__started_at__gte=month_start), default=0),
            month_runs=Count("runs", filter=Q(runs__started_at__gte=month_start)),
        )
        .order_by("-month_cost", "name")
    )
