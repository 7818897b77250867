"""Reads about publishing: the posts that are late going out."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from campaigns.models import ScheduledPost
from departments import permissions as dept_perms
from socialops.models import User

Status = ScheduledPost.Status
LATE = (Status.SCHEDULED, Status.PUBLISHING)


def post_stuck_list(*, user: User, now: datetime | None = None) -> QuerySet[ScheduledPost]:
    """Posts that should have gone out more than PUBLISH_STUCK_AFTER ago and have not
    (still scheduled, or still being sent), oldest first — for the people who can act on
    them: the editors of the post's department, and admins. (Everyone reads the calendar;
    the alert is for those who can retry or move the post.)"""
    if not (user.is_authenticated and user.is_active):
        return ScheduledPost.objects.none()
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.PUBLISH_STUCK_AFTER)
    posts = ScheduledPost.objects.filter(status__in=LATE, scheduled_at__lt=cutoff)
    if not user.is_org_admin:
        posts = posts.filter(
            department__memberships__user=user,
            department__memberships__role__in=dept_perms.EDITOR_ROLES,
        )
    return posts.select_related("account", "department").order_by("scheduled_at", "pk")
