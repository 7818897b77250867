"""Offers: who may create and change them (owner, colleague of another department,
admin), field errors for bad input, and nothing half-written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from campaigns.models import Offer
from campaigns.offers import services
from campaigns.offers.services import offer_create, offer_update
from socialops.models import AuditEvent
from tests.factories import CampaignFactory, MembershipFactory, OfferFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def make(actor, campaign, **overrides):
    data = {
        "campaign": campaign,
        "code": "SPRING20",
        "description": "20% off the first order",
        "valid_from": TODAY,
        "valid_until": TODAY + dt.timedelta(days=30),
        "value_kind": Offer.ValueKind.PERCENT,
        "value": Decimal("20"),
        **overrides,
    }
    return offer_create(actor=actor, **data)


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict


class TestRights:
    def test_department_lead_creates_an_offer_for_its_campaign(self, owner, campaign):
        offer = make(owner, campaign)

        assert offer.pk and offer.created_by == owner
        audit = AuditEvent.objects.get(object_type="campaigns.offer", object_id=str(offer.pk))
        assert audit.action == "create" and audit.department == campaign.department

    def test_member_may_too_but_viewer_may_not(self, marketing, campaign):
        member = MembershipFactory(department=marketing, role="member").user
        viewer = MembershipFactory(department=marketing, role="viewer").user

        make(member, campaign)
        with pytest.raises(PermissionDenied):
            make(viewer, campaign, code="OTHER")

    def test_colleague_of_another_department_is_refused(self, colleague, campaign):
        with pytest.raises(PermissionDenied):
            make(colleague, campaign)

        assert not Offer.objects.exists()

    def test_admin_creates_for_any_campaign(self, admin_user, campaign):
        assert make(admin_user, campaign).pk

    def test_update_rights(self, owner, colleague, admin_user, campaign):
        offer = make(owner, campaign)

        with pytest.raises(PermissionDenied):
            offer_update(actor=colleague, offer=offer, description="Hijacked")
        offer_update(actor=admin_user, offer=offer, description="By the admin")
        offer_update(actor=owner, offer=offer, description="By the owner")

        offer.refresh_from_db()
        assert offer.description == "By the owner"
        assert (
            AuditEvent.objects.filter(object_type="campaigns.offer", action="update").count() == 2
        )

    def test_moving_to_another_departments_campaign_is_refused(self, owner, sales, campaign):
        offer = make(owner, campaign)
        theirs = CampaignFactory(department=sales)

        with pytest.raises(PermissionDenied):
            offer_update(actor=owner, offer=offer, campaign=theirs)

        offer.refresh_from_db()
        assert offer.campaign == campaign


class TestBadInput:
    def test_code_is_unique_whatever_the_case(self, owner, campaign):
        make(owner, campaign, code="Spring20")

        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, code="SPRING20")

        assert "already used" in field_errors(exc.value)["code"][0]
        assert Offer.objects.count() == 1

    def test_own_code_may_change_case(self, owner, campaign):
        offer = make(owner, campaign, code="spring20")

        offer_update(actor=owner, offer=offer, code="SPRING20")

        assert Offer.objects.get().code == "SPRING20"

    def test_code_shape(self, owner, campaign):
        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, code="SPRING 20!")

        assert "code" in field_errors(exc.value)

    def test_validity_must_be_in_order(self, owner, campaign):
        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, valid_until=TODAY - dt.timedelta(days=1))

        assert field_errors(exc.value)["valid_until"] == ["An offer cannot end before it starts."]

    def test_value_not_negative_and_percent_at_most_100(self, owner, campaign):
        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, value=Decimal("-1"), value_kind=Offer.ValueKind.AMOUNT)
        assert "value" in field_errors(exc.value)

        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, value=Decimal("120"))
        assert field_errors(exc.value)["value"] == ["A percentage is at most 100."]

        assert make(owner, campaign, value=Decimal("0"), value_kind="other").pk

    def test_all_problems_are_reported_at_once(self, owner, campaign):
        with pytest.raises(ValidationError) as exc:
            make(
                owner,
                campaign,
                code="",
                description="",
                valid_until=TODAY - dt.timedelta(days=3),
                value=Decimal("-5"),
            )

        assert {"code", "description", "valid_until", "value"} <= set(field_errors(exc.value))

    def test_invalid_update_changes_nothing(self, owner, campaign):
        offer = make(owner, campaign)
        other = OfferFactory(campaign=campaign, code="TAKEN")

        with pytest.raises(ValidationError):
            offer_update(actor=owner, offer=offer, code="taken", description="changed")

        offer.refresh_from_db()
        assert (offer.code, offer.description) == ("SPRING20", "20% off the first order")
        assert other.code == "TAKEN"

    def test_a_code_taken_in_a_race_is_a_field_error(self, owner, campaign, monkeypatch):
        """Two offers with one code pass the check at the same moment: the constraint keeps
        one and the other gets the field error, not a 500."""
        OfferFactory(campaign=campaign, code="RACE")
        real_check = services._offer_check

        def check_that_misses_the_other(offer):
            # What the loser saw: no offer with the code yet.
            monkeypatch.setattr(services, "_offer_check", real_check)
            offer.code = offer.code.strip()

        monkeypatch.setattr(services, "_offer_check", check_that_misses_the_other)

        with pytest.raises(ValidationError) as exc:
            make(owner, campaign, code="race")

        assert "already used" in field_errors(exc.value)["code"][0]
        assert Offer.objects.count() == 1

    def test_other_integrity_errors_are_not_hidden(self, owner, campaign, monkeypatch):
        def broken_save(self, *args, **kwargs):
            raise IntegrityError("something else")

        monkeypatch.setattr(Offer, "save", broken_save)

        with pytest.raises(IntegrityError):
            make(owner, campaign)
