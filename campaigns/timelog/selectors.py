"""Reads for the time log, narrowed to who may see what: people see their own entries,
department leads the entries logged against their departments, admins all of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, QuerySet, Sum

from campaigns.models import TimeEntry
from campaigns.timelog import permissions as perms
from departments.selectors import organisation_get
from socialops import params
from socialops.models import User

ACTIVITIES = TimeEntry.Activity


def time_entries_visible_to(*, user: User) -> QuerySet[TimeEntry]:
    if not perms.can_log_time(user):
        return TimeEntry.objects.none()
    qs = TimeEntry.objects.select_related("user", "campaign", "department")
    if user.is_org_admin:
        return qs
    led = perms.led_department_ids(user)
    return qs.filter(Q(user=user) | Q(department_id__in=led)) if led else qs.filter(user=user)


def team_entries_visible_to(*, user: User) -> QuerySet[TimeEntry]:
    """What the team view adds up: for a lead, the entries of their departments (their
    own included when logged there); for an admin, everyone's."""
    if not perms.can_see_team_time(user):
        return TimeEntry.objects.none()
    qs = time_entries_visible_to(user=user)
    if user.is_org_admin:
        return qs
    return qs.filter(department_id__in=perms.led_department_ids(user))


# --- Weeks ----------------------------------------------------------------------------


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_parse(value: str | None, *, today: dt.date) -> dt.date:
    """The Monday of an ISO week written YYYY-Www (e.g. 2026-W47); this week's Monday
    when the value is missing or no such week exists."""
    return params.iso_week_param(value, default=week_start(today))


def week_param(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


# --- Money and hours ------------------------------------------------------------------


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _cost(minutes: int, rate: Decimal) -> Decimal:
    return (Decimal(minutes) * rate / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_minutes(minutes: int) -> str:
    """1:30 for 90 minutes; empty for none (an empty cell reads better than 0:00)."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest:02d}"


# --- The weekly timesheet -------------------------------------------------------------


@dataclass
class SheetRow:
    activity: str
    label: str
    minutes: list[int]  # Monday … Sunday

    @property
    def total(self) -> int:
        return sum(self.minutes)

    @property
    def cells(self) -> list[str]:
        return [format_minutes(m) for m in self.minutes]

    @property
    def total_text(self) -> str:
        return format_minutes(self.total)


@dataclass
class Timesheet:
    monday: dt.date
    days: list[dt.date]
    rows: list[SheetRow]
    day_totals: list[int]
    entries: list[TimeEntry] = field(default_factory=list)
    today_index: int = -1  # the column of today, if this week has it

    @property
    def total(self) -> int:
        return sum(self.day_totals)

    @property
    def day_cells(self) -> list[str]:
        return [format_minutes(m) for m in self.day_totals]

    @property
    def total_text(self) -> str:
        return format_minutes(self.total) or "0:00"

    @property
    def columns(self) -> list[tuple[dt.date, str]]:
        return list(zip(self.days, self.day_cells, strict=True))

    @property
    def param(self) -> str:
        return week_param(self.monday)

    @property
    def previous(self) -> str:
        return week_param(self.monday - dt.timedelta(days=7))

    @property
    def next(self) -> str:
        return week_param(self.monday + dt.timedelta(days=7))


def timesheet(*, user: User, monday: dt.date, today: dt.date | None = None) -> Timesheet:
    """The user's own week: a row per activity (all of them, so the sheet keeps its
    shape), a column per day Monday to Sunday, totals both ways. Days are the entries'
    days, which are dates in the organisation's time zone."""
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    entries = list(
        time_entries_visible_to(user=user)
        .filter(user=user, day__range=(days[0], days[-1]))
        .order_by("day", "pk")
    )
    cells: dict[tuple[str, dt.date], int] = {}
    for entry in entries:
        key = (entry.activity, entry.day)
        cells[key] = cells.get(key, 0) + entry.minutes
    rows = [
        SheetRow(activity=value, label=str(label), minutes=[cells.get((value, d), 0) for d in days])
        for value, label in ACTIVITIES.choices
    ]
    day_totals = [sum(row.minutes[i] for row in rows) for i in range(7)]
    return Timesheet(
        monday=monday,
        days=days,
        rows=rows,
        day_totals=day_totals,
        entries=entries,
        today_index=days.index(today) if today in days else -1,
    )


# --- The team view --------------------------------------------------------------------


@dataclass
class TeamLine:
    key: str
    label: str
    minutes: int
    cost: Decimal

    @property
    def hours(self) -> Decimal:
        return _hours(self.minutes)

    @property
    def text(self) -> str:
        return format_minutes(self.minutes) or "0:00"


@dataclass
class TeamSummary:
    start: dt.date
    end: dt.date
    rate: Decimal
    currency: str
    by_person: list[TeamLine]
    by_activity: list[TeamLine]
    minutes: int
    cost: Decimal

    @property
    def hours(self) -> Decimal:
        return _hours(self.minutes)


def team_summary(
    *, user: User, start: dt.date, end: dt.date, department_id: int | None = None
) -> TeamSummary:
    """Hours and their cost (hours × the organisation's loaded hourly staff cost) from
    `start` to `end` inclusive, by person and by activity, over what the user may see
    as a team (team_entries_visible_to)."""
    organisation = organisation_get()
    rate = organisation.hourly_staff_cost
    qs = team_entries_visible_to(user=user).filter(day__range=(start, end)).order_by()
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    people = (
        qs.values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(minutes=Sum("minutes"))
        .order_by("-minutes", "user__username")
    )
    by_person = [
        TeamLine(
            key=row["user__username"],
            label=f"{row['user__first_name']} {row['user__last_name']}".strip()
            or row["user__username"],
            minutes=row["minutes"],
            cost=_cost(row["minutes"], rate),
        )
        for row in people
    ]
    per_activity = dict(qs.values_list("activity").annotate(minutes=Sum("minutes")))
    by_activity = [
        TeamLine(
            key=value,
            label=str(label),
            minutes=per_activity.get(value, 0),
            cost=_cost(per_activity.get(value, 0), rate),
        )
        for value, label in ACTIVITIES.choices
    ]
    total = sum(line.minutes for line in by_person)
    return TeamSummary(
        start=start,
        end=end,
        rate=rate,
        currency=organisation.currency,
        by_person=by_person,
        by_activity=by_activity,
        minutes=total,
        cost=_cost(total, rate),
    )
