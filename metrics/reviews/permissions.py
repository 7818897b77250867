"""Who may do what with the weekly review — the one place, used by services, pages, API
and the digest.

- Everyone in the organisation (signed in, active) reads every review.
- A department's representatives edit its commentary and attendance and add action items
  and decisions for it; organisation admins may do all of that for any department.
- Admins close and reopen reviews.

Representatives: the department's members marked `is_representative`; where a department
marks nobody, its leads."""

from __future__ import annotations

from collections.abc import Iterable

from departments.models import Department, Membership
from socialops.models import User
from socialops.permissions import require  # noqa: F401 — re-exported as perms.require


def representatives_by_department(
    department_ids: Iterable[int] | None = None,
) -> dict[int, list[Membership]]:
    """Each department's representatives (memberships with their users), one query."""
    qs = Membership.objects.select_related("user").filter(user__is_active=True)
    if department_ids is not None:
        qs = qs.filter(department_id__in=list(department_ids))
    marked: dict[int, list[Membership]] = {}
    leads: dict[int, list[Membership]] = {}
    for m in qs.order_by("department_id", "user__username"):
        if m.is_representative:
            marked.setdefault(m.department_id, []).append(m)
        elif m.role == Membership.Role.LEAD:
            leads.setdefault(m.department_id, []).append(m)
    return {pk: marked.get(pk) or leads.get(pk, []) for pk in set(marked) | set(leads)}


def represented_department_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    mine = Membership.objects.filter(user=user).values_list("department_id", flat=True)
    reps = representatives_by_department(mine)
    return {pk for pk, members in reps.items() if any(m.user_id == user.pk for m in members)}


def can_read_reviews(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active)


def can_edit_for_department(user: User, department: Department | int) -> bool:
    """Commentary, attendance, action items and decisions of one department."""
    if not can_read_reviews(user):
        return False
    if user.is_org_admin:
        return True
    pk = department if isinstance(department, int) else department.pk
    return pk in represented_department_ids(user)


def can_record_decisions(user: User) -> bool:
    """Any representative (for their department or the whole committee) and admins."""
    return can_read_reviews(user) and (user.is_org_admin or bool(represented_department_ids(user)))


def can_close_reviews(user: User) -> bool:
    return can_read_reviews(user) and user.is_org_admin
