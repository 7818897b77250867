"""A sales rep's prospecting in a real browser (issue 14's journey): she adds a prospect
to her private list by @handle (the autocomplete offers them), reads their posts on their
page, logs a call, and drags their card to "Meeting" on her pipeline board. A colleague
in another department cannot find them anywhere: not in the lists, not in search, not on
the board, and the direct addresses are a 404."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count
from playwright.sync_api import expect

from listening.ingest import source_run
from listening.models import Source, Tweet, XAccount, XUser
from prospects import services
from prospects.models import Interaction, Prospect
from tests.factories import MembershipFactory
from tests.xsim_server import xsim, xsim_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def prospecting_world(xsim, settings, sales, marketing):  # noqa: F811
    """Sofia (Sales) reads a private X list of @brightline as her own listening source,
    so its members' posts are stored; she keeps a prospect list here."""
    settings.X_API_BASE_URL = xsim.url
    rep = MembershipFactory(
        department=sales, role="member", user__first_name="Sofia", user__username="sofia"
    ).user
    outsider = MembershipFactory(
        department=marketing, role="member", user__first_name="Marta", user__username="marta"
    ).user
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    private = next(item for item in xsim.world()["lists"] if item["private"])
    source = Source.objects.create(
        name="Sofia's key accounts",
        kind="list",
        x_list_id=int(private["id"]),
        is_private=True,
        owner=rep,
        account=account,
    )
    assert source_run(source_id=source.pk).status == "ok"
    plist = services.prospect_list_create(actor=rep, name="Q3 enterprise targets")
    # The member of the X list with the most stored posts: the person she prospects.
    author = (
        XUser.objects.exclude(pk=account.x_user_id)
        .annotate(posts=Count("tweets"))
        .filter(posts__gt=0)
        .order_by("-posts", "pk")
        .first()
    )
    assert author is not None
    return rep, outsider, plist, author


def test_rep_adds_reads_logs_and_drags_to_meeting_and_an_outsider_finds_nothing(
    signed_in, live_server, page, prospecting_world
):
    rep, outsider, plist, author = prospecting_world
    base = live_server.url
    signed_in(rep)

    # 1. Her list, then "add by @handle": typing part of it, the autocomplete offers them.
    page.get_by_role("link", name="Prospect lists").click()
    page.get_by_role("link", name="Q3 enterprise targets").click()
    expect(page).to_have_url(re.compile(rf"/prospects/lists/{plist.pk}/$"))
    expect(page.get_by_text("Nobody on this list yet")).to_be_visible()
    prefix = author.username[: max(3, len(author.username) - 2)]
    page.locator("#id_handle").press_sequentially(f"@{prefix}")
    expect(page.locator(f"#handle-suggestions option[value='@{author.username}']")).to_have_count(1)
    page.locator("#id_handle").fill(f"@{author.username}")
    page.locator("#add-form").get_by_label("Company").fill("Northwind Freight")
    page.get_by_role("button", name="Add to the list").click()
    members = page.locator("#members")
    expect(members).to_contain_text(f"@{author.username}")
    expect(members).to_contain_text("Identified")

    # 2. Their page: their posts, the intelligence before a call.
    members.get_by_role("link", name=author.name).click()
    prospect = Prospect.objects.get(owner=rep, x_user=author)
    expect(page).to_have_url(re.compile(rf"/prospects/people/{prospect.pk}/$"))
    newest_post = Tweet.objects.filter(author=author).order_by("-id").first()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text(newest_post.text[:40])
    page.get_by_role("link", name="Their posts").click()
    expect(page).to_have_url(re.compile(r"\?show=posts$"))
    expect(timeline.locator("li").first).to_contain_text("Their post")

    # 3. She logs a call; it lands on the timeline, by her.
    touch = page.locator("#touch-form")
    touch.get_by_label("Kind").select_option("call")
    touch.get_by_label("What was said").fill("Budget confirmed for Q3; wants a demo.")
    touch.get_by_role("button", name="Log it").click()
    expect(page.locator("#timeline li").first).to_contain_text("Budget confirmed for Q3")
    expect(page.locator("#timeline li").first).to_contain_text("Call")
    assert prospect.interactions.filter(kind=Interaction.Kind.CALL, actor=rep).count() == 1

    # 4. The pipeline board: her card dragged onto "Meeting" (the browser's own drag and
    # drop events, dispatched in the order a browser sends them).
    page.get_by_role("link", name="Pipeline", exact=True).click()
    expect(page).to_have_url(re.compile(r"/prospects/board/$"))
    card = page.locator(f"#card-{prospect.pk}")
    meeting = page.locator(".board-column[data-stage='meeting']")
    expect(page.locator(".board-column[data-stage='identified']")).to_contain_text(author.name)
    data = page.evaluate_handle("() => new DataTransfer()")
    with page.expect_response(lambda r: r.url.endswith(f"/people/{prospect.pk}/move/")) as moved:
        card.dispatch_event("dragstart", {"dataTransfer": data})
        meeting.dispatch_event("dragenter", {"dataTransfer": data})
        meeting.dispatch_event("dragover", {"dataTransfer": data})
        meeting.dispatch_event("drop", {"dataTransfer": data})
        card.dispatch_event("dragend", {"dataTransfer": data})
    assert moved.value.status == 200
    # htmx swaps the board in place: the card now sits in the Meeting column.
    expect(meeting.locator(f"#card-{prospect.pk}")).to_be_visible()
    expect(page.locator(".board-column[data-stage='identified']")).not_to_contain_text(author.name)
    prospect.refresh_from_db()
    assert prospect.stage.key == "meeting"
    assert prospect.stage_changes.filter(to_stage__key="meeting", actor=rep).exists()
    # Her page says so too.
    page.goto(f"{base}{prospect.get_absolute_url()}")
    expect(page.locator("#stage")).to_have_text("Meeting")

    # 5. A colleague in Marketing: nowhere to be found.
    page.context.clear_cookies()
    signed_in(outsider)
    page.get_by_role("link", name="Prospect lists").click()
    expect(page.get_by_text("No prospect lists yet")).to_be_visible()
    expect(page.get_by_text("Q3 enterprise targets")).to_have_count(0)
    page.get_by_role("searchbox", name="Find a prospect").fill(author.username)
    page.get_by_role("searchbox", name="Find a prospect").press("Enter")
    expect(page.get_by_text(f"No prospect matches “{author.username}”")).to_be_visible()
    for query in ("Northwind", author.name):
        page.goto(f"{base}/prospects/search/?q={query}")
        expect(page.locator("#results")).to_have_count(0)
    page.goto(f"{base}/prospects/board/")
    expect(page.locator("#board")).not_to_contain_text(author.name)
    for path in (
        plist.get_absolute_url(),
        prospect.get_absolute_url(),
        f"/prospects/lists/{plist.pk}/export.csv",
        f"/prospects/board/?rep={rep.pk}",
    ):
        response = page.request.get(f"{base}{path}")
        assert response.status == 404, path
