"""/api/v1/offers/: list and retrieve with redemptions and revenue, create and partial
update under the services' rules (owner, colleague of another department, admin), field
errors as 400, no PUT and no DELETE."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Conversion, Offer
from campaigns.offers.services import conversion_record
from tests.campaigns.helpers import client_for
from tests.factories import MembershipFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers/"
TODAY = dt.date.today()


def payload(campaign, **overrides):
    return {
        "campaign": campaign.pk,
        "code": "SPRING20",
        "description": "20% off",
        "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + dt.timedelta(days=30)).isoformat(),
        "value_kind": "percent",
        "value": "20",
        **overrides,
    }


@pytest.fixture
def offer(campaign):
    return OfferFactory(
        campaign=campaign,
        code="WINTER",
        valid_from=TODAY - dt.timedelta(days=3),
        valid_until=TODAY + dt.timedelta(days=3),
    )


class TestCreate:
    def test_owner_creates(self, owner, campaign):
        response = client_for(owner).post(URL, payload(campaign), format="json")

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["code"] == "SPRING20" and body["redemptions"] == 0
        assert body["campaign"] == {
            "id": campaign.pk,
            "name": campaign.name,
            "department": "marketing",
        }
        assert body["created_by"] == owner.username

    def test_colleague_of_another_department_gets_403(self, colleague, campaign):
        response = client_for(colleague).post(URL, payload(campaign), format="json")

        assert response.status_code == 403
        assert not Offer.objects.exists()

    def test_admin_creates(self, admin_user, campaign):
        assert client_for(admin_user).post(URL, payload(campaign), format="json").status_code == 201

    def test_duplicate_code_in_another_case_is_a_400_on_code(self, owner, campaign, offer):
        response = client_for(owner).post(URL, payload(campaign, code="winter"), format="json")

        assert response.status_code == 400
        assert list(response.json()) == ["code"]
        assert Offer.objects.count() == 1

    def test_validity_and_value_errors(self, owner, campaign):
        response = client_for(owner).post(
            URL,
            payload(
                campaign,
                valid_until=(TODAY - dt.timedelta(days=1)).isoformat(),
                value="-1",
                value_kind="amount",
            ),
            format="json",
        )

        assert response.status_code == 400
        assert {"valid_until", "value"} <= set(response.json())

    def test_unknown_campaign_is_a_400(self, owner):
        response = client_for(owner).post(URL, payload(type("C", (), {"pk": 999})), format="json")

        assert response.status_code == 400
        assert "campaign" in response.json()


class TestUpdate:
    def test_partial_update_rights(self, owner, colleague, admin_user, offer):
        url = f"{URL}{offer.pk}/"

        assert client_for(colleague).patch(url, {"description": "x"}).status_code == 403
        assert client_for(admin_user).patch(url, {"description": "admin"}).status_code == 200
        response = client_for(owner).patch(url, {"valid_until": TODAY.isoformat()})

        assert response.status_code == 200
        assert response.json()["description"] == "admin"
        assert response.json()["valid_until"] == TODAY.isoformat()

    def test_partial_update_checks_the_whole_offer(self, owner, offer):
        response = client_for(owner).patch(
            f"{URL}{offer.pk}/", {"valid_until": (TODAY - dt.timedelta(days=10)).isoformat()}
        )

        assert response.status_code == 400
        assert "valid_until" in response.json()
        offer.refresh_from_db()
        assert offer.valid_until == TODAY + dt.timedelta(days=3)

    def test_no_put_no_delete(self, owner, offer):
        client = client_for(owner)
        assert client.put(f"{URL}{offer.pk}/", {}).status_code == 405
        assert client.delete(f"{URL}{offer.pk}/").status_code == 405


class TestRead:
    def test_list_with_redemptions_and_revenue_for_every_member(
        self, owner, colleague, admin_user, offer
    ):
        for value in ("10", "5.5"):
            conversion_record(
                actor=owner,
                kind="redemption",
                value=Decimal(value),
                currency="",
                occurred_at=timezone.now() - dt.timedelta(hours=1),
                is_new_customer=True,
                coupon_code="winter",
                channel=Conversion.Channel.API,
            )

        for user in (owner, colleague, admin_user):
            body = client_for(user).get(URL).json()
            assert [(o["code"], o["redemptions"], o["revenue"]) for o in body["results"]] == [
                ("WINTER", 2, "15.50")
            ]
            assert body["results"][0]["new_customers"] == 2

    def test_filters(self, owner, offer, campaign):
        OfferFactory(
            campaign=campaign,
            code="LATER",
            valid_from=TODAY + dt.timedelta(days=10),
            valid_until=TODAY + dt.timedelta(days=20),
        )
        client = client_for(owner)

        def codes(**params):
            return sorted(o["code"] for o in client.get(URL, params).json()["results"])

        assert codes(state="current") == ["WINTER"]
        assert codes(state="upcoming") == ["LATER"]
        assert codes(code="ate") == ["LATER"]
        assert codes(campaign=campaign.pk) == ["LATER", "WINTER"]

    def test_viewer_reads_but_cannot_create(self, marketing, campaign, offer):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        client = client_for(viewer)

        assert client.get(f"{URL}{offer.pk}/").status_code == 200
        assert client.post(URL, payload(campaign), format="json").status_code == 403
