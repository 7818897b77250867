"""The pages that show how KPIs stand: the home dashboard, the departments overview, and a
department's, a goal's and a KPI's page (with the measurements recorded on it).

They read departments through its selectors and write through its services; departments
sits below and never imports this module (its URL names stay in the `departments`
namespace, see socialops/urls.py)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns.calendar.selectors import post_stuck_list
from campaigns.timelog import permissions as time_perms
from departments import permissions as perms
from departments import selectors, services
from departments.models import KPI, Goal, Membership
from metrics import dashboards
from metrics.forms import MeasurementForm
from metrics.registry import metric_get
from metrics.selectors import Source, kpi_progress, kpi_progress_many, rag_counts
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect

# --- helpers --------------------------------------------------------------------------


def _with_progress(goals, today: date):
    """Attach progress to every KPI of the goals, all read together (KPIs and their
    hand-typed measurements are prefetched; the computed ones read the rollup at once)."""
    goals = list(goals)
    kpis = [kpi for goal in goals for kpi in goal.kpis.all()]
    progress = iter(kpi_progress_many(kpis, today=today))
    for goal in goals:
        goal.kpi_rows = [(kpi, next(progress)) for kpi in goal.kpis.all()]
    return goals


def _status_counts(goals) -> dict[str, int]:
    return rag_counts([progress for goal in goals for _, progress in goal.kpi_rows])


# --- home -----------------------------------------------------------------------------

STUCK_LISTED = 20  # late posts listed on the dashboard; the rest are counted


@login_required
def home(request):
    today = timezone.localdate()
    mine = list(selectors.department_list_for_member(user=request.user))
    # Every active goal once: my departments' cards and the all-departments table share it.
    active = _with_progress(
        selectors.goal_list(user=request.user).filter(status=Goal.Status.ACTIVE), today
    )
    by_department: dict[int, list] = {}
    departments = {}
    for goal in active:
        by_department.setdefault(goal.department_id, []).append(goal)
        departments[goal.department_id] = goal.department
    stuck = post_stuck_list(user=request.user)
    stuck_posts = list(stuck[:STUCK_LISTED])
    overview_rows = [
        {
            "department": dept,
            "goals": len(by_department[pk]),
            "counts": _status_counts(by_department[pk]),
        }
        for pk, dept in sorted(departments.items(), key=lambda item: item[1].name)
    ]
    return render(
        request,
        "metrics/home.html",
        {
            "my_departments": [(d, by_department.get(d.pk, [])) for d in mine],
            "overview_rows": overview_rows,
            "department_count": selectors.department_list(user=request.user).count(),
            "today": today,
            # Posts late going out to X, for the people who can act on them.
            "stuck_posts": stuck_posts,
            "stuck_more": stuck.count() - STUCK_LISTED if len(stuck_posts) == STUCK_LISTED else 0,
        },
    )


# --- departments ----------------------------------------------------------------------


@login_required
def department_list(request):
    today = timezone.localdate()
    departments = list(selectors.department_list(user=request.user))
    goals = _with_progress(
        selectors.goal_list(user=request.user).filter(status=Goal.Status.ACTIVE), today
    )
    goals_by_department: dict[int, list] = {}
    for goal in goals:
        goals_by_department.setdefault(goal.department_id, []).append(goal)
    member_counts = {
        row["department_id"]: row["n"]
        for row in selectors.membership_list(user=request.user)
        .values("department_id")
        .annotate(n=Count("id"))
    }
    rows = [
        {
            "department": d,
            "members": member_counts.get(d.pk, 0),
            "goals": len(goals_by_department.get(d.pk, [])),
            "counts": _status_counts(goals_by_department.get(d.pk, [])),
        }
        for d in departments
    ]
    return render(
        request,
        "metrics/department_list.html",
        {"rows": rows, "can_add": perms.can_manage_organisation(request.user)},
    )


@login_required
def department_detail(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    today = timezone.localdate()
    goals = _with_progress(selectors.goal_list(user=request.user, department=department), today)
    memberships = selectors.membership_list(user=request.user, department=department)
    return render(
        request,
        "metrics/department_detail.html",
        {
            "department": department,
            "goals": goals,
            "counts": _status_counts([g for g in goals if g.status == Goal.Status.ACTIVE]),
            "memberships": memberships,
            "representatives": [m for m in memberships if m.is_representative],
            "leads": [m for m in memberships if m.role == Membership.Role.LEAD],
            "can_edit": perms.can_edit_goals(request.user, department),
            "can_manage": perms.can_manage_department(request.user, department),
            "activity": selectors.audit_list(user=request.user, department=department)[:8],
        },
    )


# --- goals ----------------------------------------------------------------------------


@login_required
def goal_detail(request, pk: int):
    goal = get_object_or_404(selectors.goal_list(user=request.user), pk=pk)
    _with_progress([goal], timezone.localdate())
    return render(
        request,
        "metrics/goal_detail.html",
        {
            "goal": goal,
            "department": goal.department,
            "can_edit": perms.can_edit_goals(request.user, goal.department),
        },
    )


# --- KPIs and their measurements ------------------------------------------------------


@login_required
def kpi_detail(request, pk: int):
    kpi = get_object_or_404(_kpi_with_history(request.user), pk=pk)
    can_edit = perms.can_edit_goals(request.user, kpi.goal.department)
    form = None
    if can_edit and kpi.entered_by_hand:
        form = MeasurementForm(initial={"measured_on": timezone.localdate()})
    return _kpi_page(request, kpi, can_edit=can_edit, form=form)


def _kpi_page(request, kpi: KPI, *, can_edit: bool, form, status: int = 200):
    progress = kpi_progress(kpi=kpi, today=timezone.localdate())
    return render(
        request,
        "metrics/kpi_detail.html#measurement-form"
        if request.htmx and status != 200
        else "metrics/kpi_detail.html",
        {
            "kpi": kpi,
            "goal": kpi.goal,
            "department": kpi.goal.department,
            "progress": progress,
            "metric": metric_get(kpi.metric),
            "can_edit": can_edit,
            "measurement_form": form,
            "chart": _kpi_chart(kpi, progress),
            "measured_from_data": progress.source == Source.DATA,
            "rows_behind": _rows_behind(request.user, kpi, progress),
        },
        status=status,
    )


# Filters of the conversion list that pick the rows a conversion metric counts.
CONVERSION_METRICS = {
    "conversions": {},
    "revenue": {},
    "new_customers": {"is_new_customer": "true"},
}
TIME_METRICS = {"hours_spent", "staff_cost"}


def _rows_behind(user, kpi: KPI, progress) -> str | None:
    """A list that holds exactly the rows a computed actual counts, where one exists (the
    list's filters use the same attribution as the rollup, metrics/facts.py): link clicks
    (bots left out) and conversions of the organisation, a department or a campaign;
    mentions of the organisation or a department; a department's time entries (for those
    who may see its team's time). Other actuals link to their series on the KPI's page."""
    if progress.source != Source.DATA or progress.as_of is None:
        return None
    first, last = progress.first, progress.as_of
    scope = kpi.scope
    department = kpi.goal.department if scope == KPI.Scope.DEPARTMENT else None
    campaign = {"campaign": kpi.campaign_id} if scope == KPI.Scope.CAMPAIGN else {}
    if scope == KPI.Scope.ACCOUNT:
        return None  # no list filters by the publishing account yet
    if kpi.metric == "link_clicks":
        return dashboards.clicks_url(department, first, last, **campaign)
    if kpi.metric in CONVERSION_METRICS:
        return dashboards.conversions_url(
            department, first, last, **campaign, **CONVERSION_METRICS[kpi.metric]
        )
    if kpi.metric == "mentions" and not campaign:
        return dashboards.mentions_url(department, first, last)
    if kpi.metric in TIME_METRICS and department is not None:
        may_see = user.is_org_admin or department.pk in time_perms.led_department_ids(user)
        return dashboards.time_url(department, first, last) if may_see else None
    return None


def _kpi_with_history(user):
    """KPIs with every measurement, for the page that lists and charts them all."""
    return selectors.kpi_list(user=user).prefetch_related(selectors.measurements_prefetch())


def _kpi_chart(kpi: KPI, progress) -> dict:
    """The actual as it stood at each point of the period (a running total for a total),
    and the target beside it: pro rata for a total to reach, flat otherwise."""
    if progress.source == Source.HAND:
        points = [(m.measured_on, m.value) for m in kpi.measurements.all()]
        points.sort()
    else:
        points = progress.points
    span = progress.days_total

    def target_at(day) -> float:
        if kpi.direction != KPI.Direction.REACH:
            return float(kpi.target)
        gone = max(0, min(span, (day - progress.first).days + 1))
        return float(kpi.target * gone / span)

    return {
        "labels": [day.isoformat() for day, _ in points],
        "values": [None if value is None else float(value) for _, value in points],
        "targets": [target_at(day) for day, _ in points],
        "target": float(kpi.target),
        "baseline": None if kpi.baseline is None else float(kpi.baseline),
        "label": kpi.label,
    }


@login_required
@require_POST
def measurement_add(request, pk: int):
    kpi = get_object_or_404(selectors.kpi_list(user=request.user), pk=pk)
    if not perms.can_edit_goals(request.user, kpi.goal.department):
        raise PermissionDenied("Only this department's team can do that.")
    form = MeasurementForm(request.POST)
    if form.is_valid():
        try:
            services.measurement_create(actor=request.user, kpi=kpi, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Measurement recorded.")
            return htmx_redirect(request, reverse("departments:kpi", kwargs={"pk": kpi.pk}))
    kpi = _kpi_with_history(request.user).get(pk=kpi.pk)
    return _kpi_page(request, kpi, can_edit=True, form=form, status=422)


@login_required
@require_POST
def measurement_delete(request, pk: int):
    measurement = get_object_or_404(selectors.measurement_list(user=request.user), pk=pk)
    kpi = measurement.kpi
    services.measurement_delete(actor=request.user, measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect("departments:kpi", pk=kpi.pk)
