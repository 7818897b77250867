"""/api/v1/campaigns/ and /api/v1/utm-tags/: the services' rules over HTTP — 201, 400
with field errors, 403 for another department's campaign, filters and cursor pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from campaigns.models import Campaign, UtmTag
from campaigns.services import utm_tags_ensure_defaults
from tests.campaigns.helpers import client_for
from tests.factories import CampaignFactory, GoalFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(db):
    utm_tags_ensure_defaults()


@pytest.fixture
def goal(marketing):
    return GoalFactory(department=marketing, status="active")


def payload(**overrides):
    data = {
        "department": "marketing",
        "name": "Black Friday",
        "objective": "sales",
        "period_start": "2026-11-20",
        "period_end": "2026-11-30",
        "budget": "500.00",
    }
    data.update(overrides)
    return data


class TestCampaigns:
    def test_create(self, owner, marketing, registry, goal):
        response = client_for(owner).post(
            "/api/v1/campaigns/", payload(goals=[goal.pk]), format="json"
        )

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["department"]["slug"] == "marketing"
        assert body["utm_source"] == "x" and body["utm_medium"] == "social"
        assert body["utm_campaign"] == "black-friday"
        assert body["goals"] == [goal.pk]
        assert body["status"] == "planned" and body["click_count"] == 0
        assert body["created_by"]["username"] == owner.username

    def test_field_errors_are_400(self, owner, marketing, registry, goal):
        goal.status = "dropped"
        goal.save()
        response = client_for(owner).post(
            "/api/v1/campaigns/",
            payload(
                period_end="2026-11-01",
                budget="-1",
                utm_source="twitter",
                goals=[goal.pk],
            ),
            format="json",
        )

        assert response.status_code == 400
        assert {"period_end", "budget", "utm_source", "goals"} <= set(response.json())
        assert not Campaign.objects.exists()

    def test_shape_errors_are_400_too(self, owner, marketing, registry):
        response = client_for(owner).post(
            "/api/v1/campaigns/",
            payload(department="nowhere", status="paused", period_start="soon", goals=[999]),
            format="json",
        )
        assert response.status_code == 400
        assert {"department", "status", "period_start", "goals"} <= set(response.json())

    def test_colleague_cannot_create_for_marketing_admin_can(
        self, colleague, admin_user, marketing, registry
    ):
        assert (
            client_for(colleague).post("/api/v1/campaigns/", payload(), format="json").status_code
            == 403
        )
        assert not Campaign.objects.exists()
        response = client_for(admin_user).post("/api/v1/campaigns/", payload(), format="json")
        assert response.status_code == 201

    def test_partial_update_by_owner_colleague_admin(
        self, owner, colleague, admin_user, marketing, registry
    ):
        campaign = CampaignFactory(department=marketing, utm_campaign="bf")
        url = f"/api/v1/campaigns/{campaign.pk}/"

        assert client_for(colleague).patch(url, {"spend": "10"}, format="json").status_code == 403
        response = client_for(owner).patch(url, {"spend": "120.50"}, format="json")
        assert response.status_code == 200 and response.json()["spend"] == "120.50"
        response = client_for(admin_user).patch(url, {"status": "finished"}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "finished"
        bad = client_for(owner).patch(url, {"spend": "-5", "utm_medium": "tv"}, format="json")
        assert bad.status_code == 400 and set(bad.json()) == {"spend", "utm_medium"}
        campaign.refresh_from_db()
        assert campaign.spend == Decimal("120.50")

    def test_no_put_and_no_delete(self, owner, marketing):
        campaign = CampaignFactory(department=marketing)
        client = client_for(owner)
        url = f"/api/v1/campaigns/{campaign.pk}/"
        assert client.put(url, payload(), format="json").status_code == 405
        assert client.delete(url).status_code == 405

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_lists_and_filters(self, request, who, marketing, sales):
        CampaignFactory(department=marketing, name="Brand push", objective="brand")
        CampaignFactory(department=sales, name="Deals", status="finished")
        client = client_for(request.getfixturevalue(who))

        everything = client.get("/api/v1/campaigns/").json()
        assert {c["name"] for c in everything["results"]} == {"Brand push", "Deals"}
        assert "next" in everything and "previous" in everything

        def names(**query):
            return [c["name"] for c in client.get("/api/v1/campaigns/", query).json()["results"]]

        assert names(department="sales") == ["Deals"]
        assert names(status="running") == ["Brand push"]
        assert names(objective="brand") == ["Brand push"]
        assert client.get("/api/v1/campaigns/", {"status": "paused"}).status_code == 400

    def test_cursor_pagination(self, owner, marketing):
        for _ in range(3):
            CampaignFactory(department=marketing)
        client = client_for(owner)

        first = client.get("/api/v1/campaigns/", {"page_size": 2}).json()
        second = client.get(first["next"]).json()

        assert len(first["results"]) == 2 and len(second["results"]) == 1
        assert second["next"] is None

    def test_stats(self, colleague, marketing, organisation):
        campaign = CampaignFactory(department=marketing, budget=100, spend=50)
        body = client_for(colleague).get(f"/api/v1/campaigns/{campaign.pk}/stats/").json()
        assert body["spend"] == "50.00" and body["budget_used_percent"] == 50
        assert body["clicks"] == 0 and body["roi"] == "-1.0000"

    def test_anonymous_gets_401(self, marketing):
        assert APIClient().get("/api/v1/campaigns/").status_code == 401


class TestUtmTags:
    def test_everyone_lists_and_filters(self, colleague, registry):
        client = client_for(colleague)
        body = client.get("/api/v1/utm-tags/", {"parameter": "utm_source"}).json()
        assert "x" in {t["value"] for t in body["results"]}
        assert {t["parameter"] for t in body["results"]} == {"utm_source"}

    def test_leads_and_admins_create(self, owner, admin_user):
        for user, value in [(owner, "spring"), (admin_user, "autumn")]:
            response = client_for(user).post(
                "/api/v1/utm-tags/",
                {"parameter": "utm_content", "value": value, "description": "Seasonal"},
                format="json",
            )
            assert response.status_code == 201
            assert response.json()["is_active"] is True

    def test_a_member_gets_403(self, marketing):
        member = MembershipFactory(department=marketing, role="member").user
        response = client_for(member).post(
            "/api/v1/utm-tags/", {"parameter": "utm_content", "value": "mine"}, format="json"
        )
        assert response.status_code == 403
        assert not UtmTag.objects.exists()

    def test_bad_values_are_400(self, owner, registry):
        client = client_for(owner)
        bad = client.post(
            "/api/v1/utm-tags/", {"parameter": "utm_source", "value": "Twitter"}, format="json"
        )
        assert bad.status_code == 400 and "value" in bad.json()
        twice = client.post(
            "/api/v1/utm-tags/", {"parameter": "utm_source", "value": "x"}, format="json"
        )
        assert twice.status_code == 400 and "already registered" in twice.json()["value"][0]
        unknown = client.post(
            "/api/v1/utm-tags/", {"parameter": "utm_term", "value": "a"}, format="json"
        )
        assert unknown.status_code == 400 and "parameter" in unknown.json()

    def test_retire_by_patch(self, colleague, sales, registry):
        tag = UtmTag.objects.get(value="email")
        url = f"/api/v1/utm-tags/{tag.pk}/"
        response = client_for(colleague).patch(url, {"is_active": False}, format="json")
        assert response.status_code == 200 and response.json()["is_active"] is False
        member = MembershipFactory(department=sales, role="member").user
        assert client_for(member).patch(url, {"is_active": True}, format="json").status_code == 403
        tag.refresh_from_db()
        assert not tag.is_active
