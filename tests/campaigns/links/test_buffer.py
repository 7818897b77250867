"""Clicks buffered in Redis and flushed in bulk, exactly once, even when a flush dies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from campaigns.links import buffer, services
from campaigns.links.services import clicks_flush
from campaigns.links.tasks import flush_clicks
from campaigns.links.views import link_redirect
from campaigns.models import Click
from tests.campaigns.conftest import needs_redis
from tests.campaigns.helpers import BROWSER

pytestmark = [pytest.mark.django_db, needs_redis]


class Killed(BaseException):
    """Stands in for SIGKILL: nothing after it runs, no except clause catches it."""


def _click(client, link, n=1):
    for _ in range(n):
        assert client.get(f"/l/{link.code}", headers={"user-agent": BROWSER}).status_code == 302


def _buffered() -> int:
    return buffer.client().llen(buffer.QUEUE_KEY)


def _die(*, events):
    raise Killed


def _processing() -> list[str]:
    return [k.decode() for k in buffer.client().scan_iter(match=f"{buffer.PROCESSING_PREFIX}*")]


def test_clicks_wait_in_redis_until_the_flush_writes_them_once(client, link):
    _click(client, link, 25)
    assert Click.objects.count() == 0
    assert _buffered() == 25
    assert flush_clicks() == 25
    assert Click.objects.count() == 25
    assert _buffered() == 0 and _processing() == []
    assert flush_clicks() == 0
    assert Click.objects.count() == 25


def test_a_conversion_reported_before_its_click_left_the_buffer_is_credited_by_the_flush(
    client, link, owner
):
    from urllib.parse import parse_qs, urlsplit

    from django.utils import timezone

    from campaigns.models import Conversion
    from campaigns.offers.services import conversion_record

    response = client.get(f"/l/{link.code}", headers={"user-agent": BROWSER})
    click_id = parse_qs(urlsplit(response["Location"]).query)["sc_cid"][0]
    # The shop reports the sale at once; the click still waits in Redis.
    conversion = conversion_record(
        actor=owner,
        kind="purchase",
        value=120,
        currency="EUR",
        occurred_at=timezone.now(),
        is_new_customer=True,
        click_id=click_id,
        channel="api",
    )
    assert conversion.attribution == Conversion.Attribution.NONE

    assert flush_clicks() == 1

    conversion.refresh_from_db()
    assert conversion.attribution == Conversion.Attribution.CLICK
    assert conversion.campaign == link.campaign


def test_a_flush_moves_the_queue_in_batches(client, link):
    _click(client, link, 7)
    assert clicks_flush(batch_size=3) == 7
    assert Click.objects.count() == 7


def test_a_warm_buffered_redirect_does_not_touch_the_database(link):
    request = RequestFactory().get(f"/l/{link.code}", headers={"user-agent": BROWSER})
    link_redirect(request, link.code)  # warms the cache
    with CaptureQueriesContext(connection) as queries:
        response = link_redirect(request, link.code)
    assert response.status_code == 302
    assert len(queries) == 0
    assert _buffered() == 2


@pytest.mark.parametrize("crash_after_store", [False, True])
def test_a_flush_killed_mid_way_loses_and_duplicates_nothing(
    client, link, monkeypatch, crash_after_store
):
    _click(client, link, 10)
    real_store = services.clicks_store

    def store_then_die(*, events):
        if crash_after_store:
            real_store(events=events)  # committed, but the processing list is not deleted
        raise Killed

    monkeypatch.setattr(services, "clicks_store", store_then_die)
    with pytest.raises(Killed):
        clicks_flush(batch_size=4)
    assert _processing() == [buffer.processing_key()]
    assert buffer.client().llen(buffer.processing_key()) == 4
    assert _buffered() == 6
    assert Click.objects.count() == (4 if crash_after_store else 0)

    monkeypatch.setattr(services, "clicks_store", real_store)
    assert clicks_flush(batch_size=4) == 10
    assert Click.objects.count() == 10
    assert Click.objects.values("click_id").distinct().count() == 10
    assert _processing() == [] and _buffered() == 0


def test_a_killed_workers_processing_list_is_adopted_by_another(client, link, monkeypatch):
    _click(client, link, 5)
    dead = f"{buffer.PROCESSING_PREFIX}dead:1"
    with monkeypatch.context() as patch:  # a worker that dies storing its first batch
        patch.setattr(services, "clicks_store", _die)
        patch.setattr(buffer, "processing_key", lambda: dead)
        with pytest.raises(Killed):
            clicks_flush(batch_size=3)
    assert buffer.client().llen(dead) == 3

    assert clicks_flush(batch_size=100, orphan_after=60) == 2  # too fresh to be an orphan
    assert buffer.client().llen(dead) == 3
    assert clicks_flush(batch_size=100, orphan_after=0) == 3
    assert Click.objects.count() == 5
    assert _processing() == []


def test_the_same_click_buffered_and_written_directly_is_stored_once(client, link):
    """A push that timed out may still reach Redis after the view wrote the click."""
    _click(client, link, 1)
    raw = buffer.client().lindex(buffer.QUEUE_KEY, 0)
    services.clicks_store(events=services._parse([raw]))
    assert clicks_flush(batch_size=10) == 1
    assert Click.objects.count() == 1


def test_a_malformed_event_is_dropped_not_stuck(client, link):
    buffer.client().lpush(buffer.QUEUE_KEY, b"{not json")
    _click(client, link, 2)
    assert clicks_flush(batch_size=10) == 2
    assert Click.objects.count() == 2
    assert _buffered() == 0 and _processing() == []


def test_a_warm_buffered_redirect_makes_no_database_query(client, link, django_assert_num_queries):
    browser = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36"}
    client.get(f"/l/{link.code}", **browser)  # warms the code → destination cache
    with django_assert_num_queries(0):
        assert client.get(f"/l/{link.code}", **browser).status_code == 302
