"""Idempotency-Key on every POST: the first answer is stored and replayed for 24 hours,
the same key with another body is a 422, concurrent requests with one key create one
row, and a key belongs to the caller that used it."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Campaign, Conversion
from socialops.models import IdempotentRequest
from socialops.tokens import api_token_create
from tests.factories import MembershipFactory

URL = "/api/v1/conversions/"


# One moment for every body, so two payloads of one value are the same request.
MOMENT = (timezone.now() - dt.timedelta(hours=1)).isoformat()


def payload(value: str = "12.50") -> dict:
    return {"value": value, "occurred_at": MOMENT}


def token_client(user) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user).key}")


@pytest.fixture
def crm(marketing):
    return MembershipFactory(department=marketing, role="member").user


@pytest.mark.django_db
class TestReplay:
    def test_the_first_answer_is_replayed(self, crm):
        client, key = token_client(crm), str(uuid.uuid4())
        first = client.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code == again.status_code == 201
        assert again.content == first.content and again["Idempotent-Replayed"] == "true"
        assert Conversion.objects.count() == 1

    def test_another_body_with_the_same_key_is_a_422(self, crm):
        client, key = token_client(crm), str(uuid.uuid4())
        client.post(URL, payload("1.00"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        other = client.post(URL, payload("2.00"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert other.status_code == 422
        assert "different request" in other.json()["Idempotency-Key"][0]
        assert Conversion.objects.count() == 1

    def test_every_post_takes_a_key(self, crm, marketing):
        client, key = token_client(crm), str(uuid.uuid4())
        body = {
            "name": "Spring",
            "department": marketing.slug,
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
        }
        first = client.post("/api/v1/campaigns/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post("/api/v1/campaigns/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert again.status_code == first.status_code
        assert again.content == first.content
        if first.status_code == 201:
            assert Campaign.objects.count() == 1

    def test_a_refusal_is_replayed_too(self, crm):
        client, key = token_client(crm), str(uuid.uuid4())
        bad = {"value": "-1", "occurred_at": "soon"}
        first = client.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post(URL, bad, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert first.status_code == again.status_code == 400
        assert again.json() == first.json()

    def test_keys_are_kept_for_24_hours(self, crm):
        client, key = token_client(crm), str(uuid.uuid4())
        client.post(URL, payload("1.00"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        IdempotentRequest.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
        later = client.post(URL, payload("2.00"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert later.status_code == 201 and "Idempotent-Replayed" not in later
        assert Conversion.objects.count() == 2

    def test_a_key_is_the_callers_own(self, crm, owner):
        key = str(uuid.uuid4())
        one = token_client(crm).post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
        two = token_client(owner).post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert one.status_code == two.status_code == 201
        assert one.json()["id"] != two.json()["id"]

    def test_an_empty_or_overlong_key_is_a_400(self, crm):
        client = token_client(crm)
        for key in (" ", "k" * 256):
            answer = client.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY=key)
            assert answer.status_code == 400 and "Idempotency-Key" in answer.json()
        assert not Conversion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_one_row(marketing):
    user = MembershipFactory(department=marketing, role="member").user
    token = api_token_create(user=user).key
    key, body = str(uuid.uuid4()), payload()
    start = threading.Barrier(8)
    answers: list[int] = []

    def post():
        try:
            client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
            start.wait(60)
            answers.append(client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert len(answers) == 8
    assert {a.status_code for a in answers} <= {201, 409}
    assert Conversion.objects.count() == 1
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.json()["id"] == created[0].json()["id"] for a in created)
    # Once the first is done, a retry of a 409 gets the stored answer.
    retry = APIClient(HTTP_AUTHORIZATION=f"Token {token}").post(
        URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert retry.status_code == 201 and retry.json()["id"] == created[0].json()["id"]
