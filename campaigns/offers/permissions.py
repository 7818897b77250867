"""Who may do what with offers and conversions. Services enforce it; pages and the API
ask it to decide what to show."""

from __future__ import annotations

from campaigns.models import Campaign
from departments import permissions as dept_perms
from departments.models import Membership
from socialops.models import User


def can_read_offers(user: User) -> bool:
    """Offers, their redemptions and conversions are open to every signed-in member: the
    steering committee weighs every department's results against their cost."""
    return bool(user.is_authenticated and user.is_active)


def can_edit_offer(user: User, campaign: Campaign) -> bool:
    """A campaign's offers are made and changed by its department's leads and members,
    and by organisation admins."""
    if not (user.is_authenticated and user.is_active):
        return False
    return dept_perms.can_edit_goals(user, campaign.department)


def is_editor_somewhere(user: User) -> bool:
    return Membership.objects.filter(user=user, role__in=dept_perms.EDITOR_ROLES).exists()


def can_add_offers(user: User) -> bool:
    """Whether to offer the "Add an offer" button: an editor of some department."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_org_admin or is_editor_somewhere(user)


def can_record_conversion(user: User) -> bool:
    """Conversions come from a shop or CRM integration (an API token user) or are typed in
    by the team. Whoever records them must be an organisation admin or a lead or member
    of some department; a viewer-only account cannot. A conversion is not tied to one
    department before attribution decides its campaign, so no department is asked."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_org_admin or is_editor_somewhere(user)
