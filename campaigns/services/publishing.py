"""Publishing scheduled posts to X, exactly once.

(First cut: the user-facing use cases the calendar calls. The claim, send and reconcile
machinery follows.)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.models import PostEvent, ScheduledPost
from departments import permissions as dept_perms
from socialops.models import User
from socialops.permissions import require

Status = ScheduledPost.Status


def can_publish(user: User, post: ScheduledPost) -> bool:
    """Editors (leads, members) of the post's department and admins send or retry it."""
    return dept_perms.can_edit_goals(user, post.department)


def post_publish_retry(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """A failed post goes back on the schedule: due now, or at its time if that is still
    ahead. Attempts are kept (they count every try)."""
    require(can_publish(actor, post), "You cannot retry this post.")
    with transaction.atomic():
        post = ScheduledPost.objects.select_for_update().get(pk=post.pk)
        if post.status != Status.FAILED:
            raise ValidationError({"status": "Only a failed post can be retried."})
        now = timezone.now()
        if post.scheduled_at is None or post.scheduled_at < now:
            post.scheduled_at = now
        post.status = Status.SCHEDULED
        post.error = ""
        post.claim_token = ""
        post.claimed_at = None
        post.save()
        PostEvent.objects.create(post=post, action=PostEvent.Action.RETRIED, actor=actor, at=now)
    return post


def post_publish_now(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """An approved or scheduled post becomes due now and is sent at the next tick."""
    require(can_publish(actor, post), "You cannot publish this post.")
    with transaction.atomic():
        post = ScheduledPost.objects.select_for_update().get(pk=post.pk)
        if post.status not in (Status.APPROVED, Status.SCHEDULED):
            raise ValidationError({"status": "Only an approved or scheduled post can be sent."})
        now = timezone.now()
        post.scheduled_at = now
        post.status = Status.SCHEDULED
        post.save()
        PostEvent.objects.create(
            post=post, action=PostEvent.Action.SCHEDULED, actor=actor, at=now, note="Send now"
        )
    return post
