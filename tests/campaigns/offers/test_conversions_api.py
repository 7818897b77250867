"""/api/v1/conversions/: a repeated POST (same external_id or Idempotency-Key) creates
nothing and answers 200 with the first conversion; attribution; field errors with
nothing written; who may record; filters; the header in the OpenAPI schema; and, on
PostgreSQL, two identical requests racing for real."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns.models import Click, Conversion
from campaigns.offers import services
from socialops.models import AuditEvent
from socialops.tokens import api_token_create
from tests.campaigns.helpers import client_for
from tests.factories import MembershipFactory, OfferFactory, UserFactory

URL = "/api/v1/conversions/"
TODAY = dt.date.today()


def payload(**overrides):
    return {
        "kind": "purchase",
        "value": "49.90",
        "currency": "EUR",
        "occurred_at": (timezone.now() - dt.timedelta(minutes=30)).isoformat(),
        "is_new_customer": True,
        **overrides,
    }


@pytest.fixture
def offer(campaign):
    return OfferFactory(
        campaign=campaign,
        code="SPRING20",
        valid_from=TODAY - dt.timedelta(days=3),
        valid_until=TODAY + dt.timedelta(days=3),
    )


@pytest.fixture
def crm(marketing):
    """An integration user: a member of Marketing with an API token."""
    user = MembershipFactory(
        department=marketing, role="member", user=UserFactory(username="crm-bot")
    ).user
    return user, api_token_create(user=user).key


@pytest.mark.django_db
class TestIdempotentPost:
    def test_same_external_id_twice_creates_one_row_and_answers_200(self, crm):
        _, token = crm
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")

        first = client.post(URL, payload(external_id="order-1001"), format="json")
        again = client.post(URL, payload(external_id="order-1001"), format="json")

        assert first.status_code == 201, first.json()
        assert again.status_code == 200
        assert again.json() == first.json()
        assert Conversion.objects.count() == 1
        assert first.json()["recorded_by"] == "crm-bot"
        assert first.json()["channel"] == "api"

    def test_same_idempotency_key_twice_creates_one_row_and_replays_the_answer(self, owner):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {api_token_create(user=owner).key}")
        key = str(uuid.uuid4())

        body = payload()  # the same request twice: one moment
        first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        other = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="another")

        # The first answer is stored and replayed (socialops.idempotency).
        assert (first.status_code, again.status_code, other.status_code) == (201, 201, 201)
        assert again["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert again.json()["id"] == first.json()["id"] != other.json()["id"]
        assert Conversion.objects.count() == 2
        assert AuditEvent.objects.filter(object_type="campaigns.conversion").count() == 2

    def test_without_either_every_post_is_new(self, owner):
        client = client_for(owner)
        client.post(URL, payload(), format="json")
        client.post(URL, payload(), format="json")

        assert Conversion.objects.count() == 2

    def test_overlong_key_is_a_400(self, owner):
        client = APIClient(HTTP_AUTHORIZATION=f"Token {api_token_create(user=owner).key}")
        response = client.post(URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

        assert response.status_code == 400
        assert "Idempotency-Key" in response.json()
        assert not Conversion.objects.exists()


@pytest.mark.django_db
class TestAttributionAndErrors:
    def test_click_first_then_coupon_then_none(self, owner, link, offer):
        click = Click.objects.create(
            link=link, clicked_at=timezone.now(), click_id=uuid.uuid4().hex
        )
        client = client_for(owner)

        by_click = client.post(
            URL, payload(click_id=click.click_id, coupon_code="SPRING20"), format="json"
        ).json()
        by_coupon = client.post(URL, payload(coupon_code="spring20"), format="json").json()
        unattributed = client.post(URL, payload(), format="json").json()

        assert by_click["attribution"] == "click"
        assert by_click["link"] == link.code and by_click["offer"] == "SPRING20"
        assert by_click["campaign"]["id"] == link.campaign_id
        assert by_coupon["attribution"] == "coupon" and by_coupon["offer"] == "SPRING20"
        assert unattributed["attribution"] == "none" and unattributed["campaign"] is None

    def test_unknown_coupon_is_400_on_coupon_code_and_writes_nothing(self, owner):
        response = client_for(owner).post(
            URL, payload(coupon_code="NOPE10", external_id="x-1"), format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"coupon_code": ["No offer has the code NOPE10."]}
        assert not Conversion.objects.exists()
        assert not AuditEvent.objects.filter(object_type="campaigns.conversion").exists()

    def test_future_time_is_400(self, owner):
        future = (timezone.now() + dt.timedelta(hours=3)).isoformat()

        response = client_for(owner).post(URL, payload(occurred_at=future), format="json")

        assert response.status_code == 400
        assert "occurred_at" in response.json()
        assert not Conversion.objects.exists()

    def test_shape_errors_are_400_field_errors(self, owner):
        response = client_for(owner).post(
            URL, payload(value="lots", kind="gift", occurred_at=""), format="json"
        )

        assert response.status_code == 400
        assert {"value", "kind", "occurred_at"} <= set(response.json())

    def test_currency_defaults_to_the_organisation(self, owner, organisation):
        data = payload()
        del data["currency"]

        response = client_for(owner).post(URL, data, format="json")

        assert response.status_code == 201
        assert response.json()["currency"] == organisation.currency


@pytest.mark.django_db
class TestWhoMay:
    def test_anonymous_gets_401(self):
        assert APIClient().post(URL, payload(), format="json").status_code == 401
        assert APIClient().get(URL).status_code == 401

    def test_viewer_gets_403_and_nothing_is_written(self, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user

        response = client_for(viewer).post(URL, payload(), format="json")

        assert response.status_code == 403
        assert not Conversion.objects.exists()

    def test_owner_colleague_and_admin_may_record_and_read(self, owner, colleague, admin_user):
        for user in (owner, colleague, admin_user):
            assert client_for(user).post(URL, payload(), format="json").status_code == 201

        for user in (owner, colleague, admin_user):
            assert len(client_for(user).get(URL).json()["results"]) == 3

    def test_no_update_or_delete(self, owner):
        created = client_for(owner).post(URL, payload(), format="json").json()

        client = client_for(owner)
        assert client.patch(f"{URL}{created['id']}/", {"value": "1"}).status_code == 405
        assert client.delete(f"{URL}{created['id']}/").status_code == 405


@pytest.mark.django_db
class TestListing:
    def test_filters_and_cursor_pagination(self, owner, offer):
        client = client_for(owner)
        old = (timezone.now() - dt.timedelta(days=20)).isoformat()
        client.post(URL, payload(coupon_code="SPRING20"), format="json")
        client.post(URL, payload(kind="signup", value="0"), format="json")
        client.post(URL, payload(occurred_at=old, kind="lead", value="0"), format="json")

        def ids(**params):
            return [c["kind"] for c in client.get(URL, params).json()["results"]]

        assert ids(attribution="coupon") == ["purchase"]
        assert ids(campaign=offer.campaign_id) == ["purchase"]
        assert sorted(ids(kind="signup")) == ["signup"]
        since = (TODAY - dt.timedelta(days=2)).isoformat()
        assert sorted(ids(occurred_after=since)) == ["purchase", "signup"]
        assert ids(occurred_before=(TODAY - dt.timedelta(days=10)).isoformat()) == ["lead"]

        page = client.get(URL, {"page_size": 2}).json()
        assert len(page["results"]) == 2 and "cursor=" in page["next"]
        rest = client.get(page["next"]).json()
        assert len(rest["results"]) == 1 and rest["next"] is None

    def test_bad_filter_value_is_400(self, owner):
        assert client_for(owner).get(URL, {"kind": "gift"}).status_code == 400

    def test_retrieve(self, owner, colleague):
        created = client_for(owner).post(URL, payload(external_id="e-1"), format="json").json()

        response = client_for(colleague).get(f"{URL}{created['id']}/")

        assert response.status_code == 200 and response.json()["external_id"] == "e-1"


@pytest.mark.django_db
def test_schema_documents_the_idempotency_header_and_both_answers(owner):
    schema = client_for(owner).get("/api/v1/schema/?format=json").json()
    post = schema["paths"]["/api/v1/conversions/"]["post"]

    header = [p for p in post["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in header] == ["Idempotency-Key"]
    assert not header[0].get("required", False)
    assert {"200", "201"} <= set(post["responses"])
    assert "put" not in schema["paths"]["/api/v1/conversions/{id}/"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a real write race needs PostgreSQL's row locks"
)
@pytest.mark.parametrize("identity", ["external_id", "idempotency_key"])
def test_two_identical_requests_racing_create_one_row(owner, monkeypatch, identity):
    """Both requests pass the lookup before either writes; the second insert waits on
    the first's unique index entry, fails when it commits, and answers with its row."""
    barrier = threading.Barrier(2, timeout=10)
    real_build = services._conversion_build

    def build_then_wait(**kwargs):
        conversion = real_build(**kwargs)
        barrier.wait()  # both have looked and found nothing
        return conversion

    monkeypatch.setattr(services, "_conversion_build", build_then_wait)
    results, errors = [], []

    def post():
        try:
            results.append(
                services.conversion_record(
                    actor=owner,
                    kind="purchase",
                    value=Decimal("10"),
                    currency="EUR",
                    occurred_at=timezone.now() - dt.timedelta(minutes=1),
                    is_new_customer=False,
                    channel="api",
                    **{identity: "raced-1"},
                )
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    assert not errors
    assert Conversion.objects.count() == 1
    assert sorted(c.was_created for c in results) == [False, True]
    assert len({c.pk for c in results}) == 1


@pytest.mark.django_db
def test_list_queries_do_not_grow_with_rows(owner, offer, link):
    from django.test.utils import CaptureQueriesContext

    client = client_for(owner)

    def add(n):
        for _ in range(n):
            click = Click.objects.create(
                link=link, clicked_at=timezone.now(), click_id=uuid.uuid4().hex
            )
            client.post(
                URL, payload(coupon_code="SPRING20", click_id=click.click_id), format="json"
            )

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx)

    add(2)
    few = queries()
    add(8)
    assert queries() == few
