"""Who may do what with X accounts and sources; pages and the API ask, services enforce.

A private list belongs to the person who added it and is shown to nobody else —
organisation admins included (a rep's prospect list is theirs)."""

from __future__ import annotations

from departments.models import Membership
from listening.models import Source
from socialops.models import User
from socialops.permissions import require  # noqa: F401 — re-exported as perms.require


def can_manage_accounts(user: User) -> bool:
    return user.is_authenticated and user.is_org_admin


def can_add_sources(user: User) -> bool:
    return user.is_authenticated and (
        user.is_org_admin
        or Membership.objects.filter(
            user=user, role__in=[Membership.Role.LEAD, Membership.Role.MEMBER]
        ).exists()
    )


def can_see_source(user: User, source: Source) -> bool:
    if not user.is_authenticated:
        return False
    if source.is_private:
        return source.owner_id == user.pk
    return True


def can_edit_source(user: User, source: Source) -> bool:
    if not can_see_source(user, source):
        return False
    return source.owner_id == user.pk or user.is_org_admin
