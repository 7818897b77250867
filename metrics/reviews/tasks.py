"""Thin tasks: open the week's review when due (beat, every few minutes; it checks the
organisation's clock), and send each digest once."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from metrics.reviews import services

# A digest is sent once (services.review_digest_send claims it); a database or mail server
# that is away is tried again.
DIGEST_TASK = {
    "queue": "default",
    "time_limit": 300,
    "soft_time_limit": 240,
    "autoretry_for": (OperationalError, ConnectionError, TimeoutError),
    "retry_backoff": 30,
    "max_retries": 5,
}


@shared_task(name="metrics.reviews.open_due", queue="default", time_limit=120, soft_time_limit=100)
def open_due() -> int | None:
    review = services.review_open_due()
    return review.pk if review else None


@shared_task(name="metrics.reviews.open_digest", **DIGEST_TASK)
def open_digest(review_id: int) -> int:
    return services.review_digest_send(review_id=review_id, kind="open")


@shared_task(name="metrics.reviews.close_digest", **DIGEST_TASK)
def close_digest(review_id: int) -> int:
    return services.review_digest_send(review_id=review_id, kind="close")
