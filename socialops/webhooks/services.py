"""Use cases of the outbox and webhook delivery.

Apps call event_emit() inside the transaction of their change: the event and one delivery
per endpoint that wants it are written with the change or not at all. After commit each
delivery is queued (already claimed); beat's dispatch queues whatever is due and
unclaimed (a retry, or one whose queueing failed because the broker was away, or whose
worker died), so nothing waits on the broker to be remembered."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from socialops.models import User
from socialops.permissions import require
from socialops.services import fields_check, instance_delete, instance_save, snapshot
from socialops.webhooks import signing, transport
from socialops.webhooks.events import EVENT_TYPES
from socialops.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from socialops.webhooks.permissions import can_manage_webhooks

log = logging.getLogger(__name__)

ONLY_ADMINS = "Only organisation admins manage webhooks."
TASK = "socialops.webhooks.deliver"


# --- Emitting -----------------------------------------------------------------------------


def _jsonable(data: Any) -> Any:
    # Decimals as strings and times in ISO 8601, as the API writes them.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_emit(
    event_type: str,
    *,
    data: dict[str, Any] | None = None,
    instance: models.Model | None = None,
    serializer: str = "",
    private_to: User | None = None,
) -> Event:
    """Record that `event_type` happened and queue a delivery to every enabled endpoint
    that wants it. Call it inside the change's transaction: the event commits with the
    change or not at all.

    The event's data is the object as the API shows it: `instance` read by `serializer`,
    the dotted path of the app's own API serializer (a path, so an app's services can name
    the serializer their api module builds on them without importing it back), or `data`
    as given. `private_to`: the event is about a private thing (a rep's prospect); only
    endpoints that user made receive it (nobody else may read it, admins included)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    if instance is not None:
        reader = import_string(serializer)
        data = reader(instance, context={"today": timezone.localdate()}).data
    if data is None:
        raise TypeError("event_emit needs data, or an instance and its serializer")
    now = timezone.now()
    msg_id = f"msg_{uuid.uuid4().hex}"
    payload = {"type": event_type, "timestamp": now.isoformat(), "data": _jsonable(data)}
    with transaction.atomic():
        event = Event.objects.create(
            msg_id=msg_id, type=event_type, payload=payload, private_to=private_to, created_at=now
        )
        endpoints = [
            endpoint
            for endpoint in WebhookEndpoint.objects.filter(enabled=True).only(
                "pk", "event_types", "owner_id"
            )
            if endpoint.wants(event_type)
            and (private_to is None or endpoint.owner_id == private_to.pk)
        ]
        if endpoints:
            token = uuid.uuid4().hex
            deliveries = Delivery.objects.bulk_create(
                Delivery(
                    event=event,
                    endpoint=endpoint,
                    next_attempt_at=now,
                    claim_token=token,
                    claimed_until=now + dt.timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS),
                    created_at=now,
                )
                for endpoint in endpoints
            )
            _queue_after_commit([(d.pk, token) for d in deliveries])
    return event


def _queue_after_commit(claimed: Iterable[tuple[int, str]]) -> None:
    for pk, token in claimed:
        # robust: with the broker away the send fails quietly; the claim runs out and the
        # next dispatch queues the delivery again.
        transaction.on_commit(lambda pk=pk, token=token: _deliver_later(pk, token), robust=True)


def _deliver_later(delivery_id: int, claim_token: str) -> None:
    # By name: socialops.webhooks.tasks calls these services, so they cannot import it;
    # SocialOpsConfig.ready registers the task in every process.
    current_app.tasks[TASK].apply_async((delivery_id, claim_token), queue=settings.WEBHOOK_QUEUE)


def deliveries_dispatch_due(*, now: dt.datetime | None = None) -> list[int]:
    """Claim and queue the pending deliveries that are due and not held by a live claim
    (beat, every WEBHOOK_TICK seconds). One conditional UPDATE claims the batch, so two
    beats, or this run twice, queue nothing twice."""
    now = now or timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = (
        Delivery.objects.filter(
            free, status=Delivery.Status.PENDING, next_attempt_at__lte=now, endpoint__enabled=True
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: settings.WEBHOOK_DISPATCH_BATCH]
    )
    ids = list(due)
    if not ids:
        return []
    token = uuid.uuid4().hex
    Delivery.objects.filter(free, pk__in=ids, status=Delivery.Status.PENDING).update(
        claim_token=token,
        claimed_until=now + dt.timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS),
    )
    claimed = list(
        Delivery.objects.filter(pk__in=ids, claim_token=token).values_list("pk", flat=True)
    )
    _queue_after_commit((pk, token) for pk in claimed)
    return claimed


# --- Sending ------------------------------------------------------------------------------


def _schedule() -> list[int]:
    return settings.WEBHOOK_RETRY_SCHEDULE


