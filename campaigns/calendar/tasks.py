"""Thin Celery tasks for the editorial calendar: claiming due posts and sending them."""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from campaigns.calendar.publishing import (
    post_publish,
    post_publish_give_up,
    posts_due_claim,
    posts_stale_reclaim,
)
from listening import client as x

log = logging.getLogger(__name__)


@shared_task(name="campaigns.publish_due", queue="publish", time_limit=120, soft_time_limit=100)
def publish_due() -> int:
    """Beat runs this every PUBLISH_TICK seconds: claims taken over from dead workers and
    due posts are claimed (committed before anything is queued) and one publish_post per
    post is queued. Two beats, or this run twice, claim nothing twice. A post whose task
    is lost (the broker away) is taken over when its claim times out."""
    claims = posts_stale_reclaim() + posts_due_claim()
    for claim in claims:
        try:
            publish_post.apply_async(
                (claim.post_id, claim.claim_token), queue=settings.PUBLISH_QUEUE
            )
        except Exception:
            log.exception("could not queue post %s; it is taken over later", claim.post_id)
    return len(claims)


@shared_task(
    name="campaigns.publish_post",
    queue="publish",
    bind=True,
    acks_late=True,
    max_retries=None,  # bounded below by PUBLISH_MAX_RETRIES, read at run time
    time_limit=300,
    soft_time_limit=240,
)
def publish_post(self, post_id: int, claim_token: str) -> str:
    """Send one claimed post. Only X's transient failures are retried, with backoff and
    still holding the claim (kept under the claim timeout, so the retry, not the
    reconciler, goes on); a 429 puts the post back on the schedule at X's reset; the
    rest fail the post for a person to look at."""
    try:
        return post_publish(
            post_id=post_id, claim_token=claim_token, check_x=self.request.retries > 0
        )
    except x.Transient as exc:
        if self.request.retries >= settings.PUBLISH_MAX_RETRIES:
            post_publish_give_up(post_id=post_id, claim_token=claim_token, error=str(exc))
            return "failed"
        raise self.retry(
            exc=exc, countdown=_publish_backoff(self.request.retries), queue=settings.PUBLISH_QUEUE
        ) from exc


def _publish_backoff(retries: int) -> float:
    ceiling = settings.PUBLISH_CLAIM_TIMEOUT / 2
    return random.uniform(0.5, 1.0) * min(settings.PUBLISH_RETRY_BACKOFF * 2**retries, ceiling)
