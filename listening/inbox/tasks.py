"""Thin tasks: take ids, call the inbox's services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from listening import client as x
from listening.inbox import sending


@shared_task(
    name="inbox.reply_send",
    bind=True,
    acks_late=True,
    soft_time_limit=90,
    time_limit=120,
    max_retries=None,
)
def reply_send(self, reply_id: int) -> str:
    try:
        return sending.reply_send(reply_id=reply_id)
    except x.Transient as exc:
        if self.request.retries >= settings.PUBLISH_MAX_RETRIES:
            sending.reply_give_up(reply_id=reply_id, error=str(exc))
            return sending.State.FAILED
        raise self.retry(
            exc=exc, countdown=settings.PUBLISH_RETRY_BACKOFF * 2**self.request.retries
        ) from exc


@shared_task(name="inbox.replies_reclaim", soft_time_limit=60, time_limit=90)
def replies_reclaim() -> int:
    return len(sending.replies_stale_reclaim())
