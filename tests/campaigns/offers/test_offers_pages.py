"""Offer and conversion pages: lists with redemptions, revenue and totals, forms with
field errors (422 for HTMX), and the same rights as the services (owner, colleague of
another department, admin)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Click, Conversion, Offer
from campaigns.offers.services import conversion_record
from tests.factories import CampaignFactory, MembershipFactory, OfferFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TODAY = dt.date.today()


@pytest.fixture
def offer(campaign):
    return OfferFactory(
        campaign=campaign,
        code="SPRING20",
        description="20% off spring shoes",
        valid_from=TODAY - dt.timedelta(days=5),
        valid_until=TODAY + dt.timedelta(days=5),
    )


def login(client, user):
    client.force_login(user)
    return client


def redeem(actor, *, value="10.00", currency="EUR", coupon="SPRING20", **extra):
    return conversion_record(
        actor=actor,
        kind=Conversion.Kind.REDEMPTION,
        value=Decimal(value),
        currency=currency,
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        is_new_customer=extra.pop("is_new_customer", False),
        coupon_code=coupon,
        channel=Conversion.Channel.API,
        **extra,
    )


def offer_payload(campaign, **overrides):
    return {
        "campaign": campaign.pk,
        "code": "SUMMER10",
        "description": "10 off",
        "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + dt.timedelta(days=20)).isoformat(),
        "value_kind": "amount",
        "value": "10",
        **overrides,
    }


class TestOfferList:
    def test_empty_state_says_what_to_do(self, client, owner):
        response = login(client, owner).get(reverse("campaigns:offer_list"))

        assert response.status_code == 200
        assert b"No offers yet" in response.content
        assert reverse("campaigns:offer_create").encode() in response.content

    def test_redemptions_new_customers_and_revenue_per_offer(self, client, owner, offer):
        redeem(owner, value="10.00", is_new_customer=True)
        redeem(owner, value="15.50")
        redeem(owner, value="99.00", currency="USD")  # not added to EUR revenue
        OfferFactory(campaign=offer.campaign, code="QUIET")

        response = login(client, owner).get(reverse("campaigns:offer_list"))

        rows = {o.code: o for o in response.context["offers"]}
        assert rows["SPRING20"].redemptions == 3
        assert rows["SPRING20"].new_customers == 1
        assert rows["SPRING20"].revenue == Decimal("25.50")
        assert rows["SPRING20"].other_currency == 1
        assert rows["QUIET"].redemptions == 0 and rows["QUIET"].revenue == 0
        assert response.context["totals"]["redemptions"] == 3
        assert b"+1 in other currencies" in response.content

    def test_filters_and_htmx_partial(self, client, owner, offer, campaign):
        OfferFactory(
            campaign=campaign,
            code="OLD",
            valid_from=TODAY - dt.timedelta(days=60),
            valid_until=TODAY - dt.timedelta(days=30),
        )
        login(client, owner)

        current = client.get(reverse("campaigns:offer_list"), {"state": "current"})
        ended = client.get(reverse("campaigns:offer_list"), {"state": "ended"}, **HTMX)

        assert [o.code for o in current.context["offers"]] == ["SPRING20"]
        assert [o.code for o in ended.context["offers"]] == ["OLD"]
        assert b"<html" not in ended.content and b'id="offer-results"' in ended.content

    def test_colleague_sees_offers_but_no_add_button_for_viewer(self, client, colleague, offer):
        response = login(client, colleague).get(reverse("campaigns:offer_list"))
        assert [o.code for o in response.context["offers"]] == ["SPRING20"]

    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(reverse("campaigns:offer_list"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestOfferForms:
    def test_owner_adds_an_offer(self, client, owner, campaign):
        response = login(client, owner).post(
            reverse("campaigns:offer_create"), offer_payload(campaign)
        )

        offer = Offer.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("campaigns:offer_detail", args=[offer.pk])
        assert offer.created_by == owner

    def test_duplicate_code_is_a_field_error_422(self, client, owner, offer, campaign):
        login(client, owner)

        response = client.post(
            reverse("campaigns:offer_create"), offer_payload(campaign, code="spring20"), **HTMX
        )

        assert response.status_code == 422
        assert "already used" in response.context["form"].errors["code"][0]
        assert b"<html" not in response.content and b'id="offer-form"' in response.content
        assert Offer.objects.count() == 1

    def test_validity_order_error_without_htmx(self, client, owner, campaign):
        response = login(client, owner).post(
            reverse("campaigns:offer_create"),
            offer_payload(campaign, valid_until=(TODAY - dt.timedelta(days=1)).isoformat()),
        )

        assert response.status_code == 422
        assert response.context["form"].errors["valid_until"] == [
            "An offer cannot end before it starts."
        ]
        assert b"<html" in response.content

    def test_campaign_choices_are_the_users_departments(self, client, owner, campaign, sales):
        theirs = CampaignFactory(department=sales)

        response = login(client, owner).post(
            reverse("campaigns:offer_create"), offer_payload(theirs)
        )

        assert response.status_code == 422
        assert "campaign" in response.context["form"].errors
        assert not Offer.objects.exists()

    def test_user_without_an_editor_role_gets_403(self, client, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        assert login(client, viewer).get(reverse("campaigns:offer_create")).status_code == 403

    def test_edit_rights_owner_colleague_admin(self, client, owner, colleague, admin_user, offer):
        url = reverse("campaigns:offer_edit", args=[offer.pk])
        payload = offer_payload(offer.campaign, code="SPRING20", description="Changed")

        assert login(client, colleague).get(url).status_code == 403
        assert login(client, colleague).post(url, payload).status_code == 403
        assert login(client, admin_user).get(url).status_code == 200
        response = login(client, owner).post(url, payload, **HTMX)

        assert response.status_code == 204
        assert response["HX-Redirect"] == reverse("campaigns:offer_detail", args=[offer.pk])
        offer.refresh_from_db()
        assert offer.description == "Changed"

    def test_detail_shows_redemptions(self, client, owner, colleague, offer):
        redeem(owner, external_id="order-1")

        response = login(client, colleague).get(reverse("campaigns:offer_detail", args=[offer.pk]))

        assert response.status_code == 200
        assert response.context["totals"].count == 1
        assert b"order-1" in response.content
        assert not response.context["can_edit"]


class TestConversionPages:
    def test_empty_state(self, client, owner):
        response = login(client, owner).get(reverse("campaigns:conversion_list"))

        assert response.status_code == 200
        assert b"No conversions yet" in response.content

    def test_filters_and_totals(self, client, owner, offer, link, sales):
        click = Click.objects.create(
            link=link, clicked_at=timezone.now(), click_id=uuid.uuid4().hex
        )
        redeem(owner, value="10")
        redeem(owner, value="5", coupon="", click_id=click.click_id, is_new_customer=True)
        redeem(owner, value="7", coupon="")
        login(client, owner)

        everything = client.get(reverse("campaigns:conversion_list"))
        by_coupon = client.get(reverse("campaigns:conversion_list"), {"attribution": "coupon"})
        by_campaign = client.get(
            reverse("campaigns:conversion_list"), {"campaign": link.campaign_id}, **HTMX
        )
        future = client.get(
            reverse("campaigns:conversion_list"),
            {"occurred_after": (TODAY + dt.timedelta(days=2)).isoformat()},
        )

        assert everything.context["totals"].count == 3
        assert everything.context["totals"].values == [("EUR", Decimal("22.00"))]
        assert everything.context["totals"].new_customers == 1
        assert everything.context["totals"].by_attribution == {
            "Click": 1,
            "Coupon": 1,
            "Unattributed": 1,
        }
        assert by_coupon.context["totals"].count == 1
        assert by_campaign.context["totals"].count == 2
        assert b"<html" not in by_campaign.content
        assert future.context["totals"].count == 0
        assert b"No conversion matches" in future.content

    def test_record_by_hand(self, client, owner, offer, organisation):
        when = timezone.localtime() - dt.timedelta(hours=1)

        response = login(client, owner).post(
            reverse("campaigns:conversion_create"),
            {
                "kind": "redemption",
                "value": "12.50",
                "currency": "",
                "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
                "coupon_code": "spring20",
                "external_id": "till-42",
            },
        )

        assert response.status_code == 302
        conversion = Conversion.objects.get()
        assert conversion.channel == Conversion.Channel.FORM
        assert conversion.attribution == Conversion.Attribution.COUPON
        assert conversion.currency == organisation.currency
        assert conversion.recorded_by == owner

    def test_unknown_coupon_is_a_field_error_422(self, client, owner):
        response = login(client, owner).post(
            reverse("campaigns:conversion_create"),
            {
                "kind": "purchase",
                "value": "12.50",
                "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "coupon_code": "NOPE",
            },
            **HTMX,
        )

        assert response.status_code == 422
        assert response.context["form"].errors["coupon_code"] == ["No offer has the code NOPE."]
        assert b'id="conversion-form"' in response.content
        assert not Conversion.objects.exists()

    def test_future_time_is_a_field_error(self, client, owner):
        response = login(client, owner).post(
            reverse("campaigns:conversion_create"),
            {
                "kind": "purchase",
                "value": "1",
                "occurred_at": (timezone.localtime() + dt.timedelta(days=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
        )

        assert response.status_code == 422
        assert "occurred_at" in response.context["form"].errors

    def test_viewer_may_not_record(self, client, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        login(client, viewer)

        assert client.get(reverse("campaigns:conversion_create")).status_code == 403
        assert client.get(reverse("campaigns:conversion_list")).status_code == 200


def test_pages_queries_do_not_grow_with_rows(client, owner, offer, campaign):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, owner)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    def add(n):
        for i in range(n):
            redeem(owner, external_id=f"o-{uuid.uuid4().hex}")
            OfferFactory(campaign=campaign, code=f"MORE{uuid.uuid4().hex[:6]}{i}")

    urls = [reverse("campaigns:offer_list"), reverse("campaigns:conversion_list")]
    add(2)
    few = [queries(url) for url in urls]
    add(6)
    assert [queries(url) for url in urls] == few
