"""Thin Celery tasks for campaigns."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(name="campaigns.flush_clicks", queue="default", time_limit=120, soft_time_limit=100)
def flush_clicks() -> int:
    """Beat runs this every CLICK_FLUSH_INTERVAL seconds. Not retried: a Redis outage is
    logged and the next beat tries again; nothing leaves Redis until it is stored."""
    from campaigns import buffer
    from campaigns.services.links import clicks_flush

    if not buffer.enabled():
        return 0
    try:
        return clicks_flush(batch_size=settings.CLICK_FLUSH_BATCH)
    except buffer.Unavailable:
        log.warning("click buffer unavailable; flushing on the next beat")
        return 0
