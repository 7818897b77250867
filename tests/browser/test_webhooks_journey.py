"""Webhooks in a real browser: an admin adds an endpoint, a conversion arrives through the
API, a real Celery worker delivers it to a receiver on 127.0.0.1 and the delivery log says
so; a delivery the receiver refused is replayed from the log and delivered."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from rest_framework.test import APIClient

from socialops.webhooks import signing
from socialops.webhooks.models import Delivery, WebhookEndpoint
from tests.factories import MembershipFactory
from tests.webhook_receiver import webhook_receiver
from tests.worker import celery_worker

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _conversion_by_api(user, external_id: str) -> None:
    api = APIClient()
    api.force_authenticate(user)
    answer = api.post(
        "/api/v1/conversions/",
        {"value": "49.00", "occurred_at": timezone.now().isoformat(), "external_id": external_id},
    )
    assert answer.status_code == 201, answer.content


def test_an_admin_sees_a_conversion_delivered_and_replays_a_failure(
    signed_in, live_server, admin_user, marketing, settings
):
    queue = f"test-wh-{uuid.uuid4().hex[:8]}"
    settings.WEBHOOK_QUEUE = queue
    shop = MembershipFactory(department=marketing, role="member").user
    # One attempt each: a refusal fails at once, for the replay.
    env = {"WEBHOOK_RETRY_SCHEDULE": "0"}
    with webhook_receiver() as receiver, celery_worker(env=env, queue=queue):
        page = signed_in(admin_user)
        page.click("text=Webhooks")
        expect(page.locator("h1")).to_have_text("Webhooks")
        expect(page.locator(".empty")).to_contain_text("No webhook endpoints yet")
        page.click("text=Add an endpoint")
        page.fill("#id_url", receiver.url)
        page.check("input[value='conversion.created']")
        page.click("button:has-text('Add endpoint')")
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        assert WebhookEndpoint.objects.get().secret == secret
        page.click("text=Go to the endpoint")
        expect(page.locator("#delivery-log .empty")).to_contain_text("Nothing sent yet")

        _conversion_by_api(shop, "order-1")
        _reload_until(page, lambda: page.locator(".delivery-delivered").count() == 1)
        [got] = receiver.received
        assert signing.verify(
            secret=secret,
            msg_id=got.headers["webhook-id"],
            timestamp=int(got.headers["webhook-timestamp"]),
            body=got.body,
            header=got.headers["webhook-signature"],
        )

        receiver.status = 500
        _conversion_by_api(shop, "order-2")
        _reload_until(page, lambda: page.locator(".delivery-failed").count() == 1)
        failed = page.locator(".delivery-failed")
        expect(failed).to_contain_text("500")
        receiver.status = 204
        failed.locator("button:has-text('Replay')").click()
        expect(page.locator(".delivery-row").first).to_contain_text("queued again")
        _reload_until(page, lambda: page.locator(".delivery-delivered").count() == 2)
        endpoint_page = page.url
        page.click(".delivery-row >> nth=0 >> a")
        expect(page.locator("h3").first).to_contain_text(re.compile(r"Attempt 2 .* answered 204"))
        # On a phone no page is wider than the screen (long addresses and ids wrap).
        page.set_viewport_size({"width": 390, "height": 800})
        for url in (page.url, endpoint_page, f"{live_server.url}/settings/webhooks/"):
            page.goto(url)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 2
    assert len(set(receiver.ids())) == 2


def _reload_until(page, condition, attempts: int = 60) -> None:
    """Reload the page until `condition()` holds (a worker delivers in the background),
    waiting on each reload's load event; fails after `attempts` reloads."""
    for _ in range(attempts):
        page.reload()
        page.wait_for_load_state("load")
        if condition():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"not seen after {attempts} reloads of {page.url}")
