from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from campaigns import buffer

# The real key names, for tests whose Redis is private (a worker process uses these).
REAL_KEYS = {"QUEUE_KEY": buffer.QUEUE_KEY, "PROCESSING_PREFIX": buffer.PROCESSING_PREFIX}


@pytest.fixture(autouse=True)
def _fresh_buffer(monkeypatch):
    """Each test gets its own Redis keys (a developer's running app may share the Redis)
    and no remembered outage."""
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setattr(buffer, "QUEUE_KEY", f"test:{tag}:clicks:queue")
    monkeypatch.setattr(buffer, "PROCESSING_PREFIX", f"test:{tag}:clicks:processing:")
    buffer.reset()
    yield
    if buffer.enabled():
        try:
            client = buffer.client()
            keys = list(client.scan_iter(match=f"test:{tag}:*"))
            if keys:
                client.delete(*keys)
        except buffer.Unavailable:
            pass
    buffer.reset()


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and not os.environ.get("CI"),
    reason="needs Redis: set REDIS_URL (CI does)",
)


@pytest.fixture
def campaign(marketing):
    from campaigns.models import Campaign

    return Campaign.objects.create(
        department=marketing,
        name="Spring launch",
        objective="sales",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 4, 30),
        status=Campaign.Status.RUNNING,
        utm_campaign="spring-launch",
    )


@pytest.fixture
def link(owner, campaign):
    from campaigns.services.links import link_create

    return link_create(
        actor=owner,
        destination="https://shop.example.com/spring?ref=home#top",
        campaign=campaign,
        utm_content="hero",
    )
