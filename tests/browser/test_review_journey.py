"""The weekly review in a real browser: a representative opens this week's review,
records attendance, writes commentary for an amber KPI and adds an action item; an admin
closes it; the PDF downloads; next week's review shows the item carried over."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from metrics.reviews import pdf, selectors, services
from metrics.reviews.models import ActionItem, Attendance, Review
from tests.factories import GoalFactory, KPIFactory, MeasurementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def this_week(organisation, marketing, sales, colleague):
    from tests.factories import MembershipFactory

    today = selectors.organisation_today()
    rep = MembershipFactory(department=marketing, role="member", is_representative=True).user
    goal = GoalFactory(
        department=marketing,
        title="Webinars",
        period_start=today - dt.timedelta(days=20),
        period_end=today + dt.timedelta(days=40),
    )
    kpi = KPIFactory(goal=goal, name="Webinar sign-ups", direction="above", target=Decimal(100))
    MeasurementFactory(kpi=kpi, value=Decimal(90), measured_on=today - dt.timedelta(days=1))
    review, _ = services.review_open(week_start=selectors.week_start(today))
    return {"rep": rep, "kpi": kpi, "review": review}


def test_a_week_from_commentary_to_the_frozen_pdf(
    signed_in, live_server, page, this_week, admin_user, tmp_path
):
    rep, kpi, review = this_week["rep"], this_week["kpi"], this_week["review"]
    signed_in(rep)
    page.get_by_role("link", name="Steering review").first.click()
    expect(page).to_have_url(re.compile(rf"/reviews/{review.week}/$"))
    row = page.locator(f"#kpi-{kpi.pk}")
    expect(row.get_by_text("Amber")).to_be_visible()

    marketing = page.locator("#department-marketing")
    marketing.get_by_label(rep.display_name).check()
    marketing.get_by_role("button", name="Save attendance").click()
    expect(page.locator("#department-marketing").get_by_label(rep.display_name)).to_be_checked()
    assert Attendance.objects.get(review=review, user=rep).present

    page.locator(f"#commentary-{kpi.pk}").fill("Two webinars moved to January.")
    page.locator(f"#commentary-{kpi.pk}").locator("xpath=..").get_by_role(
        "button", name="Save commentary"
    ).click()
    expect(page.locator(f"#commentary-{kpi.pk}")).to_have_value("Two webinars moved to January.")

    form = page.locator("#item-form")
    form.get_by_label("Title").fill("Book two webinar speakers")
    form.get_by_label("Department").select_option(label="Marketing")
    form.get_by_label("Due").fill((review.week_start + dt.timedelta(days=10)).isoformat())
    form.get_by_role("button", name="Add the action item").click()
    expect(page.locator("#action-items").get_by_text("Book two webinar speakers")).to_be_visible()
    expect(page.get_by_role("button", name="Close the review")).to_have_count(0)

    page.get_by_role("button", name="Sign out").first.click()
    signed_in(admin_user)
    page.goto(f"{live_server.url}{review.get_absolute_url()}")
    page.get_by_role("button", name="Close the review").click()
    expect(page.get_by_text(f"The review of {review.week} is closed and frozen.")).to_be_visible()
    review.refresh_from_db()
    assert review.is_closed

    if not pdf.missing():
        with page.expect_download() as download:
            page.locator("#pdf-link").click()
        saved = tmp_path / "review.pdf"
        download.value.save_as(saved)
        assert saved.read_bytes() == bytes(review.frozen_pdf)
    else:
        expect(page.locator("#pdf-missing")).to_contain_text("libpango-1.0-0")

    following, _ = services.review_open(week_start=review.week_start + dt.timedelta(days=7))
    page.goto(f"{live_server.url}{following.get_absolute_url()}")
    item = page.locator("#action-items").locator("tr", has_text="Book two webinar speakers")
    expect(item).to_be_visible()
    expect(item.get_by_role("link", name=review.week)).to_be_visible()
    assert ActionItem.objects.get().raised_in == review
    assert Review.objects.count() == 2
