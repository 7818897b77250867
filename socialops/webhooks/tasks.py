"""Thin tasks: send one delivery; beat's dispatch of what is due."""

from __future__ import annotations

from celery import shared_task

from socialops.webhooks.services import deliveries_dispatch_due, delivery_send

# A send waits at most WEBHOOK_TIMEOUT (15 s) for the receiver; the limits leave room for
# the database around it. Nothing is retried by Celery: a failed send is recorded and
# the delivery's own schedule (dispatch) sends it again, under the same webhook-id.


@shared_task(name="socialops.webhooks.deliver", time_limit=60, soft_time_limit=45)
def deliver(delivery_id: int, claim_token: str) -> None:
    delivery_send(delivery_id=delivery_id, claim_token=claim_token)


@shared_task(name="socialops.webhooks.dispatch_due", time_limit=60, soft_time_limit=45)
def dispatch_due() -> None:
    deliveries_dispatch_due()
