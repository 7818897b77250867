"""Who may do what on the editorial calendar. The one place these rules live: services
enforce them, pages and the API ask them what to offer.

- Everyone signed in reads the whole calendar (like goals: planning needs the picture).
- The editors (leads and members) of a post's department, and organisation admins,
  create, edit, submit, reschedule and take back its posts, and fill its slots.
- Approvals are given for a department by a lead of that department, or by an admin
  acting for it; whether the post's own author may approve is the approval rule's say.
  Its authors are its owner, its writer and everyone who has changed its content.
- A department's iCalendar feed is created and rotated by its leads and admins; the
  everyone feed by admins.
"""

from __future__ import annotations

from campaigns.models import PostEvent
from departments import permissions as dept_perms
from departments.models import Department, Membership
from socialops.models import User


def can_read_calendar(user: User) -> bool:
    return user.is_authenticated and user.is_active


def can_edit_posts(user: User, department: Department) -> bool:
    return dept_perms.can_edit_goals(user, department)


def can_write_any_posts(user: User) -> bool:
    """May the user create posts for at least one department (to offer "New post")?"""
    if not can_read_calendar(user):
        return False
    return (
        user.is_org_admin
        or Membership.objects.filter(user=user, role__in=dept_perms.EDITOR_ROLES).exists()
    )


def can_approve_for(user: User, department: Department) -> bool:
    return can_read_calendar(user) and (
        user.is_org_admin or dept_perms.role_in(user, department) == Membership.Role.LEAD
    )


def is_author(user: User, post) -> bool:
    """The post's owner, the person who wrote it, or anyone who has changed its content
    since: the four-eyes rule applies to all of them."""
    if user.pk is None:
        return False
    return user.pk in {post.owner_id, post.created_by_id} or rewrote(user, post)


def rewrote(user: User, post) -> bool:
    """Has the user changed what the post says (its text, parts, target or account)?

    Every such change is recorded as a `rewritten` event; a whole history counts, not only
    the last change, or two people could take turns to approve each other's words."""
    if user.pk is None:
        return False
    prefetched = getattr(post, "_prefetched_objects_cache", {}).get("events")
    if prefetched is not None:
        return any(
            event.action == PostEvent.Action.REWRITTEN and event.actor_id == user.pk
            for event in prefetched
        )
    return post.events.filter(action=PostEvent.Action.REWRITTEN, actor_id=user.pk).exists()


def can_manage_feed(user: User, department: Department | None) -> bool:
    if department is None:
        return user.is_authenticated and user.is_org_admin
    return dept_perms.can_manage_department(user, department)


def departments_user_edits(user: User):
    """The departments whose posts the user may write, for form choices."""
    if not can_read_calendar(user):
        return Department.objects.none()
    if user.is_org_admin:
        return Department.objects.all()
    return Department.objects.filter(
        memberships__user=user, memberships__role__in=dept_perms.EDITOR_ROLES
    ).distinct()
