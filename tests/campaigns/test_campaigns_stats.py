"""A campaign's figures: posts, links, clicks without bots, unique visitors,
conversions and revenue, spend against budget, staff time cost and ROI; clicks per day
in the organisation's time zone; X's url_link_clicks beside our count."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.links.selectors import clicks_per_day, x_link_reports
from campaigns.models import Click, Conversion, TrackedLink
from campaigns.selectors import (
    campaign_clicks_per_day,
    campaign_stats,
    campaign_x_reports,
    campaigns_visible_to,
)
from tests.factories import (
    CampaignFactory,
    ScheduledPostFactory,
    TimeEntryFactory,
    TweetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def click(link, *, at=None, bot=False, visitor="v1", referrer=""):
    return Click.objects.create(
        link=link,
        clicked_at=at or timezone.now(),
        is_bot=bot,
        visitor_key=visitor,
        referrer=referrer,
        click_id=uuid.uuid4().hex,
    )


def new_link(campaign, **fields):
    return TrackedLink.objects.create(
        campaign=campaign,
        destination="https://example.com/",
        code=uuid.uuid4().hex[:10],
        **fields,
    )


def conversion(campaign, value, currency="EUR", **fields):
    return Conversion.objects.create(
        campaign=campaign,
        value=Decimal(value),
        currency=currency,
        occurred_at=timezone.now(),
        attribution="click" if campaign else "none",
        **fields,
    )


@pytest.fixture
def org(organisation):
    organisation.currency = "EUR"
    organisation.hourly_staff_cost = Decimal("50.00")
    organisation.save()
    return organisation


@pytest.fixture
def campaign(marketing):
    return CampaignFactory(
        department=marketing, budget=Decimal("1000"), spend=Decimal("200"), name="Launch"
    )


def test_campaign_stats_add_up(org, campaign, marketing):
    other = CampaignFactory(department=marketing)
    first, second = new_link(campaign), new_link(campaign)
    click(first, visitor="a")
    click(first, visitor="a")
    click(second, visitor="b")
    click(second, visitor="b", bot=True)
    click(new_link(other), visitor="c")  # another campaign's
    conversion(campaign, "100.00", is_new_customer=True)
    conversion(campaign, "50.50")
    conversion(campaign, "999", currency="USD")  # counted, never added at a guessed rate
    conversion(other, "5000")
    conversion(None, "70")
    user = UserFactory()
    TimeEntryFactory(user=user, campaign=campaign, minutes=60)
    TimeEntryFactory(user=user, campaign=campaign, minutes=30)
    TimeEntryFactory(user=user, campaign=other, minutes=600)
    account_posts = [
        ("draft", None),
        ("in_review", None),
        ("scheduled", None),
        ("scheduled", None),
        ("published", 111),
        ("failed", None),
    ]
    for status, x_id in account_posts:
        ScheduledPostFactory(department=marketing, campaign=campaign, status=status, x_post_id=x_id)

    stats = campaign_stats(campaign=campaign)

    assert (stats.posts_planned, stats.posts_scheduled, stats.posts_published) == (2, 2, 1)
    assert stats.posts_failed == 1
    assert stats.links == 2
    assert (stats.clicks, stats.bot_clicks, stats.unique_visitors) == (3, 1, 2)
    assert stats.conversions == 3
    assert stats.new_customers == 1
    assert stats.other_currency_conversions == 1
    assert stats.revenue == Decimal("150.50")
    assert stats.currency == "EUR"
    assert stats.time_minutes == 90
    assert stats.time_hours == Decimal("1.5")
    assert stats.time_cost == Decimal("75.00")
    assert stats.cost == Decimal("275.00")
    # (150.50 − 200 − 75) / (200 + 75)
    assert stats.roi == Decimal("-0.4527")
    assert stats.roi_percent == Decimal("-45.3")
    assert stats.budget_used_percent == 20
    assert not stats.over_budget
    assert stats.conversion_rate_percent == Decimal("100.0")


def test_roi_needs_a_cost(org, marketing):
    campaign = CampaignFactory(department=marketing, budget=0, spend=0)
    conversion(campaign, "10")

    stats = campaign_stats(campaign=campaign)

    assert stats.roi is None and stats.roi_percent is None
    assert stats.budget_used_percent is None


def test_positive_roi_and_over_budget(org, marketing):
    campaign = CampaignFactory(department=marketing, budget=Decimal("100"), spend=Decimal("150"))
    conversion(campaign, "600")

    stats = campaign_stats(campaign=campaign)

    assert stats.roi == Decimal("3.0000")  # (600 − 150) / 150
    assert stats.over_budget and stats.budget_used_percent == 150


def test_the_time_cost_follows_the_organisations_hourly_cost(org, campaign):
    org.hourly_staff_cost = Decimal("80")
    org.save()
    TimeEntryFactory(user=UserFactory(), campaign=campaign, minutes=45)

    assert campaign_stats(campaign=campaign).time_cost == Decimal("60.00")


def test_the_list_counts_real_clicks_per_campaign(owner, campaign, marketing):
    link = new_link(campaign)
    click(link)
    click(link, bot=True)
    CampaignFactory(department=marketing)

    counts = {c.pk: c.click_count for c in campaigns_visible_to(user=owner)}

    assert counts[campaign.pk] == 1
    assert sorted(counts.values()) == [0, 1]


def test_nobody_signed_out_sees_campaigns(campaign):
    from django.contrib.auth.models import AnonymousUser

    assert not campaigns_visible_to(user=AnonymousUser()).exists()


def test_clicks_per_day_in_the_organisations_time_zone(campaign):
    link = new_link(campaign)
    # 23:30 UTC on 10 Nov is 00:30 on 11 Nov in Madrid.
    click(link, at=dt.datetime(2026, 11, 10, 23, 30, tzinfo=UTC))
    click(link, at=dt.datetime(2026, 11, 11, 9, 0, tzinfo=UTC))
    click(link, at=dt.datetime(2026, 11, 13, 9, 0, tzinfo=UTC))
    click(link, at=dt.datetime(2026, 11, 13, 9, 0, tzinfo=UTC), bot=True)

    with timezone.override(ZoneInfo("Europe/Madrid")):
        days = clicks_per_day(clicks=link.clicks.all())

    assert days == [
        (dt.date(2026, 11, 11), 2),
        (dt.date(2026, 11, 12), 0),
        (dt.date(2026, 11, 13), 1),
    ]


def test_campaign_clicks_per_day_covers_its_period_so_far(campaign, monkeypatch):
    link = new_link(campaign)
    click(link, at=dt.datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 11, 5))

    days = campaign_clicks_per_day(campaign=campaign)

    assert days[0] == (dt.date(2026, 11, 1), 0)
    assert days[-1] == (dt.date(2026, 11, 5), 0)
    assert dict(days)[dt.date(2026, 11, 3)] == 1


def test_no_clicks_no_days_before_the_campaign_starts(marketing, monkeypatch):
    campaign = CampaignFactory(department=marketing)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dt.date(2026, 10, 1))
    assert campaign_clicks_per_day(campaign=campaign) == []


def test_x_reports_its_link_clicks_beside_ours(campaign, marketing):
    published = ScheduledPostFactory(
        department=marketing, campaign=campaign, status="published", x_post_id=1_800_000_001
    )
    unread = ScheduledPostFactory(
        department=marketing, campaign=campaign, status="published", x_post_id=1_800_000_002
    )
    draft = ScheduledPostFactory(department=marketing, campaign=campaign)
    TweetFactory(id=1_800_000_001, url_link_clicks=42)
    first, second = new_link(campaign, post=published), new_link(campaign, post=published)
    click(first)
    click(first)
    click(second)
    click(second, bot=True)
    new_link(campaign, post=unread)
    new_link(campaign, post=draft)

    reports = campaign_x_reports(campaign=campaign)

    assert [(r.x_post_id, r.x_clicks, r.our_clicks, r.link_count) for r in reports] == [
        (1_800_000_001, 42, 3, 2),
        (1_800_000_002, None, 0, 1),
    ]
    assert x_link_reports(links=TrackedLink.objects.filter(pk=first.pk))[0].x_clicks == 42
