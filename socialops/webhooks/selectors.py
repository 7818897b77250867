"""Reads of endpoints and their delivery log: organisation admins see them all, nobody
else sees any."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from socialops.models import User
from socialops.webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from socialops.webhooks.permissions import can_manage_webhooks


def endpoint_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    if not can_manage_webhooks(user):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.select_related("owner").annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
    )


def delivery_list(*, user: User) -> QuerySet[Delivery]:
    if not can_manage_webhooks(user):
        return Delivery.objects.none()
    return Delivery.objects.select_related("event", "endpoint").order_by("-created_at", "-id")


def attempt_list(*, user: User, delivery: Delivery) -> QuerySet[DeliveryAttempt]:
    if not can_manage_webhooks(user):
        return DeliveryAttempt.objects.none()
    return DeliveryAttempt.objects.filter(delivery=delivery).order_by("-number")
