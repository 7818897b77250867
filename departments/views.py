"""Pages that edit the organisation, departments, memberships, goals and KPIs.

The pages that show how KPIs stand (home, the departments overview, a department's, a
goal's and a KPI's page) are in metrics/views.py: metrics sits above departments.

Views are thin: a form validates, one service or selector call, render. A form posted by
HTMX with `?validate=1` is only validated (inline validation) and
its partial comes back; a plain POST works without JavaScript."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from departments import permissions as perms
from departments import selectors, services
from departments.demo import DEMO_PASSWORD, demo_logins
from departments.forms import (
    BusinessHoursForm,
    DepartmentForm,
    GoalForm,
    KPIForm,
    MembershipForm,
    MembershipUpdateForm,
    OrganisationForm,
    SuggestionForm,
)
from departments.models import KPI, Department, Goal
from departments.suggestions import suggestions_for
from metrics.registry import metric_get
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_form, validate_only

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


# --- departments ----------------------------------------------------------------------


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


@login_required
@require_http_methods(["GET", "POST"])
def business_hours(request, slug: str | None = None):
    """A department's opening hours and holidays (without a slug: the organisation's)."""
    department = None
    if slug is None:
        perms.require(
            perms.can_manage_organisation(request.user), "Only organisation admins can do that."
        )
    else:
        department = get_object_or_404(selectors.department_list(user=request.user), slug=slug)
        perms.require(perms.can_manage_department(request.user, department))
    form = BusinessHoursForm(
        request.POST or None,
        department=department,
        initial=BusinessHoursForm.initial_for(department),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.business_hours_set(
                actor=request.user,
                department=department,
                shifts=form.cleaned_data["shifts"],
                holidays=form.cleaned_data["holidays"],
                own_hours=form.cleaned_data.get("own_hours", True),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Business hours saved.")
            return redirect(request.path)
    context = {
        "form": form,
        "department": department,
        "organisation": selectors.organisation_get(),
    }
    return render(request, "departments/business_hours_form.html", context)


# --- memberships ----------------------------------------------------------------------


def _members_partial(request, department: Department, form=None, status: int = 200):
    memberships = selectors.membership_list(user=request.user, department=department)
    return render(
        request,
        "departments/_members.html",
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


class LoginView(auth_views.LoginView):
    """Sign in; on a demo installation, the page lists the demo organisation's logins."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.SHOW_DEMO_LOGINS:
            context.update(demo_logins=demo_logins(), demo_password=DEMO_PASSWORD)
        return context
