"""Campaign pages and the UTM registry page: every member reads, the department's team
edits (a colleague gets 403, an admin may), forms show field errors (422 with HTMX),
inline validation stays quiet about untouched fields."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Click, TrackedLink, UtmTag
from campaigns.services import utm_tags_ensure_defaults
from tests.factories import (
    CampaignFactory,
    GoalFactory,
    MembershipFactory,
    OfferFactory,
    ScheduledPostFactory,
    TweetFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def registry(db):
    utm_tags_ensure_defaults()


@pytest.fixture
def launch(marketing):
    return CampaignFactory(
        department=marketing,
        name="Autumn launch",
        objective="brand",
        budget=Decimal("1000"),
        spend=Decimal("250"),
        utm_campaign="autumn-launch",
    )


def signed_in(client, user):
    client.force_login(user)
    return client


def payload(**overrides):
    data = {
        "name": "Black Friday",
        "objective": "sales",
        "period_start": "2026-11-20",
        "period_end": "2026-11-30",
        "status": "planned",
        "budget": "500",
        "spend": "0",
        "utm_source": "x",
        "utm_medium": "social",
        "utm_campaign": "",
        "description": "",
    }
    data.update(overrides)
    return data


def add_click(link, *, bot=False, visitor="v"):
    Click.objects.create(
        link=link,
        clicked_at=timezone.now(),
        is_bot=bot,
        visitor_key=visitor,
        click_id=uuid.uuid4().hex,
        referrer="https://t.co/abc",
    )


class TestReading:
    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_reads_campaigns(self, client, request, who, launch):
        c = signed_in(client, request.getfixturevalue(who))
        for url in [
            reverse("campaigns:campaign_list"),
            reverse("campaigns:campaign_detail", args=[launch.pk]),
            reverse("campaigns:utm_registry"),
        ]:
            response = c.get(url)
            assert response.status_code == 200, url
            assert b"Autumn launch" in response.content or url.endswith("/utm/")

    def test_anonymous_is_sent_to_sign_in(self, client, launch):
        for url in [
            reverse("campaigns:campaign_list"),
            reverse("campaigns:campaign_detail", args=[launch.pk]),
            reverse("campaigns:campaign_create"),
            reverse("campaigns:utm_registry"),
        ]:
            assert client.get(url).status_code == 302

    def test_unknown_campaign_is_404(self, client, owner):
        assert signed_in(client, owner).get("/campaigns/999999/").status_code == 404

    def test_list_shows_budget_progress_and_clicks(self, client, owner, launch):
        add_click(
            TrackedLink.objects.create(campaign=launch, destination="https://a.b/", code="c1")
        )
        html = signed_in(client, owner).get(reverse("campaigns:campaign_list")).content.decode()

        assert "250 / 1,000" in html
        assert 'style="width:25%"' in html
        assert "Marketing" in html

    def test_list_filters(self, client, owner, launch, sales):
        CampaignFactory(department=sales, name="Sales push", status="finished")
        c = signed_in(client, owner)
        url = reverse("campaigns:campaign_list")

        by_department = c.get(url, {"department": "sales"}).content.decode()
        assert "Sales push" in by_department and "Autumn launch" not in by_department
        by_status = c.get(url, {"status": "running"}).content.decode()
        assert "Autumn launch" in by_status and "Sales push" not in by_status
        by_objective = c.get(url, {"objective": "brand"}).content.decode()
        assert "Autumn launch" in by_objective and "Sales push" not in by_objective
        nothing = c.get(url, {"objective": "loyalty"}).content.decode()
        assert "No campaign matches these filters" in nothing

    def test_the_filter_bar_gets_the_results_partial(self, client, owner, launch):
        response = signed_in(client, owner).get(
            reverse("campaigns:campaign_list"),
            {"status": "running"},
            HTTP_HX_TARGET="campaign-results",
            **HTMX,
        )
        html = response.content.decode()
        assert "Autumn launch" in html and "<html" not in html

    def test_empty_state_says_what_to_do(self, client, owner):
        html = signed_in(client, owner).get(reverse("campaigns:campaign_list")).content.decode()
        assert "No campaign yet" in html
        assert reverse("campaigns:campaign_create") in html
        assert "Set up the UTM registry first" in html

    def test_detail_shows_stats_chart_links_offers_and_goals(self, client, owner, launch):
        goal = GoalFactory(department=launch.department, title="Be known")
        launch.goals.add(goal)
        link = TrackedLink.objects.create(campaign=launch, destination="https://a.b/", code="d1")
        add_click(link, visitor="a")
        add_click(link, visitor="b")
        add_click(link, bot=True)
        OfferFactory(campaign=launch, code="AUTUMN10")

        response = signed_in(client, owner).get(
            reverse("campaigns:campaign_detail", args=[launch.pk])
        )
        html = response.content.decode()

        assert response.status_code == 200
        assert "1 bot left out" in html
        assert "/l/d1" in html and "AUTUMN10" in html and "Be known" in html
        data = json.loads(re.search(r'id="clicks-chart-data"[^>]*>(.*?)</script>', html)[1])
        assert sum(data["values"]) == 2
        assert "chart.umd.min.js" in html

    def test_detail_shows_xs_link_clicks_beside_ours(self, client, owner, launch):
        post = ScheduledPostFactory(
            department=launch.department, campaign=launch, status="published", x_post_id=77
        )
        TweetFactory(id=77, url_link_clicks=12)
        link = TrackedLink.objects.create(
            campaign=launch, post=post, destination="https://a.b/", code="x1"
        )
        for visitor in "abc":
            add_click(link, visitor=visitor)

        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:campaign_detail", args=[launch.pk]))
            .content.decode()
        )

        assert re.search(
            r"X reports <strong>12</strong> link clicks; we counted <strong>3</strong>", html
        )

    @pytest.mark.parametrize(
        "who,can_edit", [("owner", True), ("colleague", False), ("admin_user", True)]
    )
    def test_edit_buttons_only_for_those_who_may(self, client, request, who, can_edit, launch):
        html = (
            signed_in(client, request.getfixturevalue(who))
            .get(reverse("campaigns:campaign_detail", args=[launch.pk]))
            .content.decode()
        )
        assert (reverse("campaigns:campaign_edit", args=[launch.pk]) in html) is can_edit


class TestCreate:
    def test_create_through_the_form(self, client, owner, marketing, registry):
        goal = GoalFactory(department=marketing, status="active")
        c = signed_in(client, owner)
        assert c.get(reverse("campaigns:campaign_create")).status_code == 200

        response = c.post(
            reverse("campaigns:campaign_create"),
            payload(department=marketing.pk, goals=[goal.pk]),
        )

        campaign = Campaign.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
        assert campaign.utm_campaign == "black-friday"
        assert list(campaign.goals.all()) == [goal]

    def test_htmx_create_redirects_with_hx_redirect(self, client, owner, marketing, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:campaign_create"), payload(department=marketing.pk), **HTMX
        )
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith("/campaigns/")

    def test_field_errors_are_422_for_htmx(self, client, owner, marketing, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:campaign_create"),
            payload(department=marketing.pk, period_end="2026-11-01", budget="-3"),
            **HTMX,
        )

        html = response.content.decode()
        assert response.status_code == 422
        assert 'id="campaign-form"' in html and "<html" not in html
        assert re.search(r'id="errors-period_end"><li>[^<]+', html)
        assert re.search(r'id="errors-budget"><li>Cannot be negative', html)
        assert not Campaign.objects.exists()

    def test_service_errors_land_on_their_fields(self, client, owner, marketing, registry):
        CampaignFactory(department=marketing, utm_campaign="taken")
        response = signed_in(client, owner).post(
            reverse("campaigns:campaign_create"),
            payload(department=marketing.pk, utm_campaign="taken"),
        )
        assert response.status_code == 422
        assert re.search(
            r'id="errors-utm_campaign"><li>Another campaign', response.content.decode()
        )

    def test_utm_selects_offer_only_active_registry_values(self, client, owner, registry):
        UtmTag.objects.filter(value="paid-social").update(is_active=False)
        html = signed_in(client, owner).get(reverse("campaigns:campaign_create")).content.decode()
        assert 'value="social"' in html and 'value="paid-social"' not in html

    def test_a_value_not_offered_is_a_field_error(self, client, owner, marketing, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:campaign_create"),
            payload(department=marketing.pk, utm_source="twitter"),
        )
        assert response.status_code == 422
        assert 'id="errors-utm_source"><li>' in response.content.decode()

    def test_inline_validation_is_quiet_about_untouched_fields(self, client, owner, registry):
        response = signed_in(client, owner).post(
            reverse("campaigns:campaign_create") + "?validate=1",
            {"name": "X", "budget": "-1"},
            **HTMX,
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert re.search(r'id="errors-budget"><li>', html)
        assert re.search(r'id="errors-period_start"></ul>', html)
        assert not Campaign.objects.exists()

    def test_colleague_cannot_create_in_marketing(self, client, colleague, marketing, registry):
        response = signed_in(client, colleague).post(
            reverse("campaigns:campaign_create"), payload(department=marketing.pk)
        )
        # Marketing is not among the departments offered to a Sales lead.
        assert response.status_code == 422
        assert not Campaign.objects.exists()

    def test_a_viewer_cannot_open_the_form(self, client, marketing):
        viewer = MembershipFactory(department=marketing, role="viewer").user
        assert (
            signed_in(client, viewer).get(reverse("campaigns:campaign_create")).status_code == 403
        )


class TestEdit:
    def test_owner_edits(self, client, owner, launch, registry):
        url = reverse("campaigns:campaign_edit", args=[launch.pk])
        c = signed_in(client, owner)
        assert c.get(url).status_code == 200

        response = c.post(url, payload(name="Autumn relaunch", utm_campaign="autumn-launch"))

        assert response.status_code == 302
        launch.refresh_from_db()
        assert launch.name == "Autumn relaunch" and launch.department.slug == "marketing"

    def test_colleague_gets_403_admin_may(self, client, colleague, admin_user, launch, registry):
        url = reverse("campaigns:campaign_edit", args=[launch.pk])
        c = signed_in(client, colleague)
        assert c.get(url).status_code == 403
        assert c.post(url, payload(name="Hijacked")).status_code == 403
        status_url = reverse("campaigns:campaign_status", args=[launch.pk])
        assert c.post(status_url, {"status": "finished"}).status_code == 403

        admin = signed_in(client, admin_user)
        assert admin.post(url, payload(name="By admin", utm_campaign="")).status_code == 302
        assert admin.post(status_url, {"status": "finished"}).status_code == 302
        launch.refresh_from_db()
        assert (launch.name, launch.status) == ("By admin", "finished")

    def test_a_failed_edit_changes_nothing(self, client, owner, launch, registry):
        url = reverse("campaigns:campaign_edit", args=[launch.pk])
        response = signed_in(client, owner).post(url, payload(name="", period_end="2026-01-01"))
        assert response.status_code == 422
        launch.refresh_from_db()
        assert launch.name == "Autumn launch"


class TestUtmRegistryPage:
    def test_empty_state_offers_the_usual_values(self, client, owner):
        c = signed_in(client, owner)
        html = c.get(reverse("campaigns:utm_registry")).content.decode()
        assert "No value registered yet" in html
        assert reverse("campaigns:utm_defaults") in html

        response = c.post(reverse("campaigns:utm_defaults"))

        assert response.status_code == 302
        assert UtmTag.objects.filter(parameter="utm_source", value="x", is_active=True).exists()

    def test_add_a_value_and_field_errors(self, client, owner, registry):
        c = signed_in(client, owner)
        url = reverse("campaigns:utm_registry")

        bad = c.post(url, {"parameter": "utm_content", "value": "Hero Banner"}, **HTMX)
        assert bad.status_code == 422
        assert re.search(r'id="errors-value"><li>Use lower-case', bad.content.decode())
        twice = c.post(url, {"parameter": "utm_source", "value": "x"}, **HTMX)
        assert twice.status_code == 422 and "already registered" in twice.content.decode()

        good = c.post(url, {"parameter": "utm_content", "value": "hero-banner"}, **HTMX)
        assert good.status_code == 204
        assert UtmTag.objects.filter(value="hero-banner").exists()

    def test_retire_a_value(self, client, owner, registry):
        tag = UtmTag.objects.get(value="email")
        url = reverse("campaigns:utm_tag_active", args=[tag.pk])
        assert signed_in(client, owner).post(url, {"is_active": "false"}).status_code == 302
        tag.refresh_from_db()
        assert not tag.is_active
        html = client.get(reverse("campaigns:utm_registry")).content.decode()
        assert "Reactivate" in html

    def test_members_read_but_cannot_change_it(self, client, marketing, registry):
        member = MembershipFactory(department=marketing, role="member").user
        c = signed_in(client, member)
        html = c.get(reverse("campaigns:utm_registry")).content.decode()
        assert "Ask your department" in html and "Retire" not in html
        url = reverse("campaigns:utm_registry")
        assert c.post(url, {"parameter": "utm_content", "value": "mine"}).status_code == 403
        assert c.post(reverse("campaigns:utm_defaults")).status_code == 403
        tag = UtmTag.objects.first()
        active = reverse("campaigns:utm_tag_active", args=[tag.pk])
        assert c.post(active, {"is_active": "false"}).status_code == 403

    def test_admin_keeps_it_too(self, client, admin_user):
        c = signed_in(client, admin_user)
        assert c.post(reverse("campaigns:utm_defaults")).status_code == 302
        assert UtmTag.objects.count() > 0


def test_list_pages_do_not_query_per_row(client, owner, marketing, organisation):
    c = signed_in(client, owner)

    def queries(url):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    def grow():
        campaign = CampaignFactory(department=marketing)
        campaign.goals.add(GoalFactory(department=marketing))
        link = TrackedLink.objects.create(
            campaign=campaign, destination="https://a.example/", code=uuid.uuid4().hex[:8]
        )
        add_click(link)

    grow()
    before = [queries(reverse("campaigns:campaign_list")), queries(reverse("campaigns:link_list"))]
    for _ in range(5):
        grow()
    after = [queries(reverse("campaigns:campaign_list")), queries(reverse("campaigns:link_list"))]

    assert after == before
