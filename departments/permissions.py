"""Who may do what with departments and their goals. The one place these rules live:
services enforce them, pages and the API ask them to decide what to show."""

from __future__ import annotations

from departments.models import Department, Membership
from socialops.models import User
from socialops.permissions import require  # noqa: F401 — re-exported as perms.require

EDITOR_ROLES = {Membership.Role.LEAD, Membership.Role.MEMBER}


def role_in(user: User, department: Department) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, department=department)
        .values_list("role", flat=True)
        .first()
    )


def can_read_goals(user: User) -> bool:
    """Goals and KPIs of every department are open to every signed-in member: the
    steering committee needs the whole picture."""
    return user.is_authenticated and user.is_active


def can_edit_goals(user: User, department: Department) -> bool:
    return user.is_authenticated and (
        user.is_org_admin or role_in(user, department) in EDITOR_ROLES
    )


def can_manage_department(user: User, department: Department) -> bool:
    """Leads manage their department's members and profile; admins manage every one."""
    return user.is_authenticated and (
        user.is_org_admin or role_in(user, department) == Membership.Role.LEAD
    )


def can_manage_organisation(user: User) -> bool:
    return user.is_authenticated and user.is_org_admin
