"""The demo's campaign work loads through the services and every page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.demo import demo_campaigns_load, demo_campaigns_loaded
from campaigns.models import Campaign, Click, Conversion, ScheduledPost, TimeEntry
from departments.demo import demo_load, demo_today
from socialops.models import User
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(organisation):
    demo_load(today=demo_today())
    account = XAccountFactory()
    demo_campaigns_load(account=account)
    return account


def test_demo_has_campaigns_calendar_offer_and_time(demo):
    assert demo_campaigns_loaded()
    assert Campaign.objects.filter(status="running").count() == 2
    statuses = set(ScheduledPost.objects.values_list("status", flat=True))
    assert {"scheduled", "in_review", "rejected", "draft"} <= statuses
    # The first posts fall due within minutes: the worker publishes them.
    soon = timezone.now() + dt.timedelta(minutes=3)
    assert ScheduledPost.objects.filter(status="scheduled", scheduled_at__lte=soon).count() == 2
    # Links in scheduled posts were replaced by tracked short links.
    scheduled = ScheduledPost.objects.filter(status="scheduled").exclude(text="")
    assert all("/l/" in p.text for p in scheduled if "http" in p.text)
    assert Click.objects.filter(is_bot=False).count() > 100
    assert Conversion.objects.exclude(attribution="none").count() == 14
    assert TimeEntry.objects.count() > 40


@pytest.mark.parametrize("username", ["maria", "carla", "admin"])
def test_demo_pages_render(client, demo, username):
    client.force_login(User.objects.get(username=username))
    campaign = Campaign.objects.first()
    for url in [
        "/",
        "/calendar/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/links/",
        "/offers/",
        "/time/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
