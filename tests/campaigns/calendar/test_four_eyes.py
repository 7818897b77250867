"""Four eyes on the calendar: whoever changed what a post says counts as its author, and a
change of content after an approval voids it.

The issue's case: a member writes a post, Marketing's lead rewrites it, submits it and
approves it herself. Through the API and the pages, with the writer (a Marketing member),
the rewriting lead (`owner`), a second Marketing lead, a colleague (Sales' lead) and an
admin. What does not change the content (a new time, notes, category) keeps approvals."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar import services
from campaigns.models import PostApproval, PostEvent, ScheduledPost
from tests.campaigns.helpers import client_for, in_days
from tests.factories import MembershipFactory, XAccountFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/scheduled-posts/"
Status = ScheduledPost.Status
Action = PostEvent.Action
REWRITER_REFUSED = (
    "You changed this post's content, so you count as its author: Marketing requires "
    "another person's approval."
)


def detail(post, action=""):
    return f"{URL}{post.pk}/" + (f"{action}/" if action else "")


def actions(post) -> list[str]:
    return list(post.events.order_by("at", "pk").values_list("action", flat=True))


def state_of(post) -> tuple:
    """What an approval attempt must leave as it found."""
    post.refresh_from_db()
    return (
        post.status,
        post.review_round,
        post.approved_at,
        PostApproval.objects.filter(post=post).count(),
        post.events.count(),
    )


@pytest.fixture
def second_lead(marketing):
    """Another lead of Marketing: the second pair of eyes."""
    return MembershipFactory(department=marketing, role="lead").user


@pytest.fixture
def both_rules(marketing, legal):
    """Marketing's lead approves every Marketing post; Legal also its offer posts."""
    from campaigns.models import ApprovalRule

    ApprovalRule.objects.create(department=marketing, approver_department=marketing)
    ApprovalRule.objects.create(department=marketing, approver_department=legal, category="offer")


@pytest.fixture
def scheduled(writer, owner, make_draft):
    """A member's post, submitted and approved by Marketing's lead: on the schedule."""
    post = services.post_submit(actor=writer, post=make_draft(writer))
    post = services.post_approve(actor=owner, post=post)
    assert post.status == Status.SCHEDULED
    return post


# --- The case -------------------------------------------------------------------


