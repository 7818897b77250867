"""Use cases that change the organisation, departments, memberships, goals, KPIs and
measurements. Each is one transaction: it checks the actor's rights, validates with
full_clean(), saves, and writes an audit row."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils.text import slugify

from departments import permissions as perms
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
from departments.selectors import organisation_get
from socialops.marks import rebuild_later
from socialops.models import User
from socialops.services import fields_check, instance_delete, instance_save, snapshot

if TYPE_CHECKING:  # a KPI's scope names them; departments never imports the apps above
    from campaigns.models import Campaign
    from listening.models import XAccount

M = TypeVar("M", bound=Model)


def _locked(instance: M) -> M:
    """The row as the database has it, locked until the transaction ends: the audit's
    "before" must not be an object a form already changed, and two edits must not race."""
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def _assign(instance: Model, fields: dict[str, Any], allowed: set[str]) -> None:
    fields_check(fields, allowed)
    for name, value in fields.items():
        setattr(instance, name, value)


# --- Organisation ---------------------------------------------------------------------

ORGANISATION_FIELDS = {"name", "type", "time_zone", "currency", "hourly_staff_cost"}
# Every day of the metrics depends on these: the days themselves (time zone), which
# revenue counts (currency), what an hour costs.
REBUILD_FIELDS = ("time_zone", "currency", "hourly_staff_cost")


@transaction.atomic
def organisation_update(*, actor: User, **fields: Any) -> Organisation:
    perms.require(perms.can_manage_organisation(actor), "Only organisation admins can do that.")
    organisation = _locked(organisation_get())
    before = snapshot(organisation)
    _assign(organisation, fields, ORGANISATION_FIELDS)
    instance_save(actor=actor, instance=organisation, department=None, before=before)
    if any(snapshot(organisation)[name] != before[name] for name in REBUILD_FIELDS):
        rebuild_later()
    return organisation


# --- Departments ----------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "department"
    slug, n = base, 2
    while Department.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def department_create(
    *, actor: User, name: str, kind: str, purpose: str = "", slug: str = ""
) -> Department:
    perms.require(perms.can_manage_organisation(actor), "Only organisation admins add departments.")
    department = Department(name=name, kind=kind, purpose=purpose, slug=slug or _unique_slug(name))
    instance_save(actor=actor, instance=department, department=department)
    return department


DEPARTMENT_FIELDS = {"name", "kind", "purpose", "slug"}


@transaction.atomic
def department_update(*, actor: User, department: Department, **fields: Any) -> Department:
    perms.require(perms.can_manage_department(actor, department))
    department = _locked(department)
    before = snapshot(department)
    _assign(department, fields, DEPARTMENT_FIELDS)
    instance_save(actor=actor, instance=department, department=department, before=before)
    return department


@transaction.atomic
def department_delete(*, actor: User, department: Department) -> None:
    perms.require(perms.can_manage_organisation(actor), "Only organisation admins do that.")
    instance_delete(actor=actor, instance=department, department=None)
    # Its campaigns (and their spend) go with it; its time entries, sources and inbox
    # items stay without it: figures per department change on many days.
    rebuild_later()


# --- Memberships ----------------------------------------------------------------------


@transaction.atomic
def membership_create(
    *,
    actor: User,
    department: Department,
    user: User,
    role: str = Membership.Role.MEMBER,
    is_representative: bool = False,
) -> Membership:
    perms.require(perms.can_manage_department(actor, department))
    membership = Membership(
        department=department, user=user, role=role, is_representative=is_representative
    )
    instance_save(actor=actor, instance=membership, department=department)
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: User,
    membership: Membership,
    role: str | None = None,
    is_representative: bool | None = None,
) -> Membership:
    perms.require(perms.can_manage_department(actor, membership.department))
    membership = _locked(membership)
    before = snapshot(membership)
    if role is not None:
        membership.role = role
    if is_representative is not None:
        membership.is_representative = is_representative
    instance_save(actor=actor, instance=membership, department=membership.department, before=before)
    return membership


@transaction.atomic
def membership_delete(*, actor: User, membership: Membership) -> None:
    perms.require(perms.can_manage_department(actor, membership.department))
    instance_delete(actor=actor, instance=membership, department=membership.department)


# --- Goals ----------------------------------------------------------------------------

GOAL_FIELDS = {"objective", "title", "why", "owner", "period_start", "period_end", "status"}


@transaction.atomic
def goal_create(
    *,
    actor: User,
    department: Department,
    objective: str,
    title: str,
    period_start: date,
    period_end: date,
    why: str = "",
    owner: User | None = None,
    status: str = Goal.Status.ACTIVE,
) -> Goal:
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    goal = Goal(
        department=department,
        objective=objective,
        title=title,
        why=why,
        owner=owner,
        period_start=period_start,
        period_end=period_end,
        status=status,
    )
    instance_save(actor=actor, instance=goal, department=department)
    return goal


@transaction.atomic
def goal_update(*, actor: User, goal: Goal, **fields: Any) -> Goal:
    perms.require(
        perms.can_edit_goals(actor, goal.department), "Only this department's team can do that."
    )
    goal = _locked(goal)
    before = snapshot(goal)
    _assign(goal, fields, GOAL_FIELDS)
    instance_save(actor=actor, instance=goal, department=goal.department, before=before)
    return goal


@transaction.atomic
def goal_delete(*, actor: User, goal: Goal) -> None:
    perms.require(
        perms.can_edit_goals(actor, goal.department), "Only this department's team can do that."
    )
    instance_delete(actor=actor, instance=goal, department=goal.department)


# --- KPIs -----------------------------------------------------------------------------

# The fields a person sets on a KPI, in the order its form shows them.
KPI_FIELDS = (
    "metric",
    "name",
    "unit",
    "target",
    "baseline",
    "direction",
    "cadence",
    "scope",
    "account",
    "campaign",
    "green_from",
    "amber_from",
)


@transaction.atomic
def kpi_create(
    *,
    actor: User,
    goal: Goal,
    metric: str,
    target: Decimal,
    baseline: Decimal | None = None,
    direction: str = "",
    cadence: str = KPI.Cadence.WEEKLY,
    name: str = "",
    unit: str = "",
    scope: str = "",
    account: XAccount | None = None,
    campaign: Campaign | None = None,
    green_from: int = 99,
    amber_from: int = 81,
) -> KPI:
    perms.require(
        perms.can_edit_goals(actor, goal.department), "Only this department's team can do that."
    )
    kpi = KPI(
        goal=goal,
        metric=metric,
        target=target,
        baseline=baseline,
        direction=direction or KPI.default_direction(metric),
        cadence=cadence,
        name=name,
        unit=unit,
        scope=scope or KPI.default_scope(metric),
        account=account,
        campaign=campaign,
        green_from=green_from,
        amber_from=amber_from,
    )
    instance_save(actor=actor, instance=kpi, department=goal.department)
    return kpi


@transaction.atomic
def kpi_update(*, actor: User, kpi: KPI, **fields: Any) -> KPI:
    department = kpi.goal.department
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    kpi = _locked(kpi)
    before = snapshot(kpi)
    metric = fields.get("metric", kpi.metric)
    if fields.get("direction") == "":
        fields["direction"] = KPI.default_direction(metric)
    if fields.get("scope") == "":
        fields["scope"] = KPI.default_scope(metric)
    _assign(kpi, fields, KPI_FIELDS)
    instance_save(actor=actor, instance=kpi, department=department, before=before)
    return kpi


@transaction.atomic
def kpi_delete(*, actor: User, kpi: KPI) -> None:
    department = kpi.goal.department
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    instance_delete(actor=actor, instance=kpi, department=department)


# --- Measurements ---------------------------------------------------------------------


@transaction.atomic
def measurement_create(
    *, actor: User, kpi: KPI, value: Decimal, measured_on: date, note: str = ""
) -> Measurement:
    department = kpi.goal.department
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    measurement = Measurement(
        kpi=kpi, value=value, measured_on=measured_on, note=note, recorded_by=actor
    )
    instance_save(actor=actor, instance=measurement, department=department)
    return measurement


@transaction.atomic
def measurement_update(*, actor: User, measurement: Measurement, **fields: Any) -> Measurement:
    department = measurement.kpi.goal.department
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    measurement = _locked(measurement)
    before = snapshot(measurement)
    _assign(measurement, fields, {"value", "measured_on", "note"})
    instance_save(actor=actor, instance=measurement, department=department, before=before)
    return measurement


@transaction.atomic
def measurement_delete(*, actor: User, measurement: Measurement) -> None:
    department = measurement.kpi.goal.department
    perms.require(
        perms.can_edit_goals(actor, department), "Only this department's team can do that."
    )
    instance_delete(actor=actor, instance=measurement, department=department)


@transaction.atomic
def goal_create_with_kpis(
    *, actor: User, department: Department, kpis: list[dict[str, Any]], **goal_fields: Any
) -> Goal:
    """A goal and its KPIs, all or nothing (used when accepting a suggestion)."""
    goal = goal_create(actor=actor, department=department, **goal_fields)
    for kpi_fields in kpis:
        kpi_create(actor=actor, goal=goal, **kpi_fields)
    return goal


# --- Business hours -------------------------------------------------------------------


@transaction.atomic
def business_hours_set(
    *,
    actor: User,
    department: Department | None,
    shifts: list[tuple[int, time, time]],
    holidays: list[tuple[date, str]],
    own_hours: bool = True,
) -> None:
    """Replace the opening hours and holidays of a department (None: the organisation's).
    A department without `own_hours` keeps no shifts of its own: it follows the
    organisation's. Every row made or removed is audited."""
    if department is None:
        perms.require(perms.can_manage_organisation(actor), "Only organisation admins can do that.")
    else:
        perms.require(perms.can_manage_department(actor, department))
        department = _locked(department)
        before = snapshot(department)
        department.own_hours = own_hours
        instance_save(actor=actor, instance=department, department=department, before=before)
        if not own_hours:
            shifts = []
    wanted_shifts = set(shifts)
    for row in OpeningHours.objects.filter(department=department):
        if (row.weekday, row.opens, row.closes) in wanted_shifts:
            wanted_shifts.discard((row.weekday, row.opens, row.closes))
        else:
            instance_delete(actor=actor, instance=row, department=department)
    for weekday, opens, closes in sorted(wanted_shifts):
        row = OpeningHours(department=department, weekday=weekday, opens=opens, closes=closes)
        instance_save(actor=actor, instance=row, department=department)
    wanted_days = dict(holidays)
    for row in Holiday.objects.filter(department=department):
        if wanted_days.get(row.day) == row.name:
            del wanted_days[row.day]
        else:
            instance_delete(actor=actor, instance=row, department=department)
    for day, name in sorted(wanted_days.items()):
        instance_save(
            actor=actor,
            instance=Holiday(department=department, day=day, name=name),
            department=department,
        )
