"""Webhooks are never lost: a real Celery worker SIGKILLed in the middle of a delivery, the
receiver down for a while, Redis going away. Every event reaches the receiver with a valid
signature; a receiver sees an event twice only under the same webhook-id."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import transaction

from socialops.celery import app
from socialops.webhooks import signing
from socialops.webhooks.models import Delivery, DeliveryAttempt, Event
from socialops.webhooks.services import deliveries_dispatch_due, event_emit
from tests.factories import WebhookEndpointFactory
from tests.webhook_receiver import Receiver, webhook_receiver
from tests.worker import (
    celery_worker,
    free_port,
    needs_redis_server,
    start_redis,
    wait_for,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = {
    "WEBHOOK_TIMEOUT": "2",
    "WEBHOOK_CLAIM_SECONDS": "3",
    "WEBHOOK_RETRY_SCHEDULE": ",".join(["0"] + ["1"] * 30),
}


@pytest.fixture
def fast(settings):
    settings.WEBHOOK_TIMEOUT = 2
    settings.WEBHOOK_CLAIM_SECONDS = 3
    settings.WEBHOOK_RETRY_SCHEDULE = [0] + [1] * 30
    return settings


def _emit(count: int) -> list[str]:
    with transaction.atomic():
        return [event_emit("conversion.created", data={"n": n}).msg_id for n in range(count)]


def _all_delivered() -> bool:
    # What beat does every WEBHOOK_TICK seconds: queue what is due and unclaimed.
    deliveries_dispatch_due()
    return not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()


def _check(receiver: Receiver, endpoint, expected: set[str]) -> None:
    assert set(receiver.ids()) == expected  # every event, nothing else
    for got in receiver.received:
        assert signing.verify(
            secret=endpoint.secret,
            msg_id=got.headers["webhook-id"],
            timestamp=int(got.headers["webhook-timestamp"]),
            body=got.body,
            header=got.headers["webhook-signature"],
        )
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == len(expected)


def test_sigkill_mid_delivery_and_a_receiver_down_for_a_while(fast):
    queue = f"test-wh-{uuid.uuid4().hex[:8]}"
    fast.WEBHOOK_QUEUE = queue
    with webhook_receiver(hold=threading.Event()) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        with celery_worker(env=FAST, queue=queue) as worker:
            expected = set(_emit(30))
            # The first POST is with the receiver, which holds its answer: kill now.
            assert wait_for(lambda: receiver.received, timeout=60), worker.log()[-3000:]
            worker.kill()
        assert not DeliveryAttempt.objects.exists()  # the attempt died with the worker
        receiver.stop()  # and the receiver goes down
        receiver.hold.set()  # (its held answer goes to a dead worker)
        receiver.hold = None

        with celery_worker(env=FAST, queue=queue) as worker:
            failures = wait_for(
                lambda: (
                    deliveries_dispatch_due() is not None
                    and DeliveryAttempt.objects.filter(succeeded=False).count() >= 10
                ),
                timeout=90,
            )
            assert failures, worker.log()[-3000:]
            receiver.start()  # back up
            assert wait_for(_all_delivered, timeout=120), worker.log()[-3000:]
    _check(receiver, endpoint, expected)
    # The killed delivery was sent again under its own webhook-id.
    assert len(receiver.received) > len(expected)
    failed = DeliveryAttempt.objects.filter(succeeded=False)
    assert all(a.response_status is None and a.error for a in failed)


@needs_redis_server
def test_redis_going_away_loses_no_event(fast):
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    queue = f"test-wh-{uuid.uuid4().hex[:8]}"
    fast.WEBHOOK_QUEUE = queue
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport")}
    try:
        app.conf.update(broker_url=broker, broker_transport=None)
        _fresh_producer_pool()
        with (
            webhook_receiver() as receiver,
            celery_worker(env={**FAST, "REDIS_URL": broker}, queue=queue) as worker,
        ):
            endpoint = WebhookEndpointFactory(url=receiver.url)
            expected = set(_emit(10))
            assert wait_for(_all_delivered, timeout=60), worker.log()[-3000:]

            redis.kill()  # the broker goes away
            redis.wait()
            app.conf.update(broker_connection_retry=False, broker_connection_max_retries=0)
            _fresh_producer_pool()
            expected |= set(_emit(10))  # queueing fails quietly; the events are stored
            assert Event.objects.count() == 20
            assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 10

            redis = start_redis(port)  # it comes back
            app.conf.update(broker_connection_retry=True, broker_connection_max_retries=None)
            _fresh_producer_pool()
            assert wait_for(_all_delivered, timeout=90), worker.log()[-3000:]
        _check(receiver, endpoint, expected)
        assert len(receiver.received) == len(expected)  # nothing twice
    finally:
        app.conf.update(saved)
        _fresh_producer_pool()
        redis.kill()
        redis.wait()


def _fresh_producer_pool() -> None:
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