def delivery_send(*, delivery_id: int, claim_token: str) -> Delivery | None:
    """Send one delivery, once, if this claim still holds it.

    1. Check the claim (renewed by a conditional UPDATE when it would run out during the
       send): a claim that ran out or was taken over by a later dispatch means another
       worker owns the delivery now; do nothing.
    2. Sign the body (with the previous secret too while a rotation overlaps) and POST it
       to the checked address; success is a 2xx within WEBHOOK_TIMEOUT seconds.
    3. In one transaction: the attempt, and the delivery delivered, retried at the
       schedule's next step (or Retry-After when later) or failed when the schedule is
       spent; a 410 also disables the endpoint; an endpoint failing for
       WEBHOOK_DISABLE_AFTER seconds is disabled and its owner told by e-mail."""
    now = timezone.now()
    lease = dt.timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS)
    held = Delivery.objects.filter(
        pk=delivery_id,
        claim_token=claim_token,
        status=Delivery.Status.PENDING,
        claimed_until__gte=now,
    )
    delivery = held.select_related("event", "endpoint").first()
    if delivery is None:
        return None
    # A claim with room for the whole send is not written again (a commit saved per
    # delivery); one about to run out is renewed first, conditionally.
    room = dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT + 5)
    if delivery.claimed_until - now < room and not held.update(claimed_until=now + lease):
        return None
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.enabled:
        Delivery.objects.filter(pk=delivery_id, claim_token=claim_token).update(
            claim_token="", claimed_until=None
        )
        return delivery

    body = json.dumps(event.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    keys = [endpoint.secret]
    if endpoint.previous_secret and (
        endpoint.previous_secret_until and endpoint.previous_secret_until > now
    ):
        keys.append(endpoint.previous_secret)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "SocialOps-Webhooks/1",
        "webhook-id": event.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(
            secrets_=keys, msg_id=event.msg_id, timestamp=timestamp, body=body
        ),
    }
    answer = transport.post(
        url=endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT
    )
    ok = (
        answer.status is not None
        and 200 <= answer.status < 300
        and answer.duration_ms <= settings.WEBHOOK_TIMEOUT * 1000
    )
    error = answer.error
    if answer.status is not None and not ok:
        error = (
            f"answered {answer.status}"
            if answer.duration_ms <= settings.WEBHOOK_TIMEOUT * 1000
            else f"answered after {answer.duration_ms} ms (more than {settings.WEBHOOK_TIMEOUT} s)"
        )
    shown_headers = {k: v for k, v in headers.items() if k != "webhook-signature"}
    shown_headers["webhook-signature"] = "v1,…" * len(keys)
    return _attempt_record(
        delivery_id=delivery_id,
        claim_token=claim_token,
        url=endpoint.url,
        headers=shown_headers,
        answer=answer,
        ok=ok,
        error=error,
    )


@transaction.atomic
def _attempt_record(
    *,
    delivery_id: int,
    claim_token: str,
    url: str,
    headers: dict[str, str],
    answer: transport.Answer,
    ok: bool,
    error: str,
) -> Delivery:
    now = timezone.now()
    delivery = Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    delivery.attempts += 1
    DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        at=now,
        url=url,
        request_headers=headers,
        response_status=answer.status,
        response_body=answer.body,
        error=error[:300],
        duration_ms=answer.duration_ms,
        succeeded=ok,
    )
    delivery.last_status_code = answer.status
    delivery.last_error = "" if ok else error[:300]
    still_ours = delivery.claim_token == claim_token
    if ok:
        # A success counts whoever holds the claim now: the event reached the endpoint.
        delivery.status = Delivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.claim_token, delivery.claimed_until = "", None
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None
        )
    elif still_ours and delivery.status == Delivery.Status.PENDING:
        delivery.tries += 1
        delivery.claim_token, delivery.claimed_until = "", None
        schedule = _schedule()
        if answer.status == 410:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
            _endpoint_disable(endpoint, reason="The receiver answered 410 Gone.", notify=False)
        elif delivery.tries >= len(schedule):
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            wait = max(schedule[delivery.tries], min(answer.retry_after or 0, 86400))
            delivery.next_attempt_at = now + dt.timedelta(seconds=wait)
        _endpoint_failing(endpoint, now=now)
    delivery.save()
    return delivery


def _endpoint_failing(endpoint: WebhookEndpoint, *, now: dt.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint.refresh_from_db(fields=["failing_since", "enabled"])
    limit = dt.timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER)
    if endpoint.enabled and endpoint.failing_since <= now - limit:
        days = settings.WEBHOOK_DISABLE_AFTER / 86400
        _endpoint_disable(endpoint, reason=f"Every delivery failed for {days:g} days.", notify=True)


