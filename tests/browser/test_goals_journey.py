from __future__ import annotations

import re
from contextlib import suppress

import pytest
from playwright.sync_api import expect

from departments.models import Goal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_accepts_suggested_goal_and_sees_it(signed_in, live_server, owner, marketing):
    page = signed_in(owner)
    page.get_by_role("link", name="Departments").click()
    page.get_by_role("link", name="Marketing").first.click()
    expect(page.get_by_text("No goals yet")).to_be_visible()

    page.get_by_role("link", name="Suggest goals").first.click()
    card = page.locator("#suggestion-marketing-brand-reach")
    card.get_by_label("Target for Followers").fill("15000")
    card.get_by_label("Include Impressions").uncheck()
    card.get_by_role("button", name="Add this goal").click()

    expect(page).to_have_url(re.compile(r"/departments/marketing/$"))
    expect(page.get_by_text("added with its KPIs")).to_be_visible()
    goal_card = page.locator("section.goal").filter(has_text="Grow our brand's reach on X")
    expect(goal_card).to_be_visible()
    expect(goal_card.get_by_role("link", name="Followers")).to_be_visible()
    expect(goal_card.get_by_text("Target 15,000")).to_be_visible()
    expect(goal_card.get_by_role("link", name="Impressions")).to_have_count(0)

    goal = Goal.objects.get(department=marketing)
    assert [(k.metric, int(k.target)) for k in goal.kpis.all()] == [("followers", 15000)]


def test_goal_form_validates_inline_and_measurement_draws_chart(
    signed_in, live_server, owner, marketing
):
    page = signed_in(owner)
    page.goto(f"{live_server.url}/departments/marketing/goals/new/")
    page.get_by_label("Title").fill("Answer faster")
    page.get_by_label("Period start").fill("2026-12-31")
    page.get_by_label("Period end").fill("2026-10-01")
    page.get_by_label("Period end").dispatch_event("change")
    # The error arrives from the server through HTMX, before anything is submitted.
    expect(page.get_by_text("The period must end on or after its start.")).to_be_visible()
    assert not Goal.objects.exists()

    page.get_by_label("Period end").fill("2027-03-31")
    page.get_by_role("button", name="Add goal").click()
    # No objective chosen: the browser's own check stops the submit before the server.
    assert page.locator("#id_objective").evaluate("e => e.validity.valueMissing")
    assert not Goal.objects.exists()
    page.get_by_label("Objective").select_option("loyalty")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_role("heading", name="Add a KPI")).to_be_visible()
    # A number from outside SocialOps, typed in by hand (computed metrics take none).
    page.get_by_label("Metric").select_option("custom")
    page.get_by_label("Name").fill("Webinar sign-ups")
    page.get_by_label("Baseline").fill("20")
    page.get_by_label("Target").fill("60")
    page.get_by_role("button", name="Add KPI").click()
    expect(page.get_by_text("KPI “Webinar sign-ups” added.")).to_be_visible()

    page.get_by_role("link", name="Webinar sign-ups").click()
    expect(page.get_by_text("No measurements yet")).to_be_visible()
    page.get_by_label("Value").fill("18")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Measurement recorded.")).to_be_visible()
    expect(page.locator("canvas#kpi-chart")).to_be_visible()
    # Chart.js has drawn: the canvas is no longer blank (it draws after the page shows,
    # so wait for it rather than look once).
    page.wait_for_function(
        "() => { const c = document.getElementById('kpi-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " return d.some(v => v !== 0); }",
        timeout=10_000,
    )


def test_a_later_change_wins_while_an_earlier_check_is_still_out(
    signed_in, live_server, owner, marketing
):
    """A quick second change must be checked even while the first change's check has not
    come back (a slow server): the first check is held here until the end."""
    page = signed_in(owner)
    held = []

    def hold_the_first_check(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(lambda url: "validate=1" in url, hold_the_first_check)
    page.goto(f"{live_server.url}/departments/marketing/goals/new/")
    page.get_by_label("Period start").fill("2026-12-31")
    page.get_by_label("Period start").dispatch_event("change")  # its check is held
    page.get_by_label("Period end").fill("2026-10-01")
    page.get_by_label("Period end").dispatch_event("change")
    expect(page.get_by_text("The period must end on or after its start.")).to_be_visible()
    assert len(held) == 1
    with suppress(Exception):  # the browser has given up on it by now
        held[0].continue_()
