"""Who may create tracked links. Services enforce it; pages and the API ask it."""

from __future__ import annotations

from campaigns.models import Campaign
from departments import permissions as dept_perms
from departments.models import Membership
from socialops.models import User


def can_create_link(user: User, campaign: Campaign | None) -> bool:
    """A campaign's links are made by its department's leads and members (and admins); a
    link outside any campaign by anyone who edits for some department."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_org_admin:
        return True
    if campaign is not None:
        return dept_perms.can_edit_goals(user, campaign.department)
    return Membership.objects.filter(user=user, role__in=dept_perms.EDITOR_ROLES).exists()
