"""A real Celery worker SIGKILLed in the middle of flushing clicks: nothing is lost and,
once another flush adopts its processing list, nothing is stored twice."""

from __future__ import annotations

import json

import pytest
import redis
from kombu import Connection

from campaigns.links import buffer
from campaigns.links.services import ClickEvent, clicks_flush
from campaigns.links.tasks import flush_clicks
from campaigns.models import Click
from tests.campaigns.conftest import REAL_KEYS
from tests.worker import celery_worker, free_port, needs_redis_server, start_redis, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_redis_server,
]

TOTAL = 40_000


def _ids(raw: list[bytes]) -> set[str]:
    return {ClickEvent(**json.loads(item)).click_id for item in raw}


def test_sigkill_mid_flush_loses_and_duplicates_nothing(link, settings, monkeypatch, tmp_path):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis_server = start_redis(port, tmp_path)
    try:
        settings.REDIS_URL = url
        for name, value in REAL_KEYS.items():  # a private Redis: the worker's own keys
            monkeypatch.setattr(buffer, name, value)
        buffer.reset()
        # The test's own client: no redirect's 100 ms socket timeout for set-up and checks
        # that move 40,000 events (a busy machine took longer, and the test failed).
        client = redis.Redis.from_url(url)
        events = [
            ClickEvent.new(
                link_id=link.pk, referrer="", user_agent="t", is_bot=False, visitor_key=""
            )
            for _ in range(TOTAL)
        ]
        for start in range(0, TOTAL, 1000):
            client.lpush(buffer.QUEUE_KEY, *(e.to_json() for e in events[start : start + 1000]))

        env = {"REDIS_URL": url, "CLICK_FLUSH_BATCH": "500"}
        with celery_worker(env=env) as worker:
            with Connection(url) as connection:
                flush_clicks.apply_async(queue=worker.queue, connection=connection)
            assert wait_for(
                lambda: (
                    Click.objects.count() >= 1000
                    and any(client.scan_iter(match=f"{buffer.PROCESSING_PREFIX}*"))
                ),
                timeout=60,
                interval=0.002,
            ), worker.log()[-3000:]
            worker.kill()

        stored = set(Click.objects.values_list("click_id", flat=True))
        assert 0 < len(stored) < TOTAL, "the kill must land mid-flush"
        waiting = _ids(client.lrange(buffer.QUEUE_KEY, 0, -1))
        for key in client.scan_iter(match=f"{buffer.PROCESSING_PREFIX}*"):
            waiting |= _ids(client.lrange(key, 0, -1))
        assert stored | waiting == {e.click_id for e in events}  # nothing lost

        while clicks_flush(batch_size=5000, orphan_after=0):
            pass
        assert Click.objects.count() == TOTAL
        assert Click.objects.values("click_id").distinct().count() == TOTAL
        assert not any(client.scan_iter(match="socialops:clicks:*"))
    finally:
        redis_server.kill()
        redis_server.wait()
