"""Pages for the organisation, departments, goals, KPIs and measurements.

Views are thin: a form validates, one service or selector call, render. A form posted by
HTMX with `?validate=1` is only validated (inline validation) and
its partial comes back; a plain POST works without JavaScript."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.calendar.selectors import post_stuck_list
from departments import permissions as perms
from departments import selectors, services
from departments.forms import (
    DepartmentForm,
    GoalForm,
    KPIForm,
    MeasurementForm,
    MembershipForm,
    MembershipUpdateForm,
    OrganisationForm,
    SuggestionForm,
)
from departments.models import KPI, Department, Goal, Membership
from departments.suggestions import suggestions_for
from metrics.registry import metric_get
from metrics.selectors import Status, kpi_progress
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_form, validate_only
from socialops.tokens import api_token_create, api_token_list

# --- helpers --------------------------------------------------------------------------


def _with_progress(goals, today: date):
    """Attach progress to every KPI of the goals (measurements are prefetched)."""
    for goal in goals:
        goal.kpi_rows = [(kpi, kpi_progress(kpi=kpi, today=today)) for kpi in goal.kpis.all()]
    return goals


def _status_counts(goals) -> dict[str, int]:
    counts = {status.value: 0 for status in Status}
    for goal in goals:
        for _, progress in goal.kpi_rows:
            counts[progress.status.value] += 1
    return counts


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
        "departments/home.html",
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


# --- organisation ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organisation_settings(request):
    perms.require(
        perms.can_manage_organisation(request.user), "Only organisation admins can do that."
    )
    organisation = selectors.organisation_get()
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Organisation settings saved.")
            return redirect("departments:organisation")
    return render(request, "departments/organisation_form.html", {"form": form})


@never_cache  # the answer to a POST carries a new secret: no cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    issued = None
    if request.method == "POST":
        # Replacing revokes the old token at once: integrations using it stop working. The
        # secret is in this answer only (no redirect, nothing in the session): we keep a hash.
        issued = api_token_create(user=request.user, replace=True)
    token = api_token_list(user=request.user).first()
    return render(request, "departments/api_token.html", {"token": token, "issued": issued})


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
        "departments/department_list.html",
        {"rows": rows, "can_add": perms.can_manage_organisation(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_create(request):
    perms.require(
        perms.can_manage_organisation(request.user), "Only organisation admins add departments."
    )
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, f"{department} was added. Here are goals that suit it; pick what fits."
            )
            return redirect("departments:suggestions", slug=department.slug)
    return render_form(request, "departments/department_form.html", {"form": form})


@login_required
def department_detail(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    today = timezone.localdate()
    goals = _with_progress(selectors.goal_list(user=request.user, department=department), today)
    memberships = selectors.membership_list(user=request.user, department=department)
    can_manage = perms.can_manage_department(request.user, department)
    return render(
        request,
        "departments/department_detail.html",
        {
            "department": department,
            "goals": goals,
            "counts": _status_counts([g for g in goals if g.status == Goal.Status.ACTIVE]),
            "memberships": memberships,
            "representatives": [m for m in memberships if m.is_representative],
            "leads": [m for m in memberships if m.role == Membership.Role.LEAD],
            "can_edit": perms.can_edit_goals(request.user, department),
            "can_manage": can_manage,
            "member_form": MembershipForm(department=department) if can_manage else None,
            "activity": selectors.audit_list(user=request.user, department=department)[:8],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_edit(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    perms.require(perms.can_manage_department(request.user, department))
    form = DepartmentForm(request.POST or None, instance=Department.objects.get(pk=department.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(
                actor=request.user, department=department, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Department saved.")
            return redirect(department)
    return render(
        request, "departments/department_form.html", {"form": form, "department": department}
    )


# --- memberships ----------------------------------------------------------------------


def _members_partial(request, department: Department, form=None, status: int = 200):
    memberships = selectors.membership_list(user=request.user, department=department)
    return render(
        request,
        "departments/department_detail.html#members",
        {
            "department": department,
            "memberships": memberships,
            "can_manage": True,
            "member_form": form or MembershipForm(department=department),
        },
        status=status,
    )


@login_required
@require_POST
def membership_add(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    perms.require(perms.can_manage_department(request.user, department))
    form = MembershipForm(request.POST, department=department)
    if form.is_valid():
        try:
            services.membership_create(
                actor=request.user, department=department, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx:
                return _members_partial(request, department)
            messages.success(request, f"{form.cleaned_data['user']} joined {department}.")
            return redirect(department)
    if request.htmx:
        return _members_partial(request, department, form, status=422)
    messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
    return redirect(department)


@login_required
@require_POST
def membership_update(request, pk: int):
    membership = get_object_or_404(selectors.membership_list(user=request.user), pk=pk)
    form = MembershipUpdateForm(request.POST)
    if form.is_valid():
        services.membership_update(actor=request.user, membership=membership, **form.cleaned_data)
    if request.htmx:
        return _members_partial(request, membership.department)
    return redirect(membership.department)


@login_required
@require_POST
def membership_remove(request, pk: int):
    membership = get_object_or_404(selectors.membership_list(user=request.user), pk=pk)
    department = membership.department
    services.membership_delete(actor=request.user, membership=membership)
    if request.htmx:
        return _members_partial(request, department)
    messages.success(request, f"{membership.user} left {department}.")
    return redirect(department)


# --- goals ----------------------------------------------------------------------------


def _default_period(today: date) -> tuple[date, date]:
    """The current quarter: goals are reviewed weekly but set per quarter."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    next_quarter = date(
        quarter_start.year + (quarter_start.month == 10), (quarter_start.month + 2) % 12 + 1, 1
    )
    return quarter_start, next_quarter - timedelta(days=1)


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    perms.require(
        perms.can_edit_goals(request.user, department), "Only this department's team can do that."
    )
    start, end = _default_period(timezone.localdate())
    form = GoalForm(
        request.POST or None,
        department=department,
        instance=Goal(department=department),
        initial={"period_start": start, "period_end": end, "owner": request.user.pk},
    )
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            goal = services.goal_create(
                actor=request.user, department=department, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Goal added. Now give it a KPI so progress can be measured.")
            return htmx_redirect(request, reverse("departments:kpi_create", kwargs={"pk": goal.pk}))
    return render_form(
        request, "departments/goal_form.html", {"form": form, "department": department}
    )


@login_required
def goal_detail(request, pk: int):
    goal = get_object_or_404(selectors.goal_list(user=request.user), pk=pk)
    _with_progress([goal], timezone.localdate())
    return render(
        request,
        "departments/goal_detail.html",
        {
            "goal": goal,
            "department": goal.department,
            "can_edit": perms.can_edit_goals(request.user, goal.department),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request, pk: int):
    goal = get_object_or_404(selectors.goal_list(user=request.user), pk=pk)
    perms.require(
        perms.can_edit_goals(request.user, goal.department),
        "Only this department's team can do that.",
    )
    form = GoalForm(request.POST or None, department=goal.department, instance=goal)
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            services.goal_update(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Goal saved.")
            return htmx_redirect(request, goal.get_absolute_url())
    return render_form(
        request,
        "departments/goal_form.html",
        {"form": form, "department": goal.department, "goal": goal},
    )


@login_required
@require_POST
def goal_delete(request, pk: int):
    goal = get_object_or_404(selectors.goal_list(user=request.user), pk=pk)
    department = goal.department
    services.goal_delete(actor=request.user, goal=goal)
    messages.success(request, f"Goal “{goal}” deleted.")
    return redirect(department)


# --- suggestions ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def suggestions(request, slug: str):
    department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
    perms.require(
        perms.can_edit_goals(request.user, department), "Only this department's team can do that."
    )
    start, end = _default_period(timezone.localdate())
    proposals = suggestions_for(department=department, organisation=request.organisation)
    existing = set(department.goals.values_list("title", flat=True))
    cards = []
    for proposal in proposals:
        posted = request.method == "POST" and request.POST.get("key") == proposal.key
        form = SuggestionForm(
            request.POST if posted else None,
            prefix=proposal.key,
            initial={
                "title": proposal.title,
                "why": proposal.why,
                "period_start": start,
                "period_end": end,
            },
        )
        kpi_rows = [
            {
                "index": i,
                "suggestion": kpi,
                "metric": metric_get(kpi.metric),
                "target": request.POST.get(f"{proposal.key}-kpi-{i}-target", kpi.target)
                if posted
                else kpi.target,
                "include": (f"{proposal.key}-kpi-{i}-include" in request.POST) if posted else True,
                "error": None,
            }
            for i, kpi in enumerate(proposal.kpis)
        ]
        if posted:
            created = _accept_suggestion(request, department, proposal, form, kpi_rows)
            if created is not None:
                messages.success(request, f"Goal “{created}” added with its KPIs.")
                return redirect(department)
        cards.append(
            {
                "proposal": proposal,
                "form": form,
                "kpis": kpi_rows,
                "taken": proposal.title in existing,
            }
        )
    return render(
        request,
        "departments/suggestions.html",
        {"department": department, "cards": cards},
        status=422 if request.method == "POST" else 200,
    )


def _accept_suggestion(request, department, proposal, form, kpi_rows) -> Goal | None:
    if not form.is_valid():
        return None
    kpis = []
    for row in kpi_rows:
        if not row["include"]:
            continue
        try:
            target = Decimal(str(row["target"]).strip())
            if not target.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            row["error"] = "Enter a number."
            continue
        suggestion = row["suggestion"]
        kpis.append(
            {
                "metric": suggestion.metric,
                "target": target,
                "baseline": suggestion.baseline,
                "cadence": suggestion.cadence,
                "name": suggestion.name,
                "direction": suggestion.direction,
            }
        )
    if any(row["error"] for row in kpi_rows):
        return None
    data = form.cleaned_data
    try:
        return services.goal_create_with_kpis(
            actor=request.user,
            department=department,
            objective=proposal.objective,
            title=data["title"],
            why=data["why"],
            owner=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            kpis=kpis,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None


# --- KPIs -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def kpi_create(request, pk: int):
    goal = get_object_or_404(selectors.goal_list(user=request.user), pk=pk)
    perms.require(
        perms.can_edit_goals(request.user, goal.department),
        "Only this department's team can do that.",
    )
    form = KPIForm(request.POST or None, instance=KPI(goal=goal))
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            kpi = services.kpi_create(actor=request.user, goal=goal, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"KPI “{kpi.label}” added.")
            return htmx_redirect(request, goal.get_absolute_url())
    return render_form(
        request,
        "departments/kpi_form.html",
        {"form": form, "goal": goal, "department": goal.department},
    )


@login_required
def kpi_detail(request, pk: int):
    kpi = get_object_or_404(_kpi_with_history(request.user), pk=pk)
    progress = kpi_progress(kpi=kpi, today=timezone.localdate())
    can_edit = perms.can_edit_goals(request.user, kpi.goal.department)
    return render(
        request,
        "departments/kpi_detail.html",
        {
            "kpi": kpi,
            "goal": kpi.goal,
            "department": kpi.goal.department,
            "progress": progress,
            "metric": metric_get(kpi.metric),
            "can_edit": can_edit,
            "measurement_form": MeasurementForm(initial={"measured_on": timezone.localdate()})
            if can_edit
            else None,
            "chart": _kpi_chart(kpi),
        },
    )


def _kpi_with_history(user):
    """KPIs with every measurement, for the page that lists and charts them all."""
    return selectors.kpi_list(user=user).prefetch_related(selectors.measurements_prefetch())


def _kpi_chart(kpi: KPI) -> dict:
    points = sorted(kpi.measurements.all(), key=lambda m: m.measured_on)
    return {
        "labels": [m.measured_on.isoformat() for m in points],
        "values": [float(m.value) for m in points],
        "target": float(kpi.target),
        "baseline": None if kpi.baseline is None else float(kpi.baseline),
        "label": kpi.label,
    }


@login_required
@require_http_methods(["GET", "POST"])
def kpi_edit(request, pk: int):
    kpi = get_object_or_404(selectors.kpi_list(user=request.user), pk=pk)
    perms.require(
        perms.can_edit_goals(request.user, kpi.goal.department),
        "Only this department's team can do that.",
    )
    form = KPIForm(request.POST or None, instance=kpi)
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            services.kpi_update(actor=request.user, kpi=kpi, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "KPI saved.")
            return htmx_redirect(request, reverse("departments:kpi", kwargs={"pk": kpi.pk}))
    return render_form(
        request,
        "departments/kpi_form.html",
        {"form": form, "goal": kpi.goal, "department": kpi.goal.department, "kpi": kpi},
    )


@login_required
@require_POST
def kpi_delete(request, pk: int):
    kpi = get_object_or_404(selectors.kpi_list(user=request.user), pk=pk)
    goal = kpi.goal
    services.kpi_delete(actor=request.user, kpi=kpi)
    messages.success(request, f"KPI “{kpi.label}” deleted.")
    return redirect(goal)


# --- measurements ---------------------------------------------------------------------


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
    return render(
        request,
        "departments/kpi_detail.html#measurement-form"
        if request.htmx
        else "departments/kpi_detail.html",
        {
            "kpi": kpi,
            "goal": kpi.goal,
            "department": kpi.goal.department,
            "progress": kpi_progress(kpi=kpi, today=timezone.localdate()),
            "can_edit": True,
            "measurement_form": form,
            "chart": _kpi_chart(kpi),
        },
        status=422,
    )


@login_required
@require_POST
def measurement_delete(request, pk: int):
    measurement = get_object_or_404(selectors.measurement_list(user=request.user), pk=pk)
    kpi = measurement.kpi
    services.measurement_delete(actor=request.user, measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect("departments:kpi", pk=kpi.pk)
