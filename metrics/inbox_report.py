"""The inbox report: first-response time (median, p90, the 0–1 h … 24 h+ spread), % of
responses within SLA, replies and DMs sent, conversations resolved and sentiment share,
per department and per person, over a range and week by week. Reads the daily rollup only
(metrics.measure); every figure is "no data yet" where nothing was counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from departments.models import Membership
from listening.inbox import selectors as inbox_selectors
from metrics.dashboard_forms import RangeForm
from metrics.measure import Request, Scope, Table, periods, spread
from metrics.models import Dim
from metrics.rollups import organisation_today
from socialops.models import User

FIGURES = (
    ("median_first_response_minutes", "Median first response (min)"),
    ("p90_first_response_minutes", "p90 first response (min)"),
    ("median_first_response_business_minutes", "Median, business hours (min)"),
    ("sla_met_share", "Within SLA (%)"),
    ("replies", "Replies sent"),
    ("dms", "DMs sent"),
    ("conversations_resolved", "Resolved"),
    ("positive_sentiment_share", "Positive sentiment (%)"),
)
PERSON_FIGURES = tuple(f for f in FIGURES if f[0] != "positive_sentiment_share")


@dataclass
class Line:
    name: str
    scope: Scope
    values: list[Decimal | None] = field(default_factory=list)
    spread: list[tuple[str, int]] | None = None
    link: str = ""


def _fill(table: Table, line: Line, keys, first: date, last: date) -> None:
    line.values = [table.value(key, line.scope, first, last) for key, _ in keys]
    line.spread = spread(table.histogram("first_response_minutes", line.scope, first, last))


def report(*, user: User, first: date, last: date) -> dict:
    departments = list(inbox_selectors.inbox_departments(user=user).order_by("name"))
    people = (
        User.objects.filter(
            memberships__department__in=departments,
            memberships__role__in=(Membership.Role.LEAD, Membership.Role.MEMBER),
        )
        .distinct()
        .order_by("username")
    )
    lines = [Line("Organisation", Scope())] if user.is_org_admin else []
    lines += [
        Line(d.name, Scope(Dim.DEPARTMENT, d.pk), link=f"/inbox/d/{d.slug}/") for d in departments
    ]
    persons = [Line(p.display_name, Scope(Dim.PERSON, p.pk)) for p in people]
    weeks = periods(first, last, "week")
    week_scope = lines[0].scope if lines else None
    requests = [
        Request(key, line.scope, first, last)
        for line in lines + persons
        for key, _ in (*FIGURES, ("first_response_minutes", ""))
    ]
    table = Table(requests)
    for line in lines:
        _fill(table, line, FIGURES, first, last)
    for line in persons:
        _fill(table, line, PERSON_FIGURES, first, last)
    week_lines = []
    if week_scope is not None:
        for a, b in weeks:
            line = Line(f"{a:%d %b}", week_scope)
            _fill(table, line, FIGURES, a, b)
            week_lines.append(line)
    return {
        "figures": FIGURES,
        "person_figures": PERSON_FIGURES,
        "lines": lines,
        "persons": persons,
        "weeks": week_lines,
        "week_scope_name": lines[0].name if lines else "",
    }


@login_required
@require_GET
def inbox_report(request):
    today = organisation_today()
    form = RangeForm(request.GET or None)
    period = form.period(today=today)
    first, last = period.first, period.last
    context = report(user=request.user, first=first, last=last)
    context.update({"first": first, "last": last, "form": form})
    return render(request, "metrics/inbox_report.html", context)