class TestRewriterCannotApproveApi:
    def test_lead_rewrites_submits_and_approves_a_members_post_is_400(
        self, writer, owner, second_lead, account
    ):
        body = client_for(writer).post(
            URL,
            {
                "department": "marketing",
                "account": account.pk,
                "category": "tips",
                "text": "Tip: plan the week on Monday.",
                "scheduled_at": in_days(2).isoformat(),
            },
            format="json",
        )
        assert body.status_code == 201
        post = ScheduledPost.objects.get(pk=body.json()["id"])
        lead = client_for(owner)

        assert lead.patch(detail(post), {"text": "Buy now!!!"}, format="json").status_code == 200
        assert lead.post(detail(post, "submit")).status_code == 200
        before = state_of(post)
        response = lead.post(detail(post, "approve"), {}, format="json")

        assert response.status_code == 400
        assert response.json() == {"non_field_errors": [REWRITER_REFUSED]}
        assert state_of(post) == before
        assert post.status == Status.IN_REVIEW
        # The history says who changed the words.
        history = client_for(writer).get(detail(post)).json()["history"]
        rewritten = [row for row in history if row["action"] == "rewritten"]
        assert [(row["actor"], row["note"]) for row in rewritten] == [
            (owner.username, "Changed text.")
        ]

        # Another lead of Marketing is the second pair of eyes.
        response = client_for(second_lead).post(detail(post, "approve"), {}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == "scheduled"

    def test_naming_the_department_does_not_help(self, writer, owner, make_draft):
        post = make_draft(writer)
        services.post_update(actor=owner, post=post, text="Rewritten by the lead.")
        services.post_submit(actor=owner, post=post)

        response = client_for(owner).post(
            detail(post, "approve"), {"department": "marketing"}, format="json"
        )

        assert response.status_code == 400
        assert not PostApproval.objects.exists()

    @pytest.mark.parametrize(
        ("draft", "change"),
        [
            ({"kind": "thread", "parts": ["Two."]}, {"parts": ["Two, rewritten."]}),
            ({"kind": "quote", "target_x_id": 1_800_000_000_000_000_001}, {"target_x_id": "2"}),
            (
                {"kind": "repost", "text": "", "target_x_id": 1_800_000_000_000_000_001},
                {"target_x_id": "3"},
            ),
            ({}, {"text": "Tip: see https://evil.example.com/"}),
        ],
        ids=["thread part", "quoted post", "reposted post", "link"],
    )
    def test_every_kind_of_content_change_makes_an_author(
        self, writer, owner, make_draft, draft, change
    ):
        post = make_draft(writer, **draft)
        lead = client_for(owner)

        assert lead.patch(detail(post), change, format="json").status_code == 200
        assert lead.post(detail(post, "submit")).status_code == 200
        response = lead.post(detail(post, "approve"), {}, format="json")

        assert response.status_code == 400, response.json()
        assert response.json() == {"non_field_errors": [REWRITER_REFUSED]}

    def test_another_account_is_a_change_of_content(self, writer, owner, make_draft):
        post = make_draft(writer)
        other = XAccountFactory(username="brightline_help", x_user_id=42)
        assert other.pk != post.account_id

        response = client_for(owner).patch(detail(post), {"account": other.pk}, format="json")
        services.post_submit(actor=owner, post=post)

        assert response.status_code == 200
        assert client_for(owner).post(detail(post, "approve"), {}, format="json").status_code == 400

    def test_three_users(self, writer, owner, colleague, admin_user, make_draft):
        """The colleague may neither rewrite nor approve Marketing's post; an admin who
        rewrote it may not approve it either; an admin who did not may."""
        post = make_draft(writer)

        assert (
            client_for(colleague).patch(detail(post), {"text": "x"}, format="json").status_code
            == 403
        )
        services.post_update(actor=admin_user, post=post, text="Polished by the admin.")
        services.post_submit(actor=writer, post=post)
        assert (
            client_for(colleague).post(detail(post, "approve"), {}, format="json").status_code
            == 403
        )
        admin = client_for(admin_user).post(detail(post, "approve"), {}, format="json")
        assert admin.status_code == 400
        assert admin.json() == {"non_field_errors": [REWRITER_REFUSED]}
        # Every signed-in user reads the calendar, and with it who changed the words.
        for reader in (colleague, writer, admin_user):
            history = client_for(reader).get(detail(post)).json()["history"]
            assert ["rewritten", admin_user.username] in [
                [r["action"], r["actor"]] for r in history
            ]

        assert client_for(owner).post(detail(post, "approve"), {}, format="json").status_code == 200


class TestWholeHistoryCounts:
    def test_the_writer_changing_a_word_back_does_not_clear_the_lead(
        self, writer, owner, second_lead, make_draft
    ):
        """Taking turns: the lead rewrites, the writer touches it up last. The lead's
        words are still in it, unseen by another approver."""
        post = make_draft(writer)
        services.post_update(actor=owner, post=post, text="The lead's version.")
        services.post_update(actor=writer, post=post, text="The lead's version!")
        services.post_submit(actor=writer, post=post)

        with pytest.raises(ValidationError):
            services.post_approve(actor=owner, post=post)
        assert services.post_approve(actor=second_lead, post=post).status == Status.SCHEDULED

    def test_a_rule_that_allows_self_approval_allows_the_rewriter(
        self, writer, owner, marketing, make_draft
    ):
        from campaigns.models import ApprovalRule

        ApprovalRule.objects.create(
            department=marketing, approver_department=marketing, allow_self_approval=True
        )
        post = make_draft(writer)
        services.post_update(actor=owner, post=post, text="Rewritten.")
        services.post_submit(actor=owner, post=post)

        assert services.post_approve(actor=owner, post=post).status == Status.SCHEDULED

    def test_notes_and_time_do_not_make_an_author(self, writer, owner, make_draft):
        post = make_draft(writer)
        services.post_update(
            actor=owner, post=post, notes="Check the link.", scheduled_at=in_days(3)
        )
        services.post_reschedule(actor=owner, post=post, scheduled_at=in_days(4))
        services.post_submit(actor=writer, post=post)

        assert services.post_approve(actor=owner, post=post).status == Status.SCHEDULED
        assert "rewritten" not in actions(post)


# --- Content changed after an approval ----------------------------------------------------


class TestChangeAfterApprovalApi:
    def test_text_change_voids_the_approval_and_puts_it_back_in_review(
        self, writer, owner, scheduled
    ):
        response = client_for(writer).patch(
            detail(scheduled), {"text": "Tip: plan the month on the 1st."}, format="json"
        )

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["review_round"], body["approved_at"]) == ("in_review", 2, None)
        assert body["approvals"][0]["approved"] is False
        assert [row["action"] for row in body["history"]][-3:] == [
            "rewritten",
            "voided",
            "submitted",
        ]
        voided = body["history"][-2]
        assert voided["actor"] == writer.username
        assert f"Marketing by {owner.username}" in voided["note"]
        # The approval given before the change no longer counts: it must be given again.
        again = client_for(owner).post(detail(scheduled, "approve"), {}, format="json")
        assert again.status_code == 200
        assert again.json()["status"] == "scheduled"

    def test_change_in_review_voids_the_approvals_given_so_far(
        self, writer, owner, legal_lead, both_rules, make_draft
    ):
        post = services.post_submit(actor=writer, post=make_draft(writer, category="offer"))
        services.post_approve(actor=legal_lead, post=post)

        response = client_for(writer).patch(
            detail(post), {"text": "20% off, today only."}, format="json"
        )

        body = response.json()
        assert (body["status"], body["review_round"]) == ("in_review", 2)
        assert [a["approved"] for a in body["approvals"]] == [False, False]
        assert legal_lead.username in body["history"][-2]["note"]

    def test_a_post_no_longer_complete_goes_to_draft(self, writer, scheduled):
        response = client_for(writer).patch(detail(scheduled), {"kind": "thread"}, format="json")

        assert response.json()["status"] == "draft"
        scheduled.refresh_from_db()
        assert actions(scheduled)[-2:] == ["rewritten", "voided"]
        assert "back to draft" in scheduled.events.get(action="rewritten").note

    @pytest.mark.parametrize(
        "change",
        [
            {"scheduled_at": "in 5 days"},
            {"notes": "Double-checked the link."},
            {"category": "product_news"},
        ],
        ids=["time", "notes", "category"],
    )
    def test_changes_that_keep_the_content_keep_the_approval(self, writer, scheduled, change):
        if "scheduled_at" in change:
            change = {"scheduled_at": in_days(5).isoformat()}
        response = client_for(writer).patch(detail(scheduled), change, format="json")

        body = response.json()
        assert (body["status"], body["review_round"]) == ("scheduled", 1)
        assert body["approvals"][0]["approved"] is True
        assert "voided" not in actions(scheduled)

    def test_category_that_needs_legal_asks_legal_only(
        self, writer, owner, legal_lead, both_rules, scheduled
    ):
        """The words did not change: Marketing's approval stands; the rules now also
        ask Legal, so the post waits in review for Legal alone."""
        response = client_for(writer).patch(detail(scheduled), {"category": "offer"}, format="json")

        body = response.json()
        assert (body["status"], body["review_round"]) == ("in_review", 1)
        assert {a["department"]: a["approved"] for a in body["approvals"]} == {
            "legal": False,
            "marketing": True,
        }
        assert "Legal" in body["history"][-1]["note"]
        assert services.post_approve(actor=legal_lead, post=scheduled).status == Status.SCHEDULED

    def test_dropping_the_only_missing_approval_approves(
        self, writer, owner, legal_lead, both_rules, make_draft
    ):
        post = services.post_submit(actor=writer, post=make_draft(writer, category="offer"))
        services.post_approve(actor=owner, post=post)

        post = services.post_update(actor=writer, post=post, category="tips")

        assert post.status == Status.SCHEDULED
        assert PostApproval.objects.filter(post=post).count() == 1

    def test_reschedule_action_keeps_the_approval(self, writer, scheduled):
        post = services.post_reschedule(actor=writer, post=scheduled, scheduled_at=in_days(6))

        assert (post.status, post.review_round) == (Status.SCHEDULED, 1)


