"""The calendar's whole loop in a real browser: a marketer schedules a post with a link,
Legal's lead approves it, it is published to X (the simulator, by a real Celery worker),
and its tracked short link leads a visitor on, counted."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.calendar.tasks import publish_due
from campaigns.links.tasks import flush_clicks
from campaigns.models import ApprovalRule, Click, ScheduledPost
from listening.models import XAccount
from tests.factories import DepartmentFactory, MembershipFactory
from tests.worker import celery_worker, wait_for
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    # Headless Chromium says so in its user agent, and the product rightly counts that as
    # a bot: the reader here poses as the desktop Chrome it is.
    return {
        **browser_context_args,
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
    }


@pytest.fixture
def calendar_world(xsim, settings, live_server, marketing):  # noqa: F811
    settings.X_API_BASE_URL = xsim.url
    settings.SITE_URL = live_server.url
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "shop.localhost"]
    queue = f"test-publish-{uuid.uuid4().hex[:10]}"
    settings.PUBLISH_QUEUE = queue
    legal = DepartmentFactory(name="Legal", slug="legal", kind="legal")
    # Marketing's posts need Legal's approval (and, with this rule, only Legal's).
    ApprovalRule.objects.create(department=marketing, approver_department=legal)
    writer = MembershipFactory(
        department=marketing, role="member", user__first_name="Mark", user__username="mark"
    ).user
    lawyer = MembershipFactory(
        department=legal, role="lead", user__first_name="Laura", user__username="laura"
    ).user
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    return writer, lawyer, account, queue


def _sign_out(page, live_server):
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/accounts/login/")


def test_schedule_approve_publish_and_click(
    signed_in,
    live_server,
    calendar_world,
    page,
    xsim,  # noqa: F811
):
    writer, lawyer, account, queue = calendar_world
    # The "shop" is this server under another name: Chromium sends *.localhost to the
    # loopback itself, so the visitor's last hop never leaves the machine either.
    shop = live_server.url.replace("localhost", "shop.localhost")
    destination = f"{shop}/healthz?from=launch"
    when = timezone.localtime() + dt.timedelta(hours=2)

    # 1. Mark writes the post on the calendar and sends it for review.
    signed_in(writer)
    page.get_by_role("link", name="Calendar").click()
    page.get_by_role("link", name=re.compile("New post")).first.click()
    page.select_option("#id_account", str(account.pk))
    page.select_option("#id_category", "product_news")
    page.fill("#id_text", f"Dashboards 3.0 is here. See it: {destination}")
    expect(page.locator("#text-counter-box")).to_contain_text("/ 280")
    page.fill("#id_scheduled_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/calendar/posts/\d+/$"))
    post = ScheduledPost.objects.get()
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("In review").first).to_be_visible()
    # Mark cannot approve his own department's post for Legal.
    expect(page.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)
    _sign_out(page, live_server)

    # 2. Laura, Legal's lead, approves it: it is scheduled, its link now a short link.
    signed_in(lawyer)
    page.goto(f"{live_server.url}/calendar/posts/{post.pk}/")
    page.get_by_role("button", name=re.compile("Approve for Legal")).click()
    expect(page.get_by_text("Scheduled").first).to_be_visible()
    post.refresh_from_db()
    assert post.status == ScheduledPost.Status.SCHEDULED
    short = re.search(rf"{re.escape(live_server.url)}/l/\S+", post.text)
    assert short, post.text
    short = short.group(0)
    assert destination not in post.text

    # 3. Its time comes (moved forward here instead of waiting two hours): the beat's
    #    task claims it and a real worker sends it to X.
    ScheduledPost.objects.filter(pk=post.pk).update(
        scheduled_at=timezone.now() - dt.timedelta(seconds=1)
    )
    env = {"X_API_BASE_URL": xsim.url, "PUBLISH_QUEUE": queue, "SOCIALOPS_TESTING": "1"}
    with celery_worker(queue=queue, env=env):
        publish_due()
        assert wait_for(
            lambda: ScheduledPost.objects.filter(pk=post.pk, status="published").exists()
        )
    post.refresh_from_db()
    sent = [p for p in xsim.state()["posts"] if p["username"] == "brightline"]
    assert [p["id"] for p in sent] == [str(post.x_post_id)]
    page.reload()
    expect(page.get_by_text("Published").first).to_be_visible()

    # 4. A reader follows the short link: sent on with UTM tags and a click id, counted.
    page.goto(short)
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(shop)}/healthz\?from=launch&utm_source=x&.*sc_cid=\w+$")
    )
    expect(page.locator("body")).to_contain_text('"status"')
    flush_clicks()
    assert wait_for(lambda: Click.objects.filter(link__post=post, is_bot=False).count() == 1)
