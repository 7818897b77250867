"""Thin Celery tasks for tracked links: the click flush."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from campaigns.links import buffer
from campaigns.links.services import clicks_adopt_spooled, clicks_flush
from campaigns.offers.services import conversions_attribute_pending

log = logging.getLogger(__name__)


@shared_task(name="campaigns.flush_clicks", queue="default", time_limit=120, soft_time_limit=100)
def flush_clicks() -> int:
    """Beat runs this every CLICK_FLUSH_INTERVAL seconds: ships click journals that
    stopped web processes left, moves the Redis click buffer into the database. Not
    retried: a Redis outage is logged and the next beat tries again; nothing leaves Redis
    until it is stored."""
    if not buffer.enabled():
        return 0
    clicks_adopt_spooled()
    try:
        flushed = clicks_flush(batch_size=settings.CLICK_FLUSH_BATCH)
    except buffer.Unavailable:
        log.warning("click buffer unavailable; flushing on the next beat")
        flushed = 0
    # A shop can report a conversion before its click was stored (web processes' spools
    # store clicks on their own, between flushes): credit it now.
    conversions_attribute_pending()
    return flushed