# --- The pages ---------------------------------------------------------------------------


def edit_data(post, **overrides):
    data = {
        "account": post.account_id,
        "kind": post.kind,
        "category": post.category,
        "text": post.text,
        "parts": "",
        "target_x_id": "",
        "scheduled_at": timezone.localtime(post.scheduled_at).strftime("%Y-%m-%dT%H:%M"),
        "campaign": "",
        "offer": "",
        "owner": post.owner_id,
        "notes": post.notes,
    }
    data.update(overrides)
    return data


class TestPages:
    def test_lead_rewrites_submits_and_approves_on_the_pages_is_422(
        self, client, writer, owner, colleague, make_draft
    ):
        post = make_draft(writer)
        client.force_login(owner)

        edit = client.post(
            reverse("campaigns:post_edit", args=[post.pk]), edit_data(post, text="Buy now!!!")
        )
        assert edit.status_code == 302
        assert client.post(reverse("campaigns:post_submit", args=[post.pk])).status_code == 302
        page = client.get(reverse("campaigns:post_detail", args=[post.pk])).content.decode()
        before = state_of(post)
        response = client.post(
            reverse("campaigns:post_approve", args=[post.pk]), {"department": "marketing"}
        )

        assert "Approve for Marketing" not in page
        assert REWRITER_REFUSED.replace("'", "&#x27;") in page
        assert response.status_code == 422
        assert REWRITER_REFUSED.replace("'", "&#x27;") in response.content.decode()
        assert state_of(post) == before and post.status == Status.IN_REVIEW
        # The colleague reads the history: who changed the content.
        client.force_login(colleague)
        html = client.get(reverse("campaigns:post_detail", args=[post.pk])).content.decode()
        assert "Content changed" in html and "Approve for Marketing" not in html

    def test_edit_after_approval_voids_it_on_the_pages(self, client, writer, owner, scheduled):
        client.force_login(writer)

        response = client.post(
            reverse("campaigns:post_edit", args=[scheduled.pk]),
            edit_data(scheduled, text="New words after approval."),
        )

        assert response.status_code == 302
        scheduled.refresh_from_db()
        assert (scheduled.status, scheduled.review_round) == (Status.IN_REVIEW, 2)
        client.force_login(owner)
        html = client.get(reverse("campaigns:post_detail", args=[scheduled.pk])).content.decode()
        assert "Approvals voided" in html and "Approve for Marketing" in html

    def test_page_reschedule_keeps_the_approval(self, client, writer, scheduled):
        client.force_login(writer)
        when = timezone.localtime(in_days(7)).strftime("%Y-%m-%dT%H:%M")

        response = client.post(
            reverse("campaigns:post_reschedule", args=[scheduled.pk]), {"scheduled_at": when}
        )

        assert response.status_code in (204, 302)
        scheduled.refresh_from_db()
        assert (scheduled.status, scheduled.review_round) == (Status.SCHEDULED, 1)
        assert Action.VOIDED not in actions(scheduled)


