"""Who may do what in the inbox. A conversation is worked by its department's leads and
members and by organisation admins (viewers read it); one read only through a private
prospect list by that list's owner alone."""

from __future__ import annotations

from departments.models import Membership
from listening.inbox.models import Conversation
from socialops.models import User
from socialops.permissions import require  # noqa: F401 — re-exported as perms.require

WORKING_ROLES = (Membership.Role.LEAD, Membership.Role.MEMBER)


def can_work(user: User, conversation: Conversation) -> bool:
    """Assign, change status, add notes, reply."""
    if not user.is_authenticated:
        return False
    if conversation.private_to_id is not None:
        return conversation.private_to_id == user.pk
    if user.is_org_admin:
        return True
    return Membership.objects.filter(
        user=user, department_id=conversation.department_id, role__in=WORKING_ROLES
    ).exists()


def can_manage_routing(user: User) -> bool:
    return user.is_authenticated and user.is_org_admin
