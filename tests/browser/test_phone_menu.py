"""On a phone (390 × 844) the sidebar folds away behind a Menu button that opens it: its
links and the sign-out are reachable, with JavaScript or without it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from departments.demo import DEMO_PASSWORD
from tests.factories import PASSWORD
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# Set SCREENSHOTS_DIR to keep what the tests saw (for looking at the layout by eye).
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR")


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS, f"{name}.png")))


def test_on_a_phone_the_menu_opens_leads_on_and_signs_out(signed_in, live_server, page, owner):
    page.set_viewport_size(PHONE)
    signed_in(owner)
    menu = page.get_by_role("button", name="Menu")
    calendar = page.get_by_role("link", name="Calendar", exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "site-menu")
    expect(calendar).to_be_hidden()
    shoot(page, "phone-closed")

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(calendar).to_be_visible()
    # Reachable: the open menu scrolls inside the screen when it holds more than fits (it
    # fits on 844 px today, with 4 px to spare; the next menu item would make it scroll).
    sign_out = page.get_by_role("button", name="Sign out")
    sign_out.scroll_into_view_if_needed()
    expect(sign_out).to_be_in_viewport()
    expect(page.get_by_role("button", name="Menu")).to_be_in_viewport()  # still sticky
    shoot(page, "phone-open")
    # Escape closes it and hands the focus back to the button.
    page.keyboard.press("Escape")
    expect(calendar).to_be_hidden()
    expect(menu).to_be_focused()

    menu.click()
    calendar.click()
    expect(page).to_have_url(re.compile(r"/calendar/$"))
    expect(page.get_by_role("button", name="Menu")).to_have_attribute("aria-expanded", "false")

    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/(login|logout)/"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_on_a_desktop_the_sidebar_shows_and_the_button_does_not(signed_in, page, owner):
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(owner)

    expect(page.get_by_role("link", name="Calendar", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    shoot(page, "desktop")


@pytest.mark.browser_context_args(java_script_enabled=False, viewport=PHONE)
def test_without_javascript_a_phone_gets_the_menu_below_the_page(live_server, page, owner):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.get_by_role("link", name="Menu ↓").click()  # jumps down to it
    calendar = page.get_by_role("link", name="Calendar", exact=True)
    expect(calendar).to_be_in_viewport()
    below = page.locator("main").bounding_box()
    assert page.locator("#site-menu").bounding_box()["y"] >= below["y"] + below["height"]
    shoot(page, "phone-no-javascript")
    calendar.click()
    expect(page).to_have_url(re.compile(r"/calendar/$"))


PAGES = ["/", "/metrics/overview/", "/metrics/activities/", "/departments/", "/campaigns/"]
PAGES += ["/links/", "/calendar/", "/reviews/", "/offers/", "/timelog/", "/inbox/"]
PAGES += ["/prospects/", "/prospects/board/", "/prospects/search/?q=nobody"]


def test_on_a_phone_no_page_is_wider_than_the_screen(signed_in, live_server, page, owner):
    """A wide table scrolls inside its card and a page's buttons wrap under its title:
    the page itself never scrolls sideways."""
    page.set_viewport_size(PHONE)
    signed_in(owner)
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)


def test_on_a_phone_no_prospects_page_is_wider_than_the_screen(live_server, page, demo_prospects):
    """With a rep's prospects in them: the list's members table, the stream, the prospect's
    timeline, the seven-stage board (its columns scroll inside it) and the lead's summary."""
    plist = demo_prospects
    prospect = plist.members.first().prospect
    page.set_viewport_size(PHONE)
    for username, paths in [
        (
            "sofia",
            [
                "/prospects/",
                plist.get_absolute_url(),
                prospect.get_absolute_url(),
                f"/prospects/people/{prospect.pk}/edit/",
                "/prospects/board/",
                f"/prospects/search/?q={prospect.x_user.username}",
            ],
        ),
        ("sam", ["/prospects/summary/", "/prospects/board/"]),
    ]:
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            shoot(page, "phone" + path.replace("/", "-").replace("?", "-"))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], (path, width)