def _endpoint_disable(endpoint: WebhookEndpoint, *, reason: str, notify: bool) -> None:
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_reason=reason[:200]
    )
    if changed and notify and endpoint.owner_id:
        owner = User.objects.filter(pk=endpoint.owner_id).first()
        if owner and owner.email:
            transaction.on_commit(
                lambda: send_mail(
                    subject=f"Webhook endpoint disabled: {endpoint.url}",
                    message=(
                        f"SocialOps disabled the webhook endpoint {endpoint.url}.\n{reason}\n\n"
                        "Its failed deliveries are kept: once the receiver answers again, "
                        "enable the endpoint and resend what failed from its page:\n"
                        f"{settings.SITE_URL}/settings/webhooks/{endpoint.pk}/"
                    ),
                    from_email=None,
                    recipient_list=[owner.email],
                ),
                robust=True,
            )


# --- Endpoints ----------------------------------------------------------------------------


def _endpoint_check(endpoint: WebhookEndpoint) -> None:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(endpoint.event_types) - set(EVENT_TYPES))
    if unknown:
        errors["event_types"] = [f"Unknown event type: {', '.join(unknown)}."]
    endpoint.event_types = sorted(set(endpoint.event_types))
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        errors = {**exc.message_dict, **errors}
    if "url" not in errors:
        try:
            transport.url_resolve(endpoint.url)
        except transport.AddressRefused as exc:
            errors["url"] = [str(exc)]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def endpoint_create(
    *,
    actor: User,
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
    enabled: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a new secret; the caller shows `endpoint.secret` once."""
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    endpoint = WebhookEndpoint(
        url=url.strip(),
        event_types=list(event_types or []),
        description=description,
        enabled=enabled,
        owner=actor,
        secret=signing.secret_new(),
    )
    _endpoint_check(endpoint)
    instance_save(actor=actor, instance=endpoint, validate=False)
    return endpoint


ENDPOINT_FIELDS = {"url", "event_types", "description", "enabled"}


@transaction.atomic
def endpoint_update(*, actor: User, endpoint: WebhookEndpoint, **fields: Any) -> WebhookEndpoint:
    """Change an endpoint. Enabling it again forgets why it was disabled and lets its
    pending deliveries go (dispatch picks them up)."""
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    fields_check(fields, ENDPOINT_FIELDS)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint)
    for name, value in fields.items():
        setattr(endpoint, name, value.strip() if name == "url" else value)
    if fields.get("enabled") and not before["enabled"]:
        endpoint.disabled_reason = ""
        endpoint.failing_since = None
    _endpoint_check(endpoint)
    instance_save(actor=actor, instance=endpoint, before=before, validate=False)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    instance_delete(actor=actor, instance=endpoint)


@transaction.atomic
def endpoint_rotate_secret(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; the current one keeps signing beside it for WEBHOOK_ROTATION_OVERLAP
    seconds, so the receiver can move to the new one without refusing a message."""
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = snapshot(endpoint)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = timezone.now() + dt.timedelta(
        seconds=settings.WEBHOOK_ROTATION_OVERLAP
    )
    endpoint.secret = signing.secret_new()
    instance_save(actor=actor, instance=endpoint, before=before, validate=False)
    return endpoint


# --- Replays -----------------------------------------------------------------------------


def _requeue(queryset, *, now: dt.datetime) -> list[int]:
    token = uuid.uuid4().hex
    ids = list(queryset.values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        status=Delivery.Status.PENDING,
        tries=0,
        next_attempt_at=now,
        claim_token=token,
        claimed_until=now + dt.timedelta(seconds=settings.WEBHOOK_CLAIM_SECONDS),
        updated_at=now,
    )
    enabled = Delivery.objects.filter(pk__in=ids, endpoint__enabled=True)
    _queue_after_commit((pk, token) for pk in enabled.values_list("pk", flat=True))
    return ids


@transaction.atomic
def delivery_replay(*, actor: User, delivery: Delivery) -> Delivery:
    """Send a delivery again now (failed, or delivered and wanted again), under the same
    webhook-id; a new round of the retry schedule. One already on its way stays as it is."""
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    now = timezone.now()
    held = delivery.claimed_until is not None and delivery.claimed_until >= now
    if delivery.status == Delivery.Status.PENDING and held:
        raise ValidationError("This delivery is being sent right now.")
    _requeue(Delivery.objects.filter(pk=delivery.pk), now=now)
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def deliveries_resend_failed(*, actor: User, endpoint: WebhookEndpoint, since: dt.datetime) -> int:
    """Send again every delivery to `endpoint` that failed, of events since `since`."""
    require(can_manage_webhooks(actor), ONLY_ADMINS)
    if since > timezone.now():
        raise ValidationError({"since": ["This time is in the future."]})
    failed = Delivery.objects.select_for_update().filter(
        endpoint=endpoint, status=Delivery.Status.FAILED, event__created_at__gte=since
    )
    return len(_requeue(failed, now=timezone.now()))
