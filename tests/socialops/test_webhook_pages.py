"""Webhook pages and API: organisation admins manage endpoints and read the delivery log;
a department lead and a member get 403 everywhere. Bad input is a field error (form 422,
API 400), never a 500, and leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from socialops.webhooks.models import Delivery, WebhookEndpoint
from socialops.webhooks.services import event_emit
from tests.factories import MembershipFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(marketing):
    return MembershipFactory(department=marketing, role="lead").user


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _failed_delivery(endpoint: WebhookEndpoint) -> Delivery:
    delivery = event_emit("conversion.created", data={"id": 1}).deliveries.get(endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.FAILED, claim_token="", claimed_until=None, last_status_code=500
    )
    return delivery


def test_admins_manage_endpoints_through_the_pages(client, admin_user):
    client.force_login(admin_user)
    assert "No webhook endpoints yet" in client.get(reverse("webhooks:endpoints")).text
    answer = client.post(
        reverse("webhooks:endpoint_create"),
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["conversion.created"], "enabled": "on"},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert answer.status_code == 200 and endpoint.secret in answer.text  # shown once
    assert "no-cache" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]
    detail = client.get(reverse("webhooks:endpoint", args=[endpoint.pk]))
    assert endpoint.secret not in detail.text and "Nothing sent yet" in detail.text

    delivery = _failed_delivery(endpoint)
    page = client.get(reverse("webhooks:endpoint", args=[endpoint.pk]) + "?status=failed")
    assert "conversion.created" in page.text and "Replay" in page.text
    assert client.get(reverse("webhooks:delivery", args=[delivery.pk])).status_code == 200
    replay = client.post(
        reverse("webhooks:delivery_replay", args=[delivery.pk]), HTTP_HX_REQUEST="true"
    )
    assert replay.status_code == 200 and "queued again" in replay.text
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING

    rotated = client.post(reverse("webhooks:endpoint_rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.text and endpoint.previous_secret


def test_bad_input_is_a_field_error(client, admin_user, settings):
    client.force_login(admin_user)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    for data, field in [
        ({"url": "not a url"}, "url"),
        ({"url": "http://10.0.0.1/hook"}, "url"),
        ({"url": "https://example.invalid/x", "event_types": ["nope"]}, "event_types"),
    ]:
        answer = client.post(reverse("webhooks:endpoint_create"), data)
        assert answer.status_code == 422
        assert f'id="errors-{field}"><li>' in answer.text
    assert not WebhookEndpoint.objects.exists()
    endpoint = WebhookEndpointFactory()
    answer = client.post(reverse("webhooks:resend_failed", args=[endpoint.pk]), {"since": "x"})
    assert answer.status_code == 422 and 'id="errors-since"><li>' in answer.text


def test_resend_failed_since_from_the_page(client, admin_user):
    client.force_login(admin_user)
    endpoint = WebhookEndpointFactory()
    _failed_delivery(endpoint)
    since = timezone.localtime() - dt.timedelta(hours=1)
    answer = client.post(
        reverse("webhooks:resend_failed", args=[endpoint.pk]),
        {"since": since.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "1 failed delivery queued again" in answer.text
    assert Delivery.objects.get().status == Delivery.Status.PENDING


def test_leads_and_members_are_refused_everywhere(client, lead, member):
    endpoint = WebhookEndpointFactory()
    delivery = _failed_delivery(endpoint)
    for user in (lead, member):
        client.force_login(user)
        for name, args, method in [
            ("endpoints", [], "get"),
            ("endpoint_create", [], "get"),
            ("endpoint", [endpoint.pk], "get"),
            ("endpoint_edit", [endpoint.pk], "get"),
            ("endpoint_rotate", [endpoint.pk], "post"),
            ("endpoint_delete", [endpoint.pk], "post"),
            ("resend_failed", [endpoint.pk], "post"),
            ("delivery", [delivery.pk], "get"),
            ("delivery_replay", [delivery.pk], "post"),
        ]:
            answer = getattr(client, method)(reverse(f"webhooks:{name}", args=args))
            assert answer.status_code == 403, (user, name)
        assert "Webhooks" not in client.get(reverse("departments:home")).text
        api = _api(user)
        for method, url in [
            ("get", "/api/v1/webhook-endpoints/"),
            ("post", "/api/v1/webhook-endpoints/"),
            ("get", f"/api/v1/webhook-endpoints/{endpoint.pk}/"),
            ("patch", f"/api/v1/webhook-endpoints/{endpoint.pk}/"),
            ("delete", f"/api/v1/webhook-endpoints/{endpoint.pk}/"),
            ("post", f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate-secret/"),
            ("post", f"/api/v1/webhook-endpoints/{endpoint.pk}/resend-failed/"),
            ("get", "/api/v1/webhook-deliveries/"),
            ("get", f"/api/v1/webhook-deliveries/{delivery.pk}/"),
            ("post", f"/api/v1/webhook-deliveries/{delivery.pk}/replay/"),
        ]:
            assert getattr(api, method)(url, {}).status_code == 403, (user, method, url)
    endpoint.refresh_from_db()
    assert endpoint.enabled and WebhookEndpoint.objects.count() == 1


def test_the_api(admin_user, settings):
    api = _api(admin_user)
    created = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["post.published"]},
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["post.published"]
    shown = api.get(f"/api/v1/webhook-endpoints/{body['id']}/").json()
    assert "secret" not in shown and shown["owner"] == admin_user.username
    rotated = api.post(f"/api/v1/webhook-endpoints/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["previous_secret_until"]
    patched = api.patch(f"/api/v1/webhook-endpoints/{body['id']}/", {"enabled": False})
    assert patched.status_code == 200 and patched.json()["enabled"] is False

    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    bad = api.post(
        "/api/v1/webhook-endpoints/", {"url": "http://169.254.169.254/", "event_types": ["x"]}
    )
    assert bad.status_code == 400 and set(bad.json()) == {"event_types"}
    bad = api.post("/api/v1/webhook-endpoints/", {"url": "http://169.254.169.254/"})
    assert bad.status_code == 400 and "private" in bad.json()["url"][0]
    assert WebhookEndpoint.objects.count() == 1

    endpoint = WebhookEndpoint.objects.get()
    WebhookEndpoint.objects.update(enabled=True)
    delivery = _failed_delivery(endpoint) if endpoint.wants("conversion.created") else None
    assert delivery is None  # it wants post.published only
    WebhookEndpoint.objects.update(event_types=[])
    delivery = _failed_delivery(endpoint)
    listed = api.get("/api/v1/webhook-deliveries/", {"status": "failed"}).json()["results"]
    assert [d["id"] for d in listed] == [delivery.pk]
    detail = api.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
    assert detail["payload"]["type"] == "conversion.created" and detail["attempt_log"] == []
    assert api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/").status_code == 202
    assert api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/replay/").status_code == 400
    Delivery.objects.update(status=Delivery.Status.FAILED, claim_token="", claimed_until=None)
    bad = api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/resend-failed/", {"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.json()
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    resent = api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/resend-failed/", {"since": since})
    assert resent.json() == {"resent": 1}
    assert api.delete(f"/api/v1/webhook-endpoints/{endpoint.pk}/").status_code == 204
    assert not Delivery.objects.exists()
