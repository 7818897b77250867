"""Who may see and change time entries. A time entry is personal: its author writes it;
department leads read the entries logged against their department; admins read all."""

from __future__ import annotations

from campaigns.models import TimeEntry
from departments.models import Department, Membership
from socialops.models import User


def can_log_time(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_change_entry(user: User, entry: TimeEntry) -> bool:
    """Only the person who logged the time changes or deletes it (admins included: they
    read every entry, but a timesheet is its author's statement)."""
    return can_log_time(user) and entry.user_id == user.pk


def can_log_for_department(user: User, department: Department) -> bool:
    """Time is logged against a department one belongs to (admins: any)."""
    if not can_log_time(user):
        return False
    return user.is_org_admin or Membership.objects.filter(user=user, department=department).exists()


def led_department_ids(user: User) -> list[int]:
    if not user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.LEAD).values_list(
            "department_id", flat=True
        )
    )


def can_see_team_time(user: User) -> bool:
    """The team view (by person, by activity, with cost) is for leads and admins."""
    if not can_log_time(user):
        return False
    return user.is_org_admin or bool(led_department_ids(user))
