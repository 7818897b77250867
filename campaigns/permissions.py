"""Who may do what with campaigns and the UTM naming registry. Services enforce it; pages
and the API ask it to decide what to offer."""

from __future__ import annotations

from django.db.models import QuerySet

from departments import permissions as dept_perms
from departments.models import Department, Membership
from socialops.models import User


def can_read_campaigns(user: User) -> bool:
    """Campaigns, their links and their results are open to every signed-in member, like
    goals: the steering committee compares them across departments."""
    return user.is_authenticated and user.is_active


def can_edit_campaign(user: User, department: Department) -> bool:
    """A department's leads and members run its campaigns; admins run every one."""
    return dept_perms.can_edit_goals(user, department)


def editable_departments(user: User) -> QuerySet[Department]:
    """The departments `user` may start a campaign in."""
    if not (user.is_authenticated and user.is_active):
        return Department.objects.none()
    if user.is_org_admin:
        return Department.objects.all()
    return Department.objects.filter(
        memberships__user=user, memberships__role__in=dept_perms.EDITOR_ROLES
    ).distinct()


def can_create_campaigns(user: User) -> bool:
    return editable_departments(user).exists()


def can_manage_utm_registry(user: User) -> bool:
    """The naming registry is organisation-wide: any department's lead or an admin keeps
    it, so a value is agreed on by someone who answers for how their team tags links."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_org_admin:
        return True
    return Membership.objects.filter(user=user, role=Membership.Role.LEAD).exists()
