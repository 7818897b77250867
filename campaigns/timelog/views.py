"""Pages for the time log: the weekly timesheet with its quick-entry form, editing an
entry, and the team view (by person, by activity, with cost) for leads and admins.

The quick-entry form posts with HTMX and gets the timesheet partial back (with the new
entry, or with the form's field errors and 422); without JavaScript it redirects to the
entry's week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.models import TimeEntry
from campaigns.timelog import permissions as perms
from campaigns.timelog import selectors, services
from campaigns.timelog.forms import TeamFilterForm, TimeEntryForm
from departments.models import Department, Membership
from socialops.forms import apply_service_errors
from socialops.permissions import require

SHEET = "campaigns/timelog/time_week.html"


def _week_url(monday: dt.date) -> str:
    return f"{reverse('campaigns:time_week')}?week={selectors.week_param(monday)}"


def _default_day(monday: dt.date, today: dt.date) -> dt.date:
    """Today when the week shown is this week (or a later one), else that week's Sunday."""
    sunday = monday + dt.timedelta(days=6)
    return today if sunday >= today else sunday


def _quick_form(request: HttpRequest, monday: dt.date, today: dt.date, **sticky: Any):
    department = Membership.objects.filter(user=request.user).order_by("department__name").first()
    initial = {
        "day": _default_day(monday, today),
        "department": department.department_id if department else None,
        **sticky,
    }
    return TimeEntryForm(user=request.user, initial=initial)


def _sheet_context(request: HttpRequest, monday: dt.date, form: TimeEntryForm) -> dict[str, Any]:
    today = services.org_today()
    return {
        "sheet": selectors.timesheet(user=request.user, monday=monday, today=today),
        "form": form,
        "today": today,
        "this_week": selectors.week_param(selectors.week_start(today)),
        "can_see_team": perms.can_see_team_time(request.user),
    }


def _render_sheet(
    request: HttpRequest, monday: dt.date, form: TimeEntryForm, *, status: int = 200
) -> HttpResponse:
    template = f"{SHEET}#sheet" if request.htmx else SHEET
    response = render(request, template, _sheet_context(request, monday, form), status=status)
    if request.htmx and status == 200:
        response["HX-Push-Url"] = _week_url(monday)
    return response


@login_required
@require_GET
def time_week(request: HttpRequest) -> HttpResponse:
    today = services.org_today()
    monday = selectors.week_parse(request.GET.get("week"), today=today)
    return _render_sheet(request, monday, _quick_form(request, monday, today))


@login_required
@require_POST
def time_entry_create(request: HttpRequest) -> HttpResponse:
    today = services.org_today()
    monday = selectors.week_parse(request.POST.get("week"), today=today)
    form = TimeEntryForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            entry = services.time_entry_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            monday = selectors.week_start(entry.day)
            if not request.htmx:
                messages.success(request, "Time logged.")
                return redirect(_week_url(monday))
            # The next entry is often the same day, department and campaign.
            sticky = {
                "day": entry.day,
                "activity": entry.activity,
                "campaign": entry.campaign_id,
                "department": entry.department_id,
            }
            return _render_sheet(request, monday, _quick_form(request, monday, today, **sticky))
    return _render_sheet(request, monday, form, status=422)


def _own_entry(request: HttpRequest, pk: int) -> TimeEntry:
    entry = get_object_or_404(selectors.time_entries_visible_to(user=request.user), pk=pk)
    require(
        perms.can_change_entry(request.user, entry), "Only the person who logged it can change it."
    )
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def time_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    form = TimeEntryForm(
        request.POST or None, user=request.user, initial=TimeEntryForm.initial_for(entry)
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.time_entry_update(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Time entry saved.")
            url = _week_url(selectors.week_start(entry.day))
            if request.htmx:
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
    template = "campaigns/timelog/time_entry_form.html"
    return render(
        request,
        f"{template}#form" if request.htmx else template,
        {"form": form, "entry": entry, "week_url": _week_url(selectors.week_start(entry.day))},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def time_entry_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _own_entry(request, pk)
    monday = selectors.week_start(entry.day)
    services.time_entry_delete(actor=request.user, entry=entry)
    if request.htmx:
        return _render_sheet(request, monday, _quick_form(request, monday, services.org_today()))
    messages.success(request, "Time entry deleted.")
    return redirect(_week_url(monday))


# --- The team view --------------------------------------------------------------------


def _team_departments(request: HttpRequest):
    if request.user.is_org_admin:
        return Department.objects.order_by("name")
    return Department.objects.filter(pk__in=perms.led_department_ids(request.user)).order_by("name")


@login_required
@require_GET
def time_team(request: HttpRequest) -> HttpResponse:
    require(perms.can_see_team_time(request.user), "The team view is for leads and admins.")
    today = services.org_today()
    monday = selectors.week_start(today)
    form = TeamFilterForm(request.GET or None, departments=_team_departments(request))
    start, end, department = monday, monday + dt.timedelta(days=6), None
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or max(end, start)
        department = form.cleaned_data["department"]
    summary = selectors.team_summary(
        user=request.user,
        start=start,
        end=end,
        department_id=department.pk if department else None,
    )
    chart = {
        "labels": [line.label for line in summary.by_activity],
        "hours": [float(line.hours) for line in summary.by_activity],
        "people": [line.label for line in summary.by_person],
        "people_hours": [float(line.hours) for line in summary.by_person],
    }
    weeks = {
        "this": (monday, monday + dt.timedelta(days=6)),
        "last": (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)),
        "four": (monday - dt.timedelta(days=21), monday + dt.timedelta(days=6)),
        "month": (today.replace(day=1), today),
    }
    return render(
        request,
        "campaigns/timelog/time_team.html",
        {
            "form": form,
            "summary": summary,
            "chart": chart,
            "department": department,
            "weeks": weeks,
            "status": 422 if form.is_bound and not form.is_valid() else 200,
        },
        status=422 if form.is_bound and not form.is_valid() else 200,
    )
