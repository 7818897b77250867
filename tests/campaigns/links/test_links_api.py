"""/api/v1/links/ and /api/v1/clicks/: links made through the service (201, 400 field
errors for non-http(s) destinations and unregistered UTM values, 403 for another
department's campaign); clicks read-only with bots included and flagged."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from campaigns.models import Click, TrackedLink
from campaigns.services import utm_tags_ensure_defaults
from tests.campaigns.helpers import client_for
from tests.factories import CampaignFactory, MembershipFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def registry(db):
    utm_tags_ensure_defaults()


def add_click(link, *, at, bot=False):
    return Click.objects.create(
        link=link,
        clicked_at=at,
        is_bot=bot,
        visitor_key="k",
        user_agent="facebookexternalhit/1.1" if bot else "Mozilla/5.0",
        click_id=uuid.uuid4().hex,
    )


class TestLinks:
    def test_create(self, owner, campaign, registry):
        response = client_for(owner).post(
            "/api/v1/links/",
            {
                "destination": "https://shop.example.com/a?x=1",
                "campaign": campaign.pk,
                "utm_content": "post",
            },
            format="json",
        )

        assert response.status_code == 201, response.json()
        body = response.json()
        link = TrackedLink.objects.get()
        assert body["code"] == link.code
        assert body["short_url"] == f"http://testserver/l/{link.code}"
        assert body["campaign"] == campaign.pk
        assert body["tags"] == {
            "utm_source": "x",
            "utm_medium": "social",
            "utm_campaign": "spring-launch",
            "utm_content": "post",
        }
        assert body["click_count"] == 0

    def test_a_link_without_campaign(self, colleague, registry):
        response = client_for(colleague).post(
            "/api/v1/links/",
            {"destination": "http://example.com", "utm_source": "newsletter"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["tags"] == {"utm_source": "newsletter"}

    @pytest.mark.parametrize(
        "destination",
        ["javascript:alert(1)", "ftp://example.com/file", "data:text/html,hi", "/relative", ""],
    )
    def test_destination_must_be_http_or_https(self, owner, destination, registry):
        response = client_for(owner).post(
            "/api/v1/links/", {"destination": destination}, format="json"
        )
        assert response.status_code == 400
        assert "destination" in response.json()
        assert not TrackedLink.objects.exists()

    def test_unregistered_utm_values_are_400(self, owner, campaign, registry):
        response = client_for(owner).post(
            "/api/v1/links/",
            {"destination": "https://example.com", "utm_content": "Hero", "utm_medium": "tv"},
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()) == {"utm_content", "utm_medium"}

    def test_colleague_gets_403_for_marketings_campaign_admin_201(
        self, colleague, admin_user, campaign, registry
    ):
        data = {"destination": "https://example.com", "campaign": campaign.pk}
        assert client_for(colleague).post("/api/v1/links/", data, format="json").status_code == 403
        assert not TrackedLink.objects.exists()
        assert client_for(admin_user).post("/api/v1/links/", data, format="json").status_code == 201

    def test_a_viewer_gets_403(self, marketing, registry):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        response = client_for(viewer).post(
            "/api/v1/links/", {"destination": "https://example.com"}, format="json"
        )
        assert response.status_code == 403

    def test_unknown_campaign_is_400(self, owner, registry):
        response = client_for(owner).post(
            "/api/v1/links/", {"destination": "https://a.example", "campaign": 9999}, format="json"
        )
        assert response.status_code == 400 and "campaign" in response.json()

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_lists_retrieves_and_filters(self, request, who, link, marketing, sales):
        other = TrackedLink.objects.create(
            campaign=CampaignFactory(department=marketing),
            destination="https://other.example/",
            code="other1",
        )
        add_click(link, at=dt.datetime(2026, 11, 20, tzinfo=UTC))
        add_click(link, at=dt.datetime(2026, 11, 20, tzinfo=UTC), bot=True)
        client = client_for(request.getfixturevalue(who))

        body = client.get("/api/v1/links/", {"campaign": link.campaign_id}).json()
        assert [r["code"] for r in body["results"]] == [link.code]
        assert body["results"][0]["click_count"] == 1
        assert client.get(f"/api/v1/links/{other.pk}/").json()["code"] == "other1"
        assert len(client.get("/api/v1/links/").json()["results"]) == 2
        assert client.get("/api/v1/links/", {"department": "sales"}).json()["results"] == []

    def test_no_update_or_delete(self, owner, link):
        client = client_for(owner)
        url = f"/api/v1/links/{link.pk}/"
        assert client.patch(url, {"destination": "https://x.example"}).status_code == 405
        assert client.delete(url).status_code == 405

    def test_anonymous_gets_401(self, link):
        assert APIClient().get("/api/v1/links/").status_code == 401
        assert APIClient().get("/api/v1/clicks/").status_code == 401


class TestClicks:
    @pytest.fixture
    def clicks(self, link, marketing):
        other_link = TrackedLink.objects.create(
            campaign=CampaignFactory(department=marketing),
            destination="https://other.example/",
            code="other2",
        )
        return {
            "early": add_click(link, at=dt.datetime(2026, 11, 1, 9, tzinfo=UTC)),
            "late": add_click(link, at=dt.datetime(2026, 11, 20, 9, tzinfo=UTC)),
            "bot": add_click(link, at=dt.datetime(2026, 11, 20, 9, 1, tzinfo=UTC), bot=True),
            "other": add_click(other_link, at=dt.datetime(2026, 11, 21, tzinfo=UTC)),
        }

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_list_with_bots_flagged(self, request, who, clicks, link):
        body = client_for(request.getfixturevalue(who)).get("/api/v1/clicks/").json()
        by_id = {r["click_id"]: r for r in body["results"]}

        assert len(by_id) == 4
        bot = by_id[clicks["bot"].click_id]
        assert bot["is_bot"] is True and bot["link"] == link.pk
        assert bot["campaign"] == link.campaign_id
        assert "visitor_key" not in bot and not any("ip" in key for key in bot)

    def test_filters(self, owner, clicks, link):
        client = client_for(owner)

        def ids(**query):
            response = client.get("/api/v1/clicks/", query)
            assert response.status_code == 200, response.json()
            return {r["click_id"] for r in response.json()["results"]}

        mine = {clicks[k].click_id for k in ("early", "late", "bot")}
        assert ids(link=link.pk) == mine
        assert ids(campaign=link.campaign_id) == mine
        assert ids(since="2026-11-10T00:00:00Z") == {
            clicks[k].click_id for k in ("late", "bot", "other")
        }
        assert ids(is_bot="false", link=link.pk) == {
            clicks["early"].click_id,
            clicks["late"].click_id,
        }
        assert client.get("/api/v1/clicks/", {"since": "last week"}).status_code == 400

    def test_read_only(self, owner, clicks):
        client = client_for(owner)
        assert client.post("/api/v1/clicks/", {}, format="json").status_code == 405
        assert client.get(f"/api/v1/clicks/{clicks['early'].pk}/").status_code == 404
