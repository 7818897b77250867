"""A customer-service agent's journey in a real Chromium: she opens a complaint from her
department's inbox, assigns it to herself, sees a colleague typing (a second browser
context), replies; a real Celery worker sends the reply to the simulator once, and the
page shows the first-response time. The inbox pages fit a phone's width."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from listening.inbox.models import Conversation, Reply
from listening.ingest import source_run
from listening.models import Source, XAccount
from tests.factories import PASSWORD, DepartmentFactory, MembershipFactory
from tests.worker import celery_worker, wait_for
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COMPLAINT = "@brightline I was charged twice this month, refund please"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def desk(xsim, settings):  # noqa: F811
    settings.X_API_BASE_URL = xsim.url
    settings.PUBLISH_QUEUE = f"test-journey-{uuid.uuid4().hex[:10]}"
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    service = DepartmentFactory(name="Customer service", kind="customer_service")
    carla = MembershipFactory(department=service, role="member", user__first_name="Carla").user
    dan = MembershipFactory(department=service, role="member", user__first_name="Dan").user
    source = Source.objects.create(
        name="Mentions", kind="mentions", account=account, department=service
    )
    xsim.inject_many([{"text": COMPLAINT, "mentioning": "brightline"}])
    assert source_run(source_id=source.pk).status == "ok"
    complaint = Conversation.objects.get(messages__text=COMPLAINT)
    return {"service": service, "carla": carla, "dan": dan, "complaint": complaint}


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_an_agent_answers_a_complaint(page, browser, live_server, xsim, desk, settings):  # noqa: F811
    base = live_server.url
    complaint = desk["complaint"]
    _sign_in(page, base, desk["carla"])
    page.goto(f"{base}/inbox/d/{desk['service'].slug}/")
    page.get_by_text("charged twice").first.click()
    expect(page).to_have_url(re.compile(rf"/inbox/c/{complaint.pk}/$"))

    page.click("#assign-me")
    expect(page.locator("#conv-assignee")).to_contain_text("Carla")

    # Dan opens it too and starts typing: Carla sees it within the presence window.
    other = browser.new_context()
    try:
        dan = other.new_page()
        _sign_in(dan, base, desk["dan"])
        dan.goto(f"{base}{complaint.get_absolute_url()}")
        dan.locator("#id_text").press_sequentially("Hi, looking", delay=50)
        expect(page.locator("#presence")).to_contain_text("is typing", timeout=10_000)
    finally:
        other.close()

    env = {"X_API_BASE_URL": xsim.url, "PUBLISH_QUEUE": settings.PUBLISH_QUEUE}
    with celery_worker(queue=settings.PUBLISH_QUEUE, env=env) as worker:
        page.fill("#id_text", "Sorry about that! Your refund is on its way.")
        page.click("#send-reply")
        expect(page.locator("#conv-sent")).to_be_visible()
        assert wait_for(
            lambda: Reply.objects.filter(conversation=complaint, state="sent").exists(),
            timeout=60,
        ), worker.log()

    page.reload()
    expect(page.locator("#first-response")).to_contain_text("after")
    expect(page.locator(".thread")).to_contain_text("Your refund is on its way")
    tweet_id = complaint.messages.get(direction="in").tweet_id
    answers = [p for p in xsim.state()["posts"] if p["in_reply_to_tweet_id"] == str(tweet_id)]
    assert len(answers) == 1  # once

    # On a phone, the inbox and the conversation fit the screen.
    page.set_viewport_size(PHONE)
    for path in ["/inbox/", f"/inbox/d/{desk['service'].slug}/", complaint.get_absolute_url()]:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
