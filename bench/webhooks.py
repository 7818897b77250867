"""Webhooks: 2,000 events delivered by a prefork worker of 2 processes (as production runs
it) to a receiver on 127.0.0.1, beside the receiver's own ceiling: a bare loop POSTing the
same signed bodies to it from 2 threads (no outbox, no database, no broker).

Reports deliveries/s from the first event's commit to the last delivery stored as
delivered, and what the receiver got: events missing (ceiling 0) and repeats (ceiling 0
here: nothing fails)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter

EVENTS = 2_000
BATCH = 100  # events committed together (one transaction each)
CEILING_POSTS = 2_000
TIMEOUT = 600.0


def run() -> None:
    import urllib3
    from django.conf import settings
    from django.db import transaction

    from socialops.webhooks import signing
    from socialops.webhooks.models import Delivery, WebhookEndpoint
    from socialops.webhooks.services import deliveries_dispatch_due, event_emit
    from tests.webhook_receiver import webhook_receiver
    from tests.worker import PRODUCTION_OPTIONS, celery_worker, wait_for

    data = {"id": 1, "kind": "purchase", "value": "49.00", "currency": "EUR"}
    with webhook_receiver() as receiver:
        # The ceiling: the same POSTs with nothing around them, 2 at a time.
        secret = signing.secret_new()
        body = json.dumps({"type": "conversion.created", "data": data}).encode()
        pool = urllib3.PoolManager(maxsize=2)

        def post(count: int) -> None:
            for n in range(count):
                msg_id, ts = f"msg_ceiling_{n}", int(time.time())
                pool.request(
                    "POST",
                    receiver.url,
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "webhook-id": msg_id,
                        "webhook-timestamp": str(ts),
                        "webhook-signature": signing.sign(
                            secret=secret, msg_id=msg_id, timestamp=ts, body=body
                        ),
                    },
                )

        started = time.monotonic()
        threads = [threading.Thread(target=post, args=(CEILING_POSTS // 2,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ceiling = CEILING_POSTS / (time.monotonic() - started)
        receiver.received.clear()

        queue = f"bench-webhooks-{uuid.uuid4().hex[:6]}"
        settings.WEBHOOK_QUEUE = queue
        WebhookEndpoint.objects.create(url=receiver.url, secret=signing.secret_new())
        with celery_worker(queue=queue, options=PRODUCTION_OPTIONS) as worker:
            started = time.monotonic()
            for _ in range(EVENTS // BATCH):
                with transaction.atomic():
                    for _ in range(BATCH):
                        event_emit("conversion.created", data=data)

            def done() -> bool:
                deliveries_dispatch_due()  # beat's part
                return not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists()

            finished = wait_for(done, timeout=TIMEOUT, interval=0.2)
            elapsed = time.monotonic() - started
            if not finished:
                print(f"webhooks: not all delivered within {TIMEOUT:.0f} s\n{worker.log()[-2000:]}")
    counts = Counter(receiver.ids())
    repeats = sum(n - 1 for n in counts.values())
    rate = EVENTS / elapsed
    print(
        f"webhooks: {EVENTS:,} events delivered by 2 worker processes in {elapsed:.1f} s: "
        f"{rate:,.0f} deliveries/s; ceiling (bare POSTs from 2 threads) {ceiling:,.0f}/s "
        f"({rate / ceiling:.0%} of it); missing {EVENTS - len(counts)} (0), repeats {repeats} (0)"
    )
