"""The dashboards: a department's (its figures over a period beside the one before, its
KPIs, a daily chart, top posts, campaign results), which activities pay off, and the
marketing overview (the social team's home). Every signed-in member may open each of them
for every department, as the department pages. Every number links to the rows behind it
and every table downloads as CSV (?format=csv&table=…)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from campaigns.timelog import permissions as time_perms
from departments import selectors as department_selectors
from departments.models import Department, Goal, Membership
from listening.inbox import selectors as inbox_selectors
from listening.inbox.sla import selectors as sla_selectors
from metrics import dashboard_selectors as ds
from metrics.dashboard_forms import ActivityFilterForm, RangeForm
from metrics.selectors import Rag, kpi_progress_many, kpi_requests
from socialops.csv import csv_response

# --- links to the rows behind a number --------------------------------------------------


@lru_cache(maxsize=64)
def _path(name: str, prefix: str, urlconf: object) -> str:
    # A list's path, the same for every link to it: the overview and a quarter's
    # dashboard make hundreds of these links. Keyed by what reverse reads besides the
    # name (the script prefix and the thread's URLconf).
    return reverse(name)


def _url(name: str, **query: object) -> str:
    path = _path(name, get_script_prefix(), get_urlconf())
    return f"{path}?{urlencode({k: v for k, v in query.items() if v is not None})}"


def clicks_url(department: Department | None, first: date, last: date, **more: object) -> str:
    return _url(
        "campaigns:click_list",
        department=department.slug if department else None,
        clicked_after=first.isoformat(),
        clicked_before=last.isoformat(),
        is_bot="false",
        **more,
    )


def conversions_url(department: Department | None, first: date, last: date, **more) -> str:
    return _url(
        "campaigns:conversion_list",
        department=department.slug if department else None,
        occurred_after=first.isoformat(),
        occurred_before=last.isoformat(),
        **more,
    )


def posts_url(department: Department | None, first: date, last: date, **more) -> str:
    return _url(
        "campaigns:post_list",
        department=department.slug if department else None,
        status="published",
        published_after=first.isoformat(),
        published_before=last.isoformat(),
        **more,
    )


def mentions_url(department: Department | None, first: date, last: date) -> str:
    return _url(
        "listening:stream",
        department=department.slug if department else None,
        received_after=first.isoformat(),
        received_before=last.isoformat(),
    )


def time_url(department: Department, first: date, last: date) -> str:
    return _url(
        "campaigns:time_team",
        start=first.isoformat(),
        end=last.isoformat(),
        department=department.pk,
    )


def _sees_team_time(user, department: Department) -> bool:
    """The team's time of a department is for its leads and admins (the time log's rule,
    campaigns.timelog.permissions), read from the role annotated on the department."""
    if not time_perms.can_log_time(user):
        return False
    return user.is_org_admin or department.my_role == Membership.Role.LEAD


def _figure_links(
    department: Department, period: ds.Period, *, time_visible: bool
) -> dict[str, str]:
    first, last = period.first, period.last
    clicks = clicks_url(department, first, last)
    conversions = conversions_url(department, first, last)
    posts = posts_url(department, first, last)
    links = {
        "link_clicks": clicks,
        "unique_clicks": clicks,
        "conversions": conversions,
        "conversion_rate": conversions,
        "revenue": conversions,
        "roi": "#campaigns",  # the campaigns' revenue and cost, each linked
        "posts_published": posts,
        "impressions": posts,
        "engagements": posts,
        "mentions": mentions_url(department, first, last),
        # The inbox's answers: the department's inbox (its report has the figures by week
        # and person); the sales figures: the prospects' summary (counts only).
        **dict.fromkeys(
            ("replies", "conversations_resolved", "median_first_response_minutes", "sla_met_share"),
            reverse("inbox:department", args=[department.slug]),
        ),
        **dict.fromkeys(
            ("leads", "touches", "prospects_engaged", "pipeline_value"),
            reverse("prospects:summary"),
        ),
        # Cost is staff time and campaign spend: the time entries, for those who may see
        # the team's time; else the campaigns whose spend it counts.
        "cost": time_url(department, first, last)
        if time_visible
        else f"{reverse('campaigns:campaign_list')}?department={department.slug}",
    }
    return links


# --- the department dashboard -----------------------------------------------------------

BODY = "metrics/dashboard/department.html"


@login_required
@require_GET
def department_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    role = Membership.objects.filter(user_id=request.user.pk, department=OuterRef("pk"))
    department = get_object_or_404(
        department_selectors.department_list(user=request.user).annotate(
            my_role=Subquery(role.values("role")[:1])
        ),
        slug=slug,
    )
    today = timezone.localdate()
    form = RangeForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    period = form.period(today=today)
    if request.GET.get("format") == "csv":
        numbers = ds.department_figures(department=department, period=period)
        return _department_csv(request, department, numbers)
    goals = department_selectors.goal_list(user=request.user, department=department).filter(
        status=Goal.Status.ACTIVE
    )
    goals = list(goals)
    kpis = [kpi for goal in goals for kpi in goal.kpis.all()]
    # The figures and the KPIs from one read of the rollup.
    numbers = ds.department_figures(
        department=department,
        period=period,
        also=list(kpi_requests(kpis, today=today).values()),
    )
    progress = iter(kpi_progress_many(kpis, today=today, table=numbers.table))
    time_visible = _sees_team_time(request.user, department)
    links = _figure_links(department, period, time_visible=time_visible)
    before = _figure_links(department, numbers.previous, time_visible=time_visible)
    kpi_rows = [(goal, [(kpi, next(progress)) for kpi in goal.kpis.all()]) for goal in goals]
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    context = {
        "department": department,
        "form": form,
        "invalid": invalid,
        "period": period,
        "previous": numbers.previous,
        "figures": [(f, links.get(f.key), before.get(f.key)) for f in numbers.figures],
        "has_data": any(f.value is not None for f in numbers.figures),
        # For the empty "top posts by clicks": clicks there were, but none through a post.
        "link_clicks": next((f for f in numbers.figures if f.key == "link_clicks"), None),
        "kpi_rows": kpi_rows,
        "chart": numbers.chart(),
        "daily": [
            (day, values, clicks_url(department, day, day), mentions_url(department, day, day))
            for day, values in numbers.daily
        ],
        "top_clicks": [
            (p, clicks_url(None, period.first, period.last, post=p.post_id))
            for p in ds.top_posts_by_clicks(department=department, period=period)
        ],
        "top_engaged": ds.top_posts_by_engagements(
            department=department, period=period, zone=timezone.get_current_timezone()
        ),
        "campaigns": [
            (
                result,
                clicks_url(None, period.first, period.last, campaign=result.campaign.pk),
                conversions_url(None, period.first, period.last, campaign=result.campaign.pk),
            )
            for result in numbers.campaigns
        ],
        "time_url": time_url(department, period.first, period.last) if time_visible else None,
        "csv_query": query.urlencode(),
    }
    template = f"{BODY}#body" if request.htmx and not request.htmx.boosted else BODY
    return render(request, template, context, status=422 if invalid else 200)


def _number(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value.quantize(Decimal("0.01"))


def _department_csv(
    request: HttpRequest, department: Department, numbers: ds.DepartmentFigures
) -> HttpResponse:
    table = request.GET.get("table") or "figures"
    period, previous = numbers.period, numbers.previous
    name = f"{department.slug}-{table}-{period.first}-{period.last}.csv"
    if table == "daily":
        return csv_response(
            filename=name,
            header=["day", *ds.CHART_METRICS],
            rows=([day, *(_number(v[m]) for m in ds.CHART_METRICS)] for day, v in numbers.daily),
        )
    if table == "top_clicks":
        posts = ds.top_posts_by_clicks(department=department, period=period)
        return csv_response(
            filename=name,
            header=["post", "kind", "published_at", "text", "clicks", "unique_visitors"],
            rows=(
                [p.post_id, p.kind, _local(p.published_at), p.text, p.clicks, p.visitors]
                for p in posts
            ),
        )
    if table == "top_engagements":
        posts = ds.top_posts_by_engagements(
            department=department, period=period, zone=timezone.get_current_timezone()
        )
        return csv_response(
            filename=name,
            header=["post", "kind", "published_at", "text", "engagements", "impressions"],
            rows=(
                [p.post_id, p.kind, _local(p.published_at), p.text, p.engagements, p.impressions]
                for p in posts
            ),
        )
    if table == "campaigns":
        return csv_response(
            filename=name,
            header=["campaign", "id", *ds.CAMPAIGN_METRICS],
            rows=(
                [r.campaign.name, r.campaign.pk, *map(_number, r.figures.values())]
                for r in numbers.campaigns
            ),
        )
    return csv_response(
        filename=f"{department.slug}-figures-{period.first}-{period.last}.csv",
        header=[
            "metric",
            "label",
            "from",
            "to",
            "value",
            "previous_from",
            "previous_to",
            "previous",
            "change",
            "change_percent",
        ],
        rows=(
            [
                f.key,
                f.label,
                period.first,
                period.last,
                _number(f.value),
                previous.first,
                previous.last,
                _number(f.previous),
                _number(f.change),
                _number(f.change_percent),
            ]
            for f in numbers.figures
        ),
    )


def _local(moment):
    return timezone.localtime(moment) if moment else None


# --- which activities pay off -----------------------------------------------------------


@login_required
@require_GET
def activities(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    departments = department_selectors.department_list(user=request.user).order_by("name")
    form = ActivityFilterForm(request.GET or None, departments=departments)
    invalid = form.is_bound and not form.is_valid()
    first, last, department = form.weeks(today=today)
    rows = ds.activity_table(
        first=first,
        last=last,
        zone=timezone.get_current_timezone(),
        currency=request.organisation.currency,
        department=department,
    )
    if request.GET.get("format") == "csv":
        return _activities_csv(rows, first, last)
    # The team's time is for leads (of their departments) and admins.
    team = None if request.user.is_org_admin else set(time_perms.led_department_ids(request.user))
    for row in rows:
        if row.department and (team is None or row.department.pk in team):
            row.time_url = time_url(row.department, row.week, row.week_end)
        if row.is_post_kind:
            row.posts_url = posts_url(row.department, row.week, row.week_end, kind=row.kind)
            row.clicks_url = clicks_url(row.department, row.week, row.week_end, kind=row.kind)
            row.conversions_url = conversions_url(
                row.department, row.week, row.week_end, post_kind=row.kind
            )
    query = request.GET.copy()
    query.pop("format", None)
    template = "metrics/dashboard/activities.html"
    if request.htmx and not request.htmx.boosted:
        template += "#body"
    return render(
        request,
        template,
        {
            "form": form,
            "rows": rows,
            "first": first,
            "last": last,
            "department": department,
            "min_posts": ds.MIN_POSTS,
            "min_hours": ds.MIN_HOURS,
            "csv_query": query.urlencode(),
            # The runs behind X API spend are on each source's page.
            "sources_url": reverse("listening:sources"),
            "per": (form.cleaned_data.get("per") if not invalid and form.is_bound else "")
            or "hour",
        },
        status=422 if invalid else 200,
    )


def _rate_cells(rate: ds.Rate | None) -> list:
    if rate is None:
        return ["", "", ""]
    return [round(rate.value, 4), _round(rate.low), _round(rate.high)]


def _round(value: float | None):
    return "" if value is None else round(value, 4)


def _activities_csv(rows: list[ds.ActivityRow], first: date, last: date) -> HttpResponse:
    header = ["week", "department", "activity", "hours", "x_api_spend", "too_few_to_tell"]
    for key, _ in ds.ACTIVITY_MEASURES:
        header += [
            key,
            f"{key}_per_hour",
            f"{key}_per_hour_low95",
            f"{key}_per_hour_high95",
            f"{key}_per_dollar",
            f"{key}_per_dollar_low95",
            f"{key}_per_dollar_high95",
        ]

    def line(row: ds.ActivityRow) -> list:
        out = [
            row.week,
            row.department.name if row.department else "",
            row.label,
            row.hours,
            "" if row.x_spend is None else row.x_spend,
            row.too_few,
        ]
        for cell in row.cells:
            out += [cell["value"], *_rate_cells(cell["hour"]), *_rate_cells(cell["dollar"])]
        return out

    return csv_response(
        filename=f"activities-{first}-{last}.csv", header=header, rows=(line(r) for r in rows)
    )


# --- the marketing overview ---------------------------------------------------------------

LISTED = 20


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    lines, weeks = ds.department_lines(user=request.user, today=today)
    first = weeks[0]
    for line in lines:
        peak = max((v for v in line.clicks if v), default=0)
        line.bars = [
            (
                week,
                value,
                0 if not peak or value is None else int(value * 100 / peak),
                clicks_url(line.department, week, min(week + timedelta(days=6), today)),
            )
            for week, value in zip(weeks, line.clicks, strict=True)
        ]
        line.clicks_url = clicks_url(line.department, first, today)
        line.dashboard_url = reverse("departments:dashboard", args=[line.department.slug])
    led = {line.department.pk for line in lines if line.department.my_role == Membership.Role.LEAD}
    posts = ds.overview_posts(user=request.user, led=led, listed=LISTED)
    sources = ds.sources_month_spend(user=request.user)
    if request.GET.get("format") == "csv":
        return _overview_csv(request, lines, weeks, sources)
    return render(
        request,
        "metrics/dashboard/overview.html",
        {
            "lines": lines,
            "weeks": weeks,
            "today": today,
            "next_posts": posts.next_days,
            "awaiting": posts.awaiting,
            "failed": posts.failed,
            "late": posts.late,
            "accounts": ds.accounts_health(user=request.user),
            "sources": sources,
            "month_total": sum((s.month_cost for s in sources), Decimal(0)),
            "sla_at_risk": sla_selectors.at_risk_by_department(
                queryset=inbox_selectors.conversation_list(user=request.user)
            ),
        },
    )


def _overview_csv(request, lines, weeks, sources) -> HttpResponse:
    if request.GET.get("table") == "sources":
        return csv_response(
            filename="x-api-spend-this-month.csv",
            header=["source", "account", "department", "runs", "cost_usd"],
            rows=(
                [
                    s.name,
                    s.account.username,
                    s.department.name if s.department else "",
                    s.month_runs,
                    s.month_cost,
                ]
                for s in sources
            ),
        )
    return csv_response(
        filename="departments.csv",
        header=[
            "department",
            "kpis",
            *(f"kpis_{rag.value}" for rag in Rag),
            *(f"clicks_week_of_{w}" for w in weeks),
        ],
        rows=(
            [
                line.department.name,
                line.kpis,
                *(line.counts.get(rag.value, 0) for rag in Rag),
                *("" if v is None else v for v in line.clicks),
            ]
            for line in lines
        ),
    )
