"""Link pages: the list with counts and a campaign filter, making a link through the form
(http/https only, UTM values from the registry, field errors as 422), and a link's page
with its absolute short address, clicks per day, referrers, bots apart and X's count."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Click, TrackedLink
from campaigns.services import utm_tags_ensure_defaults
from tests.factories import CampaignFactory, MembershipFactory, ScheduledPostFactory, TweetFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def registry(db):
    utm_tags_ensure_defaults()


def signed_in(client, user):
    client.force_login(user)
    return client


def add_click(link, *, bot=False, visitor="v", referrer=""):
    Click.objects.create(
        link=link,
        clicked_at=timezone.now(),
        is_bot=bot,
        visitor_key=visitor,
        referrer=referrer,
        user_agent="Twitterbot/1.0" if bot else "Mozilla/5.0",
        click_id=uuid.uuid4().hex,
    )


class TestList:
    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_reads_links_with_their_counts(self, client, request, who, link):
        add_click(link, visitor="a")
        add_click(link, visitor="a")
        add_click(link, visitor="b")
        add_click(link, bot=True)

        response = signed_in(client, request.getfixturevalue(who)).get(
            reverse("campaigns:link_list")
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert f"/l/{link.code}" in html
        row = html[html.index(f"/l/{link.code}") :]
        counts = re.findall(r'<td class="num">(\d+)</td>', row)[:2]
        assert counts == ["3", "2"]  # clicks without the bot, unique visitors

    def test_filter_by_campaign(self, client, owner, link, marketing):
        other = CampaignFactory(department=marketing, name="Other")
        other_link = TrackedLink.objects.create(
            campaign=other, destination="https://other.example/", code="other1"
        )
        c = signed_in(client, owner)

        html = c.get(reverse("campaigns:link_list"), {"campaign": other.pk}).content.decode()

        assert "/l/other1" in html and f"/l/{link.code}" not in html
        partial = c.get(
            reverse("campaigns:link_list"),
            {"campaign": link.campaign_id},
            HTTP_HX_TARGET="link-results",
            **HTMX,
        ).content.decode()
        assert f"/l/{link.code}" in partial and "<html" not in partial
        assert other_link.pk

    def test_empty_state(self, client, owner):
        html = signed_in(client, owner).get(reverse("campaigns:link_list")).content.decode()
        assert "No tracked link yet" in html and reverse("campaigns:link_create") in html

    def test_anonymous_is_sent_to_sign_in(self, client, link):
        assert client.get(reverse("campaigns:link_list")).status_code == 302
        assert client.get(reverse("campaigns:link_detail", args=[link.pk])).status_code == 302


class TestCreate:
    def test_create_through_the_form_and_see_the_short_address(
        self, client, owner, campaign, registry
    ):
        c = signed_in(client, owner)
        form = c.get(reverse("campaigns:link_create"), {"campaign": campaign.pk})
        assert form.status_code == 200
        assert f'<option value="{campaign.pk}" selected>' in form.content.decode()

        response = c.post(
            reverse("campaigns:link_create"),
            {
                "destination": "https://shop.example.com/autumn",
                "campaign": campaign.pk,
                "utm_content": "bio",
            },
        )

        link = TrackedLink.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("campaigns:link_detail", args=[link.pk])
        assert (link.campaign, link.utm_content, link.created_by) == (campaign, "bio", owner)
        html = c.get(response["Location"]).content.decode()
        assert f'value="http://testserver/l/{link.code}"' in html
        assert 'id="copy-short-url"' in html
        assert "utm_campaign=spring-launch" in html and "utm_content=bio" in html

    @pytest.mark.parametrize(
        "destination", ["javascript:alert(1)", "ftp://files.example.com/a", "example.com/page"]
    )
    def test_only_http_and_https_destinations(self, client, owner, destination, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:link_create"), {"destination": destination}, **HTMX
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert re.search(r'id="errors-destination"><li>Enter a full web address', html)
        assert not TrackedLink.objects.exists()

    def test_utm_content_must_be_an_active_registry_value(self, client, owner, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:link_create"),
            {"destination": "https://example.com", "utm_content": "hero"},
        )
        assert response.status_code == 422
        assert 'id="errors-utm_content"><li>' in response.content.decode()

    def test_colleague_cannot_pick_marketings_campaign(self, client, colleague, campaign, registry):
        response = signed_in(client, colleague).post(
            reverse("campaigns:link_create"),
            {"destination": "https://example.com", "campaign": campaign.pk},
        )
        assert response.status_code == 422
        assert 'id="errors-campaign"><li>' in response.content.decode()
        assert not TrackedLink.objects.exists()

    def test_admin_may_link_for_any_campaign(self, client, admin_user, campaign, registry):
        response = signed_in(client, admin_user).post(
            reverse("campaigns:link_create"),
            {"destination": "https://example.com", "campaign": campaign.pk},
        )
        assert response.status_code == 302
        assert TrackedLink.objects.get().campaign == campaign

    def test_a_viewer_cannot_make_links(self, client, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        assert signed_in(client, viewer).get(reverse("campaigns:link_create")).status_code == 403

    def test_inline_validation(self, client, owner, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:link_create") + "?validate=1",
            {"destination": "mailto:someone@example.com"},
            **HTMX,
        )
        assert response.status_code == 200
        assert re.search(r'id="errors-destination"><li>', response.content.decode())
        assert not TrackedLink.objects.exists()


class TestDetail:
    def test_clicks_bots_apart_referrers_and_chart(self, client, colleague, link):
        add_click(link, visitor="a", referrer="https://t.co/xyz")
        add_click(link, visitor="b", referrer="https://t.co/xyz")
        add_click(link, visitor="c")
        add_click(link, bot=True)
        add_click(link, bot=True)

        response = signed_in(client, colleague).get(
            reverse("campaigns:link_detail", args=[link.pk])
        )

        html = response.content.decode()
        assert response.status_code == 200
        stats = re.findall(r'<div class="stat">(\d+)</div>', html)
        assert stats[:3] == ["3", "3", "2"]  # clicks, unique visitors, bots
        assert "https://t.co/xyz" in html
        data = json.loads(re.search(r'id="clicks-chart-data"[^>]*>(.*?)</script>', html)[1])
        assert data["values"][-1] == 3
        assert data["labels"][-1] == timezone.localdate().isoformat()

    def test_no_clicks_yet(self, client, owner, link):
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:link_detail", args=[link.pk]))
            .content.decode()
        )
        assert "No clicks yet" in html and "chart.umd.min.js" not in html

    def test_x_reports_its_link_clicks_beside_ours(self, client, owner, link, marketing):
        post = ScheduledPostFactory(
            department=marketing, campaign=link.campaign, status="published", x_post_id=4242
        )
        link.post = post
        link.save()
        TweetFactory(id=4242, url_link_clicks=9)
        add_click(link, visitor="a")
        add_click(link, visitor="b")
        add_click(link, bot=True)

        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:link_detail", args=[link.pk]))
            .content.decode()
        )

        assert re.search(
            r"X reports <strong>9</strong> link clicks; we counted <strong>2</strong>", html
        )

    def test_published_but_not_read_from_x_yet(self, client, owner, link, marketing):
        link.post = ScheduledPostFactory(department=marketing, status="published", x_post_id=5151)
        link.save()
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:link_detail", args=[link.pk]))
            .content.decode()
        )
        assert "X has not reported its link clicks yet" in html

    def test_unknown_link_is_404(self, client, owner):
        assert signed_in(client, owner).get("/links/999999/").status_code == 404
