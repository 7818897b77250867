"""The outbox and webhook delivery, service by service: events written with the change,
Standard Webhooks signatures, the retry schedule, 410, five days failing, the address check
(SSRF), rotation, dispatch, replay and resending what failed. Sends go to a real HTTP
receiver on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from socialops.webhooks import signing, transport
from socialops.webhooks.models import Delivery, DeliveryAttempt, Event, WebhookEndpoint
from socialops.webhooks.services import (
    deliveries_dispatch_due,
    deliveries_resend_failed,
    delivery_replay,
    delivery_send,
    endpoint_create,
    endpoint_rotate_secret,
    endpoint_update,
    event_emit,
)
from tests.factories import MembershipFactory, UserFactory, WebhookEndpointFactory
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db

DATA = {"id": 7, "value": "12.50"}


def _send(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery_send(delivery_id=delivery.pk, claim_token=delivery.claim_token)


def _verify(endpoint: WebhookEndpoint, received, secret: str | None = None) -> bool:
    h = received.headers
    return signing.verify(
        secret=secret or endpoint.secret,
        msg_id=h["webhook-id"],
        timestamp=int(h["webhook-timestamp"]),
        body=received.body,
        header=h["webhook-signature"],
    )


def test_the_standard_webhooks_test_vector():
    # From the Standard Webhooks reference libraries' tests.
    assert (
        signing.sign(
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            msg_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp=1614265330,
            body=b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_an_event_is_written_with_its_change_or_not_at_all():
    wants_all = WebhookEndpointFactory()
    wants_it = WebhookEndpointFactory(event_types=["conversion.created"])
    WebhookEndpointFactory(event_types=["post.published"])
    WebhookEndpointFactory(enabled=False)
    with transaction.atomic():
        event = event_emit("conversion.created", data=DATA)
    assert event.payload["type"] == "conversion.created"
    assert event.payload["data"] == DATA
    assert event.msg_id.startswith("msg_")
    assert {d.endpoint_id for d in event.deliveries.all()} == {wants_all.pk, wants_it.pk}

    with pytest.raises(RuntimeError), transaction.atomic():
        event_emit("conversion.created", data=DATA)
        raise RuntimeError("the change fails")
    assert Event.objects.count() == 1 and Delivery.objects.count() == 2
    with pytest.raises(ValueError):
        event_emit("conversion.deleted", data=DATA)


def test_a_private_event_reaches_only_its_owners_endpoints():
    rep = UserFactory()
    admins = WebhookEndpointFactory()
    reps = WebhookEndpointFactory(owner=rep)
    event = event_emit("prospect.created", data=DATA, private_to=rep)
    assert [d.endpoint_id for d in event.deliveries.all()] == [reps.pk]
    assert admins.deliveries.count() == 0


def test_a_delivery_is_signed_and_logged():
    with webhook_receiver() as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        event = event_emit("conversion.created", data=DATA)
        delivery = _send(event.deliveries.get())
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    [got] = receiver.received
    assert got.headers["webhook-id"] == event.msg_id
    assert got.headers["content-type"] == "application/json"
    assert json.loads(got.body) == event.payload
    assert _verify(endpoint, got)
    assert not _verify(endpoint, got, secret=signing.secret_new())
    attempt = DeliveryAttempt.objects.get()
    assert (attempt.number, attempt.response_status, attempt.succeeded) == (1, 204, True)
    assert attempt.request_headers["webhook-id"] == event.msg_id
    assert "v1,…" in attempt.request_headers["webhook-signature"]  # never the signature


def test_a_claim_that_is_not_ours_sends_nothing():
    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url)
        delivery = event_emit("conversion.created", data=DATA).deliveries.get()
        assert delivery_send(delivery_id=delivery.pk, claim_token="someone-else") is None
        delivery.refresh_from_db()
        Delivery.objects.filter(pk=delivery.pk).update(
            claimed_until=timezone.now() - dt.timedelta(seconds=1)
        )
        # A claim that ran out belongs to the next dispatch, not to a late worker.
        assert delivery_send(delivery_id=delivery.pk, claim_token=delivery.claim_token) is None
    assert receiver.received == []


def test_failures_follow_the_schedule_then_fail(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 5, 300]
    with webhook_receiver(status=500) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        delivery = event_emit("conversion.created", data=DATA).deliveries.get()
        before = timezone.now()
        delivery = _send(delivery)
        assert delivery.status == Delivery.Status.PENDING and delivery.tries == 1
        assert before + dt.timedelta(seconds=5) <= delivery.next_attempt_at
        assert delivery.next_attempt_at <= timezone.now() + dt.timedelta(seconds=5)
        assert delivery.last_error == "answered 500"
        endpoint.refresh_from_db()
        assert endpoint.failing_since is not None and endpoint.enabled

        # Not due yet: dispatch leaves it alone; due: it is claimed once.
        assert deliveries_dispatch_due() == []
        later = timezone.now() + dt.timedelta(seconds=6)
        assert deliveries_dispatch_due(now=later) == [delivery.pk]
        assert deliveries_dispatch_due(now=later) == []
        delivery = _send(delivery)
        assert delivery.tries == 2
        Delivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now(), claimed_until=None
        )
        deliveries_dispatch_due()
        delivery = _send(delivery)
    assert delivery.status == Delivery.Status.FAILED and delivery.attempts == 3
    assert len(receiver.received) == 3
    assert len(set(receiver.ids())) == 1  # one event, one webhook-id


def test_retry_after_is_honoured():
    with webhook_receiver(status=429, retry_after="120") as receiver:
        WebhookEndpointFactory(url=receiver.url)
        delivery = _send(event_emit("conversion.created", data=DATA).deliveries.get())
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=110) < wait <= dt.timedelta(seconds=120)


def test_410_disables_the_endpoint():
    with webhook_receiver(status=410) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        delivery = _send(event_emit("conversion.created", data=DATA).deliveries.get())
    endpoint.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert event_emit("conversion.created", data=DATA).deliveries.count() == 0


def test_five_days_of_failures_disable_the_endpoint_and_tell_its_owner(settings):
    with webhook_receiver(script=[204], status=503) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        assert _send(event_emit("conversion.created", data=DATA).deliveries.get()).status == (
            Delivery.Status.DELIVERED
        )
        with transaction.atomic():
            _send(event_emit("conversion.created", data=DATA).deliveries.get())
        endpoint.refresh_from_db()
        assert endpoint.enabled and endpoint.failing_since
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - dt.timedelta(days=5, seconds=1)
        )
        with transaction.atomic():
            _send(event_emit("conversion.created", data=DATA).deliveries.get())
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "5 days" in endpoint.disabled_reason


@pytest.mark.django_db(transaction=True)
def test_the_owner_is_emailed_when_the_endpoint_is_disabled():
    with webhook_receiver(status=503) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url, owner__email="ops@example.com")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - dt.timedelta(days=6)
        )
        event = Event.objects.create(msg_id="msg_x", type="post.published", payload={})
        delivery = Delivery.objects.create(
            event=event,
            endpoint=endpoint,
            next_attempt_at=timezone.now(),
            claim_token="t",
            claimed_until=timezone.now() + dt.timedelta(seconds=60),
        )
        delivery_send(delivery_id=delivery.pk, claim_token="t")
    [message] = mail.outbox
    assert message.to == ["ops@example.com"] and endpoint.url in message.subject


def test_a_success_clears_failing_since():
    with webhook_receiver(script=[500], status=200) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        delivery = _send(event_emit("conversion.created", data=DATA).deliveries.get())
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        deliveries_dispatch_due()
        assert _send(delivery).status == Delivery.Status.DELIVERED
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]:8000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://localhost:8000/hook",
    ],
)
def test_private_addresses_are_refused_unless_allowed(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(transport.AddressRefused):
        transport.url_resolve(url)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    transport.url_resolve(url)


def test_a_public_address_passes_the_check(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    assert transport.url_resolve("https://93.184.215.14/hook") == (
        "93.184.215.14",
        443,
        "93.184.215.14",
    )


def test_the_address_is_checked_at_save_and_at_send(settings, admin_user):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError) as caught:
        endpoint_create(actor=admin_user, url="http://127.0.0.1:9000/hook")
    assert "private" in caught.value.message_dict["url"][0]
    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url)  # saved while allowed, say
        delivery = _send(event_emit("conversion.created", data=DATA).deliveries.get())
    assert receiver.received == []
    assert delivery.status == Delivery.Status.PENDING and "private" in delivery.last_error


def test_rotation_signs_with_both_secrets_for_a_while(settings, admin_user):
    with webhook_receiver() as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        old = endpoint.secret
        endpoint = endpoint_rotate_secret(actor=admin_user, endpoint=endpoint)
        assert endpoint.secret != old and endpoint.secret.startswith("whsec_")
        _send(event_emit("conversion.created", data=DATA).deliveries.get())
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_until=timezone.now() - dt.timedelta(seconds=1)
        )
        _send(event_emit("conversion.created", data=DATA).deliveries.get())
    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split()) == 2
    assert _verify(endpoint, during) and _verify(endpoint, during, secret=old)
    assert len(after.headers["webhook-signature"].split()) == 1
    assert _verify(endpoint, after) and not _verify(endpoint, after, secret=old)


def test_replay_and_resend_failed(admin_user):
    with webhook_receiver(status=500) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        deliveries = [
            event_emit("conversion.created", data={"n": n}).deliveries.get() for n in range(3)
        ]
        Delivery.objects.update(status=Delivery.Status.FAILED, claim_token="", claimed_until=None)
        Event.objects.filter(deliveries=deliveries[0]).update(
            created_at=timezone.now() - dt.timedelta(days=2)
        )
        receiver.status = 200
        replayed = delivery_replay(actor=admin_user, delivery=deliveries[0])
        assert replayed.status == Delivery.Status.PENDING and replayed.tries == 0
        assert _send(replayed).status == Delivery.Status.DELIVERED
        since = timezone.now() - dt.timedelta(days=1)
        assert deliveries_resend_failed(actor=admin_user, endpoint=endpoint, since=since) == 2
        for delivery in deliveries[1:]:
            assert _send(delivery).status == Delivery.Status.DELIVERED
    assert sorted(json.loads(r.body)["data"]["n"] for r in receiver.received) == [0, 1, 2]
    with pytest.raises(ValidationError):
        deliveries_resend_failed(
            actor=admin_user, endpoint=endpoint, since=timezone.now() + dt.timedelta(days=1)
        )


def test_only_admins_manage_endpoints(admin_user, marketing):
    lead = MembershipFactory(department=marketing, role="lead").user
    member = MembershipFactory(department=marketing, role="member").user
    for user in (lead, member):
        with pytest.raises(PermissionDenied):
            endpoint_create(actor=user, url="https://example.com/hook")
    endpoint = endpoint_create(
        actor=admin_user, url="http://127.0.0.1:9/hook", event_types=["post.published"]
    )
    assert endpoint.secret.startswith("whsec_") and endpoint.owner == admin_user
    for user in (lead, member):
        with pytest.raises(PermissionDenied):
            endpoint_update(actor=user, endpoint=endpoint, enabled=False)
    with pytest.raises(ValidationError) as caught:
        endpoint_update(actor=admin_user, endpoint=endpoint, event_types=["nope"], url="ftp://x")
    assert set(caught.value.message_dict) == {"event_types", "url"}
