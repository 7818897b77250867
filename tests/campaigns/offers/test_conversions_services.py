"""Conversions: idempotent on external id and idempotency key (races included),
attributed by click id first, then coupon, else none; a click still in the buffer is
credited later; bad input is a field error and writes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import Click, Conversion
from campaigns.offers import services
from campaigns.offers.services import conversion_record, conversions_attribute_pending
from socialops.models import AuditEvent
from tests.factories import CampaignFactory, MembershipFactory, OfferFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@pytest.fixture
def offer(campaign):
    return OfferFactory(
        campaign=campaign,
        code="SPRING20",
        valid_from=TODAY - dt.timedelta(days=10),
        valid_until=TODAY + dt.timedelta(days=10),
    )


@pytest.fixture
def other_campaign(sales):
    return CampaignFactory(department=sales, name="Sales push")


def click_on(link, click_id: str | None = None) -> Click:
    return Click.objects.create(
        link=link, clicked_at=timezone.now(), click_id=click_id or uuid.uuid4().hex
    )


def record(actor, **overrides) -> Conversion:
    data = {
        "kind": Conversion.Kind.PURCHASE,
        "value": Decimal("49.90"),
        "currency": "EUR",
        "occurred_at": timezone.now() - dt.timedelta(hours=1),
        "is_new_customer": True,
        "channel": Conversion.Channel.API,
        **overrides,
    }
    return conversion_record(actor=actor, **data)


def conversion_audits():
    return AuditEvent.objects.filter(object_type="campaigns.conversion")


class TestIdempotency:
    def test_same_external_id_twice_is_one_conversion(self, owner):
        first = record(owner, external_id="order-1001")
        again = record(owner, external_id="order-1001", value=Decimal("1"))

        assert first.was_created and not again.was_created
        assert again.pk == first.pk and again.value == Decimal("49.90")
        assert Conversion.objects.count() == 1
        assert conversion_audits().count() == 1

    def test_same_idempotency_key_twice_is_one_conversion(self, owner):
        key = str(uuid.uuid4())

        first = record(owner, idempotency_key=key)
        again = record(owner, idempotency_key=key)

        assert again.pk == first.pk and not again.was_created
        assert Conversion.objects.count() == 1

    def test_the_repeat_is_returned_even_if_it_would_now_be_refused(self, owner, offer):
        first = record(owner, external_id="order-7", coupon_code="SPRING20")
        offer.delete()

        again = record(owner, external_id="order-7", coupon_code="SPRING20")

        assert again.pk == first.pk

    def test_external_id_wins_over_a_key_of_another_conversion(self, owner):
        by_key = record(owner, idempotency_key="k-1")
        by_id = record(owner, external_id="order-2")

        assert record(owner, external_id="order-2", idempotency_key="k-1").pk == by_id.pk
        assert by_key.pk != by_id.pk

    def test_blank_ids_do_not_deduplicate(self, owner):
        record(owner, external_id="", idempotency_key="  ")
        record(owner, external_id=None)

        assert Conversion.objects.count() == 2
        assert set(Conversion.objects.values_list("external_id", flat=True)) == {None}

    @pytest.mark.parametrize("identity", ["external_id", "idempotency_key"])
    def test_a_race_between_two_identical_requests_creates_one_row(
        self, owner, monkeypatch, identity
    ):
        """Both requests look for an existing conversion before either has written: the
        unique constraint refuses the second insert and it answers with the first row."""
        winner = record(owner, **{identity: "raced"})
        real_lookup = services._existing_conversion
        calls = []

        def lookup_before_the_winner_committed(**kwargs):
            calls.append(kwargs)
            if len(calls) == 1:
                return None
            return real_lookup(**kwargs)

        monkeypatch.setattr(services, "_existing_conversion", lookup_before_the_winner_committed)

        loser = record(owner, **{identity: "raced"})

        assert len(calls) == 2  # looked again after the IntegrityError
        assert loser.pk == winner.pk and not loser.was_created
        assert Conversion.objects.count() == 1
        assert conversion_audits().count() == 1


class TestAttribution:
    def test_click_first_even_when_a_coupon_is_given(self, owner, link, offer, other_campaign):
        offer.campaign = other_campaign
        offer.save()
        click = click_on(link)

        conversion = record(owner, click_id=click.click_id, coupon_code="spring20")

        assert conversion.attribution == Conversion.Attribution.CLICK
        assert conversion.link == link and conversion.campaign == link.campaign
        assert conversion.offer == offer  # the redemption still counts for the offer

    def test_click_id_is_matched_whatever_the_case(self, owner, link):
        click = click_on(link)

        conversion = record(owner, click_id=click.click_id.upper())

        assert conversion.attribution == "click" and conversion.click_id == click.click_id

    def test_coupon_when_no_click(self, owner, offer):
        conversion = record(owner, coupon_code=" spring20 ")

        assert conversion.attribution == Conversion.Attribution.COUPON
        assert conversion.offer == offer and conversion.campaign == offer.campaign
        assert conversion.link is None
        assert conversion_audits().get().department == offer.campaign.department

    def test_none_without_click_or_coupon(self, owner):
        conversion = record(owner)

        assert conversion.attribution == Conversion.Attribution.NONE
        assert conversion.campaign is None and conversion.offer is None

    def test_a_click_still_in_the_buffer_is_credited_once_flushed(self, owner, link, offer):
        click_id = uuid.uuid4().hex

        conversion = record(owner, click_id=click_id)
        with_coupon = record(owner, click_id=uuid.uuid4().hex, coupon_code="SPRING20")

        assert conversion.attribution == Conversion.Attribution.NONE
        assert conversion.click_id == click_id and conversion.link is None
        assert with_coupon.attribution == Conversion.Attribution.COUPON
        assert conversions_attribute_pending() == 0

        click_on(link, click_id)  # the flush stores the click
        click_on(link, with_coupon.click_id)

        assert conversions_attribute_pending() == 2
        conversion.refresh_from_db()
        with_coupon.refresh_from_db()
        assert conversion.attribution == Conversion.Attribution.CLICK
        assert conversion.link == link and conversion.campaign == link.campaign
        assert with_coupon.attribution == Conversion.Attribution.CLICK
        assert with_coupon.offer == offer
        assert conversion_audits().filter(action="update", actor=None).count() == 2
        assert conversions_attribute_pending() == 0  # nothing twice

    def test_pending_clicks_are_looked_for_a_week_only(self, owner, link):
        click_id = uuid.uuid4().hex
        conversion = record(owner, click_id=click_id)
        click_on(link, click_id)

        later = timezone.now() + services.PENDING_WINDOW + dt.timedelta(minutes=1)

        assert conversions_attribute_pending(now=later) == 0
        assert conversions_attribute_pending(now=timezone.now()) == 1
        conversion.refresh_from_db()
        assert conversion.link == link

    def test_pending_works_through_batches(self, owner, link):
        ids = [uuid.uuid4().hex for _ in range(5)]
        for click_id in ids:
            record(owner, click_id=click_id)
        for click_id in ids[::2]:
            click_on(link, click_id)

        assert conversions_attribute_pending(batch=2) == 3
        assert Conversion.objects.filter(attribution="click").count() == 3


class TestBadInput:
    def test_unknown_coupon_is_a_field_error_and_writes_nothing(self, owner):
        with pytest.raises(ValidationError) as exc:
            record(owner, coupon_code="NOPE10", external_id="order-9")

        assert exc.value.message_dict == {"coupon_code": ["No offer has the code NOPE10."]}
        assert not Conversion.objects.exists()
        assert not conversion_audits().exists()

    def test_coupon_outside_its_validity(self, owner, offer):
        with pytest.raises(ValidationError) as exc:
            record(
                owner, coupon_code="SPRING20", occurred_at=timezone.now() - dt.timedelta(days=30)
            )

        assert "is valid from" in exc.value.message_dict["coupon_code"][0]
        assert not Conversion.objects.exists()

    def test_future_time_is_refused_but_a_little_skew_is_fine(self, owner):
        with pytest.raises(ValidationError) as exc:
            record(owner, occurred_at=timezone.now() + dt.timedelta(hours=2))
        assert "future" in exc.value.message_dict["occurred_at"][0]

        assert record(owner, occurred_at=timezone.now() + dt.timedelta(minutes=2)).pk

    def test_currency_defaults_to_the_organisation_and_is_upper_cased(self, owner, organisation):
        organisation.currency = "GBP"
        organisation.save()

        assert record(owner, currency="").currency == "GBP"
        assert record(owner, currency=None).currency == "GBP"
        assert record(owner, currency="usd").currency == "USD"
        with pytest.raises(ValidationError) as exc:
            record(owner, currency="E1")
        assert "currency" in exc.value.message_dict

    def test_negative_value_and_malformed_click_id(self, owner):
        with pytest.raises(ValidationError) as exc:
            record(owner, value=Decimal("-3"), click_id="not-a-click", kind="bogus")

        assert {"value", "click_id", "kind"} <= set(exc.value.message_dict)
        assert not Conversion.objects.exists()

    def test_naive_time_is_read_in_the_organisation_zone(self, owner, organisation):
        organisation.time_zone = "Europe/Madrid"
        organisation.save()
        naive = dt.datetime(2026, 1, 15, 10, 0)

        conversion = record(owner, occurred_at=naive)

        assert conversion.occurred_at == dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


class TestWhoMayRecord:
    def test_editors_anywhere_and_admins_may(self, owner, colleague, admin_user):
        for user in (owner, colleague, admin_user):
            assert record(user).recorded_by == user

    def test_viewers_and_outsiders_may_not(self, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        outsider = UserFactory()

        for user in (viewer, outsider):
            with pytest.raises(PermissionDenied):
                record(user)
        assert not Conversion.objects.exists()