# --- The Django admin ----------------------------------------------------------------------


class TestAdmin:
    def test_an_approved_post_cannot_be_rewritten_in_the_django_admin(
        self, client, admin_user, scheduled
    ):
        """The admin site would change the words (or the status) past every rule above."""
        client.force_login(admin_user)
        url = f"/admin/campaigns/scheduledpost/{scheduled.pk}/change/"
        text = scheduled.text

        assert client.get(url).status_code == 200  # still readable
        response = client.post(url, {"text": "Rewritten in the admin", "status": "scheduled"})

        assert response.status_code == 403
        scheduled.refresh_from_db()
        assert (scheduled.text, scheduled.status) == (text, Status.SCHEDULED)
        assert client.get("/admin/campaigns/scheduledpost/add/").status_code == 403

    def test_a_links_destination_is_not_retargeted_in_the_django_admin(
        self, client, admin_user, link
    ):
        client.force_login(admin_user)
        url = f"/admin/campaigns/trackedlink/{link.pk}/change/"
        destination = link.destination

        form = {
            "campaign": link.campaign_id,
            "post": "",
            "destination": "https://evil.example.com/",
            "utm_source": link.utm_source,
            "utm_medium": link.utm_medium,
            "utm_campaign": link.utm_campaign,
            "utm_content": "retargeted",
        }

        response = client.post(url, form)

        assert response.status_code == 302  # the rest of the link may still be kept
        link.refresh_from_db()
        assert (link.destination, link.utm_content) == (destination, "retargeted")


# --- Posts edited before this rule -----------------------------------------------------------


def test_edits_recorded_before_the_rule_count_as_changes_of_content(writer, owner, make_draft):
    """Migration 0003: an old `edited` event may have changed the words; on a post that
    has not gone out, its actor counts as an author (the safe side)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("campaigns.migrations.0003_post_content_events")
    post = make_draft(writer)
    sent = make_draft(writer)
    for target in (post, sent):
        PostEvent.objects.create(post=target, action="edited", actor=owner, at=timezone.now())
    ScheduledPost.objects.filter(pk=sent.pk).update(status=Status.PUBLISHED, x_post_id=7)
    services.post_submit(actor=writer, post=post)

    migration.edits_count_as_content_changes(apps, None)

    assert actions(post) == ["created", "rewritten", "submitted"]
    assert "told apart" in post.events.get(action="rewritten").note
    assert actions(sent) == ["created", "edited"]
    with pytest.raises(ValidationError):
        services.post_approve(actor=owner, post=post)


def test_a_notes_edit_on_the_page_keeps_the_approval_of_a_multiline_post(
    client, writer, owner, make_draft
):
    """Browsers send a textarea's line breaks as CRLF: the same words are not a change."""
    post = make_draft(writer, text="Line one.\nLine two.\n\nhttps://example.com/x")
    post = services.post_approve(actor=owner, post=services.post_submit(actor=writer, post=post))
    client.force_login(writer)

    response = client.post(
        reverse("campaigns:post_edit", args=[post.pk]),
        edit_data(post, text=post.text.replace("\n", "\r\n"), notes="Checked the link."),
    )

    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.status, post.review_round, post.notes) == (
        Status.SCHEDULED,
        1,
        "Checked the link.",
    )
    assert "\r" not in post.text
