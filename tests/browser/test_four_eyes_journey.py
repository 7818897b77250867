"""Four eyes in a real browser: Marketing's lead rewrites a member's post on its edit page
and submits it; the post page offers her no approval and says why, and another lead's
approval schedules it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.calendar import services
from campaigns.models import ScheduledPost
from tests.factories import MembershipFactory, XAccountFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_who_rewrote_a_post_is_not_offered_its_approval(
    signed_in, live_server, page, owner, marketing
):
    writer = MembershipFactory(department=marketing, role="member").user
    other_lead = MembershipFactory(department=marketing, role="lead").user
    post = services.post_create(
        actor=writer,
        account=XAccountFactory(),
        department=marketing,
        category="tips",
        text="Tip: plan the week on Monday.",
        scheduled_at=timezone.now() + dt.timedelta(days=2),
    )

    signed_in(owner)
    page.goto(f"{live_server.url}/calendar/posts/{post.pk}/")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.fill("#id_text", "Buy now, today only!")
    page.get_by_role("button", name="Save post").click()
    expect(page).to_have_url(re.compile(rf"/calendar/posts/{post.pk}/$"))
    expect(page.get_by_text("Content changed").first).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("In review").first).to_be_visible()

    expect(page.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)
    expect(page.get_by_text("You changed this post's content")).to_be_visible()
    post.refresh_from_db()
    assert (post.status, post.approvals.count()) == (ScheduledPost.Status.IN_REVIEW, 0)

    page.get_by_role("button", name="Sign out").click()
    signed_in(other_lead)
    page.goto(f"{live_server.url}/calendar/posts/{post.pk}/")
    page.get_by_role("button", name="Approve for Marketing").click()
    expect(page.get_by_text("Scheduled").first).to_be_visible()
    post.refresh_from_db()
    assert post.status == ScheduledPost.Status.SCHEDULED
