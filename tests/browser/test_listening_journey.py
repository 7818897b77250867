"""A sales rep's private prospect list in a real browser: hers to read, nobody else's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from listening.ingest import source_run
from listening.models import Source, XAccount
from tests.factories import MembershipFactory
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listening_world(xsim, settings, admin_user, sales):  # noqa: F811
    settings.X_API_BASE_URL = xsim.url
    rep = MembershipFactory(department=sales, role="member", user__first_name="Sofia").user
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    private = next(item for item in xsim.world()["lists"] if item["private"])
    prospects = Source.objects.create(
        name="Sofia's key prospects",
        kind="list",
        x_list_id=int(private["id"]),
        is_private=True,
        owner=rep,
        account=account,
    )
    mentions = Source.objects.create(
        name="Mentions of @brightline", kind="mentions", account=account, owner=admin_user
    )
    for source in (prospects, mentions):
        assert source_run(source_id=source.pk).status == "ok"
    return rep, prospects


def test_rep_reads_her_private_list_and_the_admin_does_not_see_it(
    signed_in, live_server, listening_world, admin_user, page
):
    rep, prospects = listening_world
    signed_in(rep)
    page.get_by_role("link", name="Sources").click()
    expect(page.get_by_role("link", name="Sofia's key prospects")).to_be_visible()
    page.get_by_role("link", name="Sofia's key prospects").click()
    expect(page).to_have_url(re.compile(rf"/listening/sources/{prospects.pk}/$"))

    page.goto(f"{live_server.url}/listening/?source={prospects.pk}")
    rows = page.locator("table tbody tr")
    first_count = rows.count()
    assert first_count > 10
    page.get_by_role("link", name=re.compile("Load more")).click()  # HTMX appends a page
    expect(rows).not_to_have_count(first_count)
    assert rows.count() > first_count

    # The organisation admin: the list, its page and its posts do not exist for them.
    page.context.clear_cookies()
    signed_in(admin_user)
    page.get_by_role("link", name="Sources").click()
    expect(page.get_by_role("link", name="Mentions of @brightline")).to_be_visible()
    expect(page.get_by_text("Sofia's key prospects")).to_have_count(0)
    response = page.goto(f"{live_server.url}/listening/sources/{prospects.pk}/")
    assert response.status == 404
