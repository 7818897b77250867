"""Read queries for the organisation and its departments, narrowed to what a user may see."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from departments.hours import Calendar, calendar
from departments.models import (
    KPI,
    Department,
    Goal,
    Holiday,
    Measurement,
    Membership,
    OpeningHours,
    Organisation,
)
from metrics.registry import METRICS, entered_by_hand
from socialops.models import AuditEvent, User
from socialops.selectors import audit_event_list


def organisation_get() -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        pk=1, defaults={"name": "Our organisation"}
    )
    return organisation


def department_list(*, user: User) -> QuerySet[Department]:
    """Every department is visible to every signed-in member of the organisation."""
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.all()


def department_list_for_member(*, user: User) -> QuerySet[Department]:
    return department_list(user=user).filter(memberships__user=user).distinct()


def membership_list(*, user: User, department: Department | None = None) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    qs = Membership.objects.select_related("user", "department")
    if department is not None:
        qs = qs.filter(department=department)
    return qs


def measurements_prefetch() -> Prefetch:
    return Prefetch(
        "measurements",
        queryset=Measurement.objects.select_related("recorded_by").order_by("-measured_on"),
    )


RECENT_MEASUREMENTS = 12  # a KPI's sparkline of hand-typed values; progress reads one


def recent_measurements_prefetch() -> Prefetch:
    """The latest measurements of each KPI typed in by hand (a computed KPI reads the
    rollup, not these), in one query however long a KPI's history grows."""
    by_hand = [key for key in METRICS if entered_by_hand(key)]
    return Prefetch(
        "measurements",
        queryset=Measurement.objects.filter(kpi__metric__in=by_hand).order_by("-measured_on")[
            :RECENT_MEASUREMENTS
        ],
        to_attr="recent_measurements",
    )


def kpi_list(*, user: User) -> QuerySet[KPI]:
    if not user.is_authenticated:
        return KPI.objects.none()
    return KPI.objects.select_related("goal__department").prefetch_related(
        recent_measurements_prefetch()
    )


def goal_list(*, user: User, department: Department | None = None) -> QuerySet[Goal]:
    """Goals with their KPIs and measurements, ready to show progress."""
    if not user.is_authenticated:
        return Goal.objects.none()
    qs = Goal.objects.select_related("department", "owner").prefetch_related(
        Prefetch(
            "kpis",
            # No select_related: prefetching sets each KPI's goal to the goal above.
            queryset=KPI.objects.prefetch_related(recent_measurements_prefetch()),
        )
    )
    if department is not None:
        qs = qs.filter(department=department)
    return qs


def measurement_list(*, user: User) -> QuerySet[Measurement]:
    if not user.is_authenticated:
        return Measurement.objects.none()
    return Measurement.objects.select_related("kpi__goal__department", "recorded_by")


def audit_list(*, user: User, department: Department | None = None) -> QuerySet[AuditEvent]:
    qs = audit_event_list(user=user)
    if department is not None:
        qs = qs.filter(department=department)
    return qs


def department_calendar(*, department: Department | None) -> Calendar:
    """The business-hours calendar of a department (None: the organisation's): its own
    opening hours or the organisation's, the organisation's holidays and its own, in the
    organisation's time zone. Build once per department for bulk work."""
    # Read afresh: the instance at hand may predate a change to its hours.
    own = department is not None and (
        Department.objects.filter(pk=department.pk, own_hours=True).exists()
    )
    rows = OpeningHours.objects.filter(department=department if own else None)
    week: dict[int, list] = {}
    for row in rows:
        week.setdefault(row.weekday, []).append((row.opens, row.closes))
    holidays = Holiday.objects.filter(department=None)
    if department is not None:
        holidays = Holiday.objects.filter(Q(department=None) | Q(department=department))
    return calendar(organisation_get().time_zone, week, holidays.values_list("day", flat=True))
