"""Every main page works under the Content-Security-Policy in a real Chromium: nothing is
refused (the browser tests' set-up fails a test on any refusal), charts draw, the calendar's
drag and drop moves a post, confirmations ask, Swagger UI lists the API and the admin works.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.demo import demo_campaigns_load
from campaigns.models import Campaign, ScheduledPost, TrackedLink
from departments.demo import DEMO_PASSWORD, demo_load, demo_today
from departments.models import KPI, Department, Goal, Measurement
from listening.inbox import services as inbox
from listening.inbox.models import Conversation
from listening.models import XAccount
from socialops.models import User
from tests.factories import (
    DirectMessageFactory,
    ScheduledPostFactory,
    SourceFactory,
    SourceTweetFactory,
    XAccountFactory,
)
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART_DRAWN = (
    "(id) => { const c = document.getElementById(id);"
    " return !!(window.Chart && c && Chart.getChart(c)); }"
)


@pytest.fixture
def demo_world(organisation):
    demo_load(today=demo_today())
    account = XAccountFactory()
    demo_campaigns_load(account=account)
    source = SourceFactory(account=account, kind="mentions")
    tweet = SourceTweetFactory(source=source).tweet
    return account, tweet


def _dm_conversation(department):
    """A DM conversation in the department's inbox (the conversation page: thread, reply
    box, presence polling)."""
    account = XAccountFactory(username="brightline_help", x_user_id=42)
    source = SourceFactory(account=account, kind="dms", department=department)
    dm = DirectMessageFactory(account=account)
    inbox.dms_ingest(source=source, messages=[dm], now=timezone.now())
    return Conversation.objects.get(dm_conversation_id=dm.dm_conversation_id)


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    # htmx's load triggers and the deferred scripts have run once the network is quiet.
    page.wait_for_load_state("networkidle")


def test_every_main_page_works_under_the_policy(page, live_server, demo_world, csp_violations):
    _, tweet = demo_world
    base = live_server.url
    goal = Goal.objects.filter(kpis__measurements__isnull=False).first()
    kpi = KPI.objects.filter(measurements__isnull=False).first()
    campaign = Campaign.objects.filter(links__clicks__is_bot=False).distinct().first()
    link = TrackedLink.objects.filter(clicks__is_bot=False).distinct().first()
    post = ScheduledPost.objects.exclude(text="").first()
    sign_in(page, live_server, "admin")

    pages = [
        "/",
        "/departments/",
        f"/departments/{goal.department.slug}/",
        f"/goals/{goal.pk}/",
        "/calendar/",
        "/calendar/month/",
        "/calendar/list/",
        f"/calendar/posts/{post.pk}/",
        "/calendar/posts/new/",
        "/campaigns/",
        "/links/",
        "/offers/",
        "/offers/conversions/",
        "/time/",
        "/listening/",
        f"/listening/posts/{tweet.pk}/",
        "/listening/sources/",
        "/listening/sources/new/",
        "/listening/accounts/",
        "/inbox/",
        f"/inbox/d/{goal.department.slug}/",
        f"/inbox/c/{_dm_conversation(goal.department).pk}/",
        "/inbox/routing/",
        "/settings/api-token/",
        "/settings/organisation/",
        "/api/v1/goals/",  # DRF's browsable API
    ]
    for path in pages:
        visit(page, base + path)
        assert csp_violations == [], path

    for path, chart in [
        (f"/kpis/{kpi.pk}/", "kpi-chart"),
        (f"/campaigns/{campaign.pk}/", "clicks-chart"),
        (f"/links/{link.pk}/", "clicks-chart"),
        # The last four weeks, not this one: on a Monday morning this week has no hours.
        (
            f"/time/team/?start={demo_today() - dt.timedelta(days=27)}&end={demo_today()}",
            "team-chart",
        ),
    ]:
        visit(page, base + path)
        page.wait_for_function(CHART_DRAWN, arg=chart)
        assert csp_violations == [], path

    # The post form's live character count comes through htmx (hx-trigger load, input).
    visit(page, base + "/calendar/posts/new/")
    page.fill("#id_text", "Hello")
    expect(page.locator("#text-counter-box")).to_contain_text("5")

    visit(page, base + "/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert csp_violations == [], "/api/v1/docs/"

    for path in [
        "/admin/",
        "/admin/campaigns/campaign/",
        f"/admin/campaigns/campaign/{campaign.pk}/change/",
        "/admin/django_celery_beat/periodictask/add/",
    ]:
        visit(page, base + path)
        assert csp_violations == [], path
    # django-celery-beat's form script, moved out of line, still runs.
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    # The admin's own scripts run: the "select all" box of a change list ticks every row.
    visit(page, base + "/admin/campaigns/campaign/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()


def test_source_form_shows_the_chosen_kinds_fields_without_inline_script(
    page, live_server, demo_world
):
    sign_in(page, live_server, "admin")
    visit(page, f"{live_server.url}/listening/sources/new/")
    query, list_id = page.locator("#field-query"), page.locator("#field-x_list_id")

    page.select_option("#id_kind", "search")
    expect(query).to_be_visible()
    expect(list_id).to_be_hidden()
    page.select_option("#id_kind", "list")
    expect(list_id).to_be_visible()
    expect(query).to_be_hidden()
    page.select_option("#id_kind", "mentions")
    expect(query).to_be_hidden()
    expect(list_id).to_be_hidden()


def test_a_delete_asks_first_and_a_no_keeps_the_measurement(page, live_server, demo_world):
    sign_in(page, live_server, "admin")
    measurement = Measurement.objects.order_by("-measured_on").first()
    kpi_id, count = measurement.kpi_id, Measurement.objects.filter(kpi=measurement.kpi).count()
    visit(page, f"{live_server.url}/kpis/{kpi_id}/")
    asked: list[str] = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_title("Delete").first.click()
    assert asked == ["Delete this measurement?"]
    assert Measurement.objects.filter(kpi_id=kpi_id).count() == count

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.get_by_title("Delete").first.click()
    assert Measurement.objects.filter(kpi_id=kpi_id).count() == count - 1


def test_dragging_a_post_to_another_day_moves_it(page, live_server, demo_world):
    account, _ = demo_world
    maria = User.objects.get(username="maria")
    today = demo_today()
    monday = today + dt.timedelta(days=7 - today.weekday())
    tuesday_ten = timezone.make_aware(
        dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(10))
    )
    post = ScheduledPostFactory(
        account=account,
        department=Department.objects.get(slug="marketing"),
        owner=maria,
        scheduled_at=tuesday_ten,
    )
    thursday = monday + dt.timedelta(days=3)
    sign_in(page, live_server, "maria")
    visit(page, f"{live_server.url}/calendar/?week={monday.isoformat()}")

    chip = page.locator(f"#post-chip-{post.pk}")
    day = page.locator(f"[data-day-drop='{thursday}']")
    # The drag's own events, in the order a browser sends them: Playwright's drag_to (the
    # mouse gesture) lost the drag in two of two full runs on the busy machine, never alone.
    data = page.evaluate_handle("() => new DataTransfer()")
    with page.expect_response(lambda r: r.url.endswith(f"/posts/{post.pk}/reschedule/")) as moved:
        chip.dispatch_event("dragstart", {"dataTransfer": data})
        day.dispatch_event("dragenter", {"dataTransfer": data})
        day.dispatch_event("dragover", {"dataTransfer": data})
        day.dispatch_event("drop", {"dataTransfer": data})
        chip.dispatch_event("dragend", {"dataTransfer": data})

    assert moved.value.status == 204
    # The calendar reloads itself (htmx) with the post on Thursday, at the same time; a busy
    # machine may take a while.
    expect(page.locator(f"[data-day-drop='{thursday}'] #post-chip-{post.pk}")).to_be_visible(
        timeout=30_000
    )
    post.refresh_from_db()
    moved = timezone.localtime(post.scheduled_at)
    assert (moved.date(), moved.time()) == (thursday, dt.time(10))


def test_picking_one_of_the_accounts_lists_fills_the_list_fields(
    signed_in,
    live_server,
    page,
    settings,
    admin_user,
    xsim,  # noqa: F811
):
    settings.X_API_BASE_URL = xsim.url
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    public = next(item for item in xsim.world()["lists"] if not item["private"])
    signed_in(admin_user)
    visit(page, f"{live_server.url}/listening/sources/new/")
    page.select_option("#id_kind", "list")
    page.select_option("#id_account", str(account.pk))

    page.get_by_role("button", name="Show the account's lists").click()
    page.get_by_role("button", name=public["name"]).click()

    expect(page.locator("#id_x_list_id")).to_have_value(str(public["id"]))
    expect(page.locator("#id_name")).to_have_value(public["name"])
    expect(page.locator("#id_is_private")).not_to_be_checked()


def test_prospects_pages_work_under_the_policy(page, live_server, demo_prospects, csp_violations):
    plist = demo_prospects
    prospect = plist.members.first().prospect
    base = live_server.url
    sign_in(page, live_server, "sofia")
    for path in [
        "/prospects/",
        plist.get_absolute_url(),
        prospect.get_absolute_url(),
        f"{prospect.get_absolute_url()}?show=touches",
        f"/prospects/people/{prospect.pk}/edit/",
        "/prospects/board/",
        f"/prospects/search/?q={prospect.x_user.username}",
    ]:
        visit(page, base + path)
        assert csp_violations == [], path
    # The autocomplete comes through htmx (hx-trigger input changed delay, no eval).
    visit(page, base + plist.get_absolute_url())
    page.locator("#id_handle").press_sequentially(prospect.x_user.username[:4])
    expect(page.locator("#handle-suggestions option").first).to_be_attached()
    # The board's script is loaded and listening (the drag itself: the prospects journey).
    visit(page, base + "/prospects/board/")
    expect(page.locator(".board-card").first).to_have_attribute("draggable", "true")
    assert csp_violations == [], "autocomplete"

    # The Sales lead's aggregate view.
    page.context.clear_cookies()
    sign_in(page, live_server, "sam")
    visit(page, base + "/prospects/summary/")
    assert csp_violations == [], "/prospects/summary/"
