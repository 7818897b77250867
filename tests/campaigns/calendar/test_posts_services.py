"""The editorial calendar's services: the workflow from draft to scheduled, the approval
rules (own lead by default, Legal for offers, four eyes), resubmission, links tracked on
scheduling, rescheduling, slots, feeds and approval cycle time — with the owner
(Marketing's lead), a colleague (Sales' lead) and an admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.calendar import selectors, services
from campaigns.models import (
    ApprovalRule,
    CalendarFeed,
    PostApproval,
    PostEvent,
    ScheduledPost,
    TrackedLink,
)
from socialops.models import AuditEvent
from tests.campaigns.helpers import in_days
from tests.factories import MembershipFactory, OfferFactory

pytestmark = pytest.mark.django_db

Status = ScheduledPost.Status


def errors_of(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    return exc.value.message_dict


def actions(post) -> list[str]:
    return list(post.events.values_list("action", flat=True))


def submitted(make_draft, actor, **overrides):
    post = make_draft(actor, **overrides)
    return services.post_submit(actor=actor, post=post)


# --- create and edit ------------------------------------------------------------------


class TestCreate:
    def test_owner_creates_a_draft_with_event_and_audit(self, owner, make_draft):
        post = make_draft(owner)

        assert post.status == Status.DRAFT
        assert post.owner == owner and post.created_by == owner
        event = post.events.get()
        assert (event.action, event.actor) == (PostEvent.Action.CREATED, owner)
        assert AuditEvent.objects.filter(
            object_type="campaigns.scheduledpost", object_id=str(post.pk), action="create"
        ).exists()

    def test_member_and_admin_may_colleague_and_viewer_may_not(
        self, make_draft, writer, admin_user, colleague, viewer
    ):
        assert make_draft(writer).department.slug == "marketing"
        assert make_draft(admin_user).created_by == admin_user
        with pytest.raises(PermissionDenied):
            make_draft(colleague)
        with pytest.raises(PermissionDenied):
            make_draft(viewer)
        assert ScheduledPost.objects.count() == 2

    def test_over_280_weighted_is_a_text_error_and_nothing_is_written(self, owner, make_draft):
        errors = errors_of(make_draft, actor=owner, text="日本" * 71)  # 284

        assert "284" in errors["text"][0] and "280" in errors["text"][0]
        assert not ScheduledPost.objects.exists()
        assert not PostEvent.objects.exists()

    def test_a_long_link_counts_23(self, owner, make_draft):
        text = "a" * 250 + " https://example.com/" + "x" * 200
        assert make_draft(owner, text=text).text == text

    def test_time_in_the_past_is_a_field_error(self, owner, make_draft):
        errors = errors_of(make_draft, actor=owner, scheduled_at=in_days(-1))

        assert errors == {"scheduled_at": ["Pick a time in the future."]}

    def test_parts_only_for_threads_each_within_280(self, owner, make_draft):
        errors = errors_of(make_draft, actor=owner, parts=["second"])
        assert "Only a thread" in errors["parts"][0]

        errors = errors_of(make_draft, actor=owner, kind="thread", parts=["ok", "x" * 281])
        assert errors["parts"][0].startswith("Part 3 is 281")

        post = make_draft(owner, kind="thread", parts=["two", " ", "three"])
        assert [p.text for p in post.parts.all()] == ["two", "three"]
        assert [p.position for p in post.parts.all()] == [1, 2]

    def test_unknown_choice_is_a_field_error(self, owner, make_draft):
        assert "category" in errors_of(make_draft, actor=owner, category="gossip")


class TestUpdate:
    def test_editing_keeps_a_draft_a_draft(self, owner, make_draft):
        post = make_draft(owner)
        post = services.post_update(actor=owner, post=post, text="Better tip.")

        assert post.status == Status.DRAFT
        assert actions(post) == ["created", "rewritten"]

    def test_no_change_writes_nothing(self, owner, make_draft):
        post = make_draft(owner)
        services.post_update(actor=owner, post=post, text=post.text)
        assert actions(post) == ["created"]

    def test_colleague_cannot_edit_admin_can(self, owner, colleague, admin_user, make_draft):
        post = make_draft(owner)
        with pytest.raises(PermissionDenied):
            services.post_update(actor=colleague, post=post, text="Hijacked")
        services.post_update(actor=admin_user, post=post, notes="Checked")
        post.refresh_from_db()
        assert post.notes == "Checked" and post.text != "Hijacked"

    def test_editing_an_approved_post_sends_it_back_into_review(self, owner, writer, make_draft):
        post = submitted(make_draft, writer)
        post = services.post_approve(actor=owner, post=post)
        assert post.status == Status.SCHEDULED

        post = services.post_update(actor=writer, post=post, text="Changed after approval")

        assert (post.status, post.review_round) == (Status.IN_REVIEW, 2)
        assert "Back in review" in post.events.last().note

    def test_editing_a_rejected_post_sends_it_back_to_draft(self, owner, writer, make_draft):
        post = services.post_reject(
            actor=owner, post=submitted(make_draft, writer), reason="Off brand."
        )

        post = services.post_update(actor=writer, post=post, text="On brand now")

        assert post.status == Status.DRAFT
        assert "back to draft" in post.events.last().note

    def test_a_new_time_alone_keeps_an_approved_post_scheduled(self, owner, writer, make_draft):
        post = services.post_approve(actor=owner, post=submitted(make_draft, writer))
        post = services.post_update(actor=writer, post=post, scheduled_at=in_days(5))

        assert post.status == Status.SCHEDULED

    def test_published_posts_cannot_be_edited(self, owner, make_draft):
        post = make_draft(owner)
        ScheduledPost.objects.filter(pk=post.pk).update(status=Status.PUBLISHED, x_post_id=1)

        assert "status" in errors_of(services.post_update, actor=owner, post=post, text="x")


# --- submit ---------------------------------------------------------------------------


class TestSubmit:
    def test_submit_opens_a_review_round(self, writer, make_draft):
        post = submitted(make_draft, writer)

        assert post.status == Status.IN_REVIEW
        assert post.review_round == 1
        assert post.submitted_at is not None
        assert "Marketing" in post.events.last().note

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"scheduled_at": None}, "scheduled_at"),
            ({"text": ""}, "text"),
            ({"kind": "thread"}, "parts"),
            ({"kind": "reply"}, "target_x_id"),
            ({"kind": "quote"}, "target_x_id"),
            ({"kind": "repost", "target_x_id": 123}, "text"),  # a repost has no text
        ],
    )
    def test_incomplete_posts_cannot_be_submitted(self, writer, make_draft, overrides, field):
        post = make_draft(writer, **overrides)

        assert field in errors_of(services.post_submit, actor=writer, post=post)
        post.refresh_from_db()
        assert post.status == Status.DRAFT and post.review_round == 0

    def test_time_passed_while_drafting(self, writer, make_draft):
        post = make_draft(writer)
        ScheduledPost.objects.filter(pk=post.pk).update(scheduled_at=in_days(-0.1))

        errors = errors_of(services.post_submit, actor=writer, post=post)

        assert errors == {"scheduled_at": ["Pick a time in the future."]}

    def test_complete_kinds_submit(self, writer, make_draft):
        thread = make_draft(writer, kind="thread", parts=["Part two"])
        repost = make_draft(writer, kind="repost", text="", target_x_id=1_800_000_000_000_000_001)

        assert services.post_submit(actor=writer, post=thread).status == Status.IN_REVIEW
        assert services.post_submit(actor=writer, post=repost).status == Status.IN_REVIEW

    def test_only_drafts_are_submitted(self, writer, make_draft):
        post = submitted(make_draft, writer)
        assert "status" in errors_of(services.post_submit, actor=writer, post=post)

    def test_colleague_cannot_submit(self, writer, colleague, make_draft):
        post = make_draft(writer)
        with pytest.raises(PermissionDenied):
            services.post_submit(actor=colleague, post=post)


# --- approval rules -------------------------------------------------------------------


class TestApprovalRules:
    def test_no_rule_means_own_department_lead(self, owner, writer, colleague, make_draft):
        post = submitted(make_draft, writer)

        with pytest.raises(PermissionDenied, match="Marketing"):
            services.post_approve(actor=colleague, post=post)
        with pytest.raises(PermissionDenied):
            services.post_approve(actor=writer, post=post)  # a member, not a lead

        post = services.post_approve(actor=owner, post=post)

        assert post.status == Status.SCHEDULED  # its time is ahead: scheduled at once
        approval = PostApproval.objects.get(post=post)
        assert (approval.department.slug, approval.approved_by, approval.review_round) == (
            "marketing",
            owner,
            1,
        )
        assert actions(post)[-3:] == ["submitted", "approved", "scheduled"]

    def test_admin_may_approve_for_a_department(self, admin_user, writer, make_draft):
        post = services.post_approve(actor=admin_user, post=submitted(make_draft, writer))

        assert post.status == Status.SCHEDULED
        assert post.approvals.get().approved_by == admin_user

    def test_self_approval_is_forbidden_by_default(self, owner, make_draft):
        post = submitted(make_draft, owner)

        errors = errors_of(services.post_approve, actor=owner, post=post)

        assert errors == {
            "__all__": [
                "You cannot approve your own post: Marketing requires another person's approval."
            ]
        }
        assert not PostApproval.objects.exists()
        post.refresh_from_db()
        assert post.status == Status.IN_REVIEW

    def test_the_writer_of_a_post_owned_by_someone_else_cannot_approve(
        self, owner, writer, make_draft
    ):
        post = submitted(make_draft, owner, owner=writer)  # owner wrote it for the writer

        assert "__all__" in errors_of(services.post_approve, actor=owner, post=post)

    def test_a_rule_may_allow_self_approval(self, owner, marketing, make_draft):
        ApprovalRule.objects.create(
            department=marketing, approver_department=marketing, allow_self_approval=True
        )
        post = services.post_approve(actor=owner, post=submitted(make_draft, owner))

        assert post.status == Status.SCHEDULED

    def test_legal_must_approve_offer_posts(
        self, owner, writer, legal_lead, offer_rule, make_draft
    ):
        post = submitted(make_draft, writer, category="offer", text="20% off this week!")

        requirements = selectors.post_approval_requirements(post=post)
        assert [r.department.slug for r in requirements] == ["legal"]
        with pytest.raises(PermissionDenied, match="Legal"):
            services.post_approve(actor=owner, post=post)

        post = services.post_approve(actor=legal_lead, post=post)

        assert post.status == Status.SCHEDULED
        assert post.approvals.get().department.slug == "legal"

    def test_rules_for_other_categories_do_not_apply(self, owner, writer, offer_rule, make_draft):
        post = submitted(make_draft, writer, category="tips")

        assert [r.department.slug for r in selectors.post_approval_requirements(post=post)] == [
            "marketing"
        ]
        assert services.post_approve(actor=owner, post=post).status == Status.SCHEDULED

    def test_posts_with_an_offer_need_legal(
        self, owner, writer, marketing, legal, legal_lead, marketing_campaign, make_draft
    ):
        ApprovalRule.objects.create(
            department=marketing, approver_department=legal, only_with_offer=True
        )
        offer = OfferFactory(campaign=marketing_campaign)
        plain = submitted(make_draft, writer)
        with_offer = submitted(make_draft, writer, offer=offer, campaign=marketing_campaign)

        assert [r.department.slug for r in selectors.post_approval_requirements(post=plain)] == [
            "marketing"
        ]
        with pytest.raises(PermissionDenied):
            services.post_approve(actor=owner, post=with_offer)
        assert services.post_approve(actor=legal_lead, post=with_offer).status == Status.SCHEDULED

    def test_several_departments_each_approve(
        self, owner, writer, marketing, legal, pr, legal_lead, pr_lead, offer_rule, make_draft
    ):
        ApprovalRule.objects.create(department=marketing, approver_department=pr)
        post = submitted(make_draft, writer, category="offer")

        post = services.post_approve(actor=legal_lead, post=post)
        assert post.status == Status.IN_REVIEW
        assert "Still needs PR" in post.events.last().note
        with pytest.raises(ValidationError, match="already approved"):
            services.post_approve(actor=legal_lead, post=post)

        post = services.post_approve(actor=pr_lead, post=post)
        assert post.status == Status.SCHEDULED
        assert post.approved_at is not None

    def test_self_approval_forbidden_for_a_rule_even_to_a_lead_of_both(
        self, writer, legal, offer_rule, make_draft
    ):
        MembershipFactory(department=legal, user=writer, role="lead")
        post = submitted(make_draft, writer, category="offer")

        errors = errors_of(services.post_approve, actor=writer, post=post)

        assert errors["__all__"] == [
            "You cannot approve your own post: Legal requires another person's approval."
        ]

    def test_naming_a_department_that_need_not_approve(self, owner, writer, sales, make_draft):
        post = submitted(make_draft, writer)
        errors = errors_of(services.post_approve, actor=owner, post=post, department=sales)
        assert "does not need to approve" in errors["department"][0]

    def test_only_posts_in_review_are_approved(self, owner, writer, make_draft):
        post = make_draft(writer)
        assert "status" in errors_of(services.post_approve, actor=owner, post=post)

    def test_approved_without_a_future_time_stays_approved(self, owner, writer, make_draft):
        post = submitted(make_draft, writer)
        ScheduledPost.objects.filter(pk=post.pk).update(scheduled_at=in_days(-0.01))

        post = services.post_approve(actor=owner, post=post)

        assert post.status == Status.APPROVED
        post = services.post_reschedule(actor=writer, post=post, scheduled_at=in_days(1))
        assert post.status == Status.SCHEDULED


class TestResubmission:
    def test_rejected_then_edited_needs_every_approval_again(
        self, owner, writer, marketing, pr, legal_lead, pr_lead, offer_rule, make_draft
    ):
        ApprovalRule.objects.create(department=marketing, approver_department=pr)
        post = submitted(make_draft, writer, category="offer")
        services.post_approve(actor=legal_lead, post=post)

        post = services.post_reject(actor=pr_lead, post=post, reason="Too pushy.")
        assert post.status == Status.REJECTED
        assert post.rejection_reason == "Too pushy."
        post = services.post_update(actor=writer, post=post, text="A gentler offer.")
        assert post.status == Status.DRAFT

        post = services.post_submit(actor=writer, post=post)

        assert post.review_round == 2
        assert post.rejection_reason == ""
        states = selectors.post_approval_states(post=post)
        assert [s.given for s in states] == [False, False]  # Legal's round-1 approval is old
        services.post_approve(actor=pr_lead, post=post)
        post = services.post_approve(actor=legal_lead, post=post)
        assert post.status == Status.SCHEDULED
        assert post.approvals.filter(review_round=2).count() == 2

    def test_back_to_draft_and_resubmitted_needs_approval_again(self, owner, writer, make_draft):
        post = services.post_approve(actor=owner, post=submitted(make_draft, writer))
        post = services.post_unschedule(actor=writer, post=post)
        assert post.status == Status.DRAFT

        post = services.post_submit(actor=writer, post=post)

        assert post.status == Status.IN_REVIEW and post.review_round == 2
        assert post.approved_at is None


class TestReject:
    def test_reason_is_required(self, owner, writer, make_draft):
        post = submitted(make_draft, writer)
        errors = errors_of(services.post_reject, actor=owner, post=post, reason="  ")
        assert list(errors) == ["reason"]

    def test_only_an_approver_rejects(self, owner, writer, colleague, admin_user, make_draft):
        post = submitted(make_draft, writer)
        with pytest.raises(PermissionDenied):
            services.post_reject(actor=colleague, post=post, reason="No")
        with pytest.raises(PermissionDenied):
            services.post_reject(actor=writer, post=post, reason="No")
        post = services.post_reject(actor=admin_user, post=post, reason="Off brand")
        event = post.events.last()
        assert (event.action, event.note, event.actor) == ("rejected", "Off brand", admin_user)


# --- scheduling and links -------------------------------------------------------------


class TestScheduleTracksLinks:
    def test_links_become_tracked_short_links(
        self, owner, writer, marketing_campaign, make_draft, settings
    ):
        settings.SITE_URL = "https://social.example.org"
        post = make_draft(
            writer,
            kind="thread",
            text="New: https://shop.example.com/winter?ref=x and again https://shop.example.com/winter?ref=x.",
            parts=["More at https://blog.example.com/post (read it)"],
            campaign=marketing_campaign,
        )
        post = services.post_approve(
            actor=owner, post=services.post_submit(actor=writer, post=post)
        )

        links = list(TrackedLink.objects.order_by("pk"))
        assert [link.destination for link in links] == [
            "https://shop.example.com/winter?ref=x",
            "https://blog.example.com/post",
        ]
        assert all(link.post == post and link.campaign == marketing_campaign for link in links)
        shop, blog = (f"https://social.example.org/l/{link.code}" for link in links)
        assert post.text == f"New: {shop} and again {shop}."
        assert post.parts.get().text == f"More at {blog} (read it)"
        assert "2 links now tracked" in post.events.last().note

    def test_links_made_for_the_owner_when_the_approver_cannot(
        self, owner, legal_lead, offer_rule, marketing_campaign, make_draft
    ):
        post = submitted(
            make_draft,
            owner,
            category="offer",
            text="Deal: https://shop.example.com/deal",
            campaign=marketing_campaign,
        )
        services.post_approve(actor=legal_lead, post=post)

        assert TrackedLink.objects.get().created_by == owner

    def test_short_links_are_not_wrapped_twice(self, owner, writer, make_draft):
        post = make_draft(writer, text="See https://example.com/a")
        post = services.post_approve(
            actor=owner, post=services.post_submit(actor=writer, post=post)
        )
        text = post.text
        services.post_unschedule(actor=writer, post=post)
        post = services.post_approve(
            actor=owner, post=services.post_submit(actor=writer, post=post)
        )

        assert post.text == text
        assert TrackedLink.objects.count() == 1

    def test_post_links_track_is_idempotent(self, writer, make_draft):
        post = make_draft(writer, text="Go https://example.com/a and https://example.com/b")

        assert services.post_links_track(actor=writer, post=post) == 2
        text = post.text
        assert services.post_links_track(actor=writer, post=post) == 0
        assert post.text == text and TrackedLink.objects.count() == 2

    def test_post_schedule_needs_an_approved_post_with_a_time_ahead(
        self, owner, writer, make_draft
    ):
        post = make_draft(writer)
        assert "status" in errors_of(services.post_schedule, actor=writer, post=post)


class TestReschedule:
    def test_moves_and_records(self, writer, make_draft):
        post = make_draft(writer)
        new_time = in_days(4)

        post = services.post_reschedule(actor=writer, post=post, scheduled_at=new_time)

        assert post.scheduled_at == new_time
        assert post.events.last().action == "rescheduled"

    def test_not_into_the_past(self, writer, make_draft):
        post = make_draft(writer)
        errors = errors_of(
            services.post_reschedule, actor=writer, post=post, scheduled_at=in_days(-1)
        )
        assert errors == {"scheduled_at": ["Pick a time in the future."]}

    def test_not_once_sent(self, writer, make_draft):
        post = make_draft(writer)
        ScheduledPost.objects.filter(pk=post.pk).update(status=Status.PUBLISHED, x_post_id=7)
        errors = errors_of(
            services.post_reschedule, actor=writer, post=post, scheduled_at=in_days(1)
        )
        assert "cannot be moved" in errors["status"][0]

    def test_colleague_cannot_move_admin_can(self, writer, colleague, admin_user, make_draft):
        post = make_draft(writer)
        with pytest.raises(PermissionDenied):
            services.post_reschedule(actor=colleague, post=post, scheduled_at=in_days(3))
        services.post_reschedule(actor=admin_user, post=post, scheduled_at=in_days(3))


# --- recurring slots ------------------------------------------------------------------


@pytest.fixture
def madrid(organisation):
    organisation.time_zone = "Europe/Madrid"
    organisation.save()
    return organisation


def next_weekday(weekday: int, weeks_ahead: int = 1) -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


class TestSlots:
    def test_create_and_occurrences_in_the_organisations_zone(
        self, madrid, owner, marketing, account
    ):
        start = next_weekday(1)  # a Tuesday
        services.recurring_slot_create(
            actor=owner,
            department=marketing,
            title="Tips Tuesday",
            category="tips",
            weekday=1,
            time=dt.time(10, 0),
            starts_on=start,
            every_weeks=2,
            account=account,
        )
        begin = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
        occurrences = selectors.slot_occurrences(
            user=owner, start=begin, end=begin + dt.timedelta(days=35)
        )

        assert [o.at.date() for o in occurrences] == [
            start,
            start + dt.timedelta(days=14),
            start + dt.timedelta(days=28),
        ]
        first = occurrences[0].at
        assert first.astimezone(dt.UTC).hour in (8, 9)  # 10:00 in Madrid
        assert all(o.is_empty for o in occurrences)

    def test_a_post_fills_an_occurrence(self, madrid, owner, marketing, make_draft):
        start = next_weekday(3)
        slot = services.recurring_slot_create(
            actor=owner,
            department=marketing,
            title="Thursday story",
            category="customer_story",
            weekday=3,
            time=dt.time(9, 30),
            starts_on=start,
        )
        occurrence = selectors.slot_occurrences(
            user=owner,
            start=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC),
            end=dt.datetime.combine(start + dt.timedelta(days=8), dt.time.min, tzinfo=dt.UTC),
        )[0]

        post = make_draft(owner, slot=slot, scheduled_at=occurrence.at)

        again = selectors.slot_occurrences(
            user=owner, start=occurrence.at, end=occurrence.at + dt.timedelta(days=8)
        )
        assert again[0].posts == [post] and not again[1].posts

        errors = errors_of(
            make_draft, actor=owner, slot=slot, scheduled_at=occurrence.at + dt.timedelta(hours=1)
        )
        assert "not one of the times" in errors["scheduled_at"][0]

        # Moved off the slot's time, the post leaves the slot empty.
        post = services.post_reschedule(
            actor=owner, post=post, scheduled_at=occurrence.at + dt.timedelta(hours=2)
        )
        assert post.slot is None

    def test_slot_rights(self, owner, colleague, admin_user, marketing):
        fields = {
            "department": marketing,
            "title": "Friday poll",
            "category": "engagement",
            "weekday": 4,
            "time": dt.time(12, 0),
            "starts_on": dt.date(2026, 1, 2),
        }
        with pytest.raises(PermissionDenied):
            services.recurring_slot_create(actor=colleague, **fields)
        slot = services.recurring_slot_create(actor=owner, **fields)
        with pytest.raises(PermissionDenied):
            services.recurring_slot_update(actor=colleague, slot=slot, title="Mine now")
        slot = services.recurring_slot_update(actor=admin_user, slot=slot, is_active=False)
        assert slot.is_active is False

    def test_slot_end_before_start(self, owner, marketing):
        errors = errors_of(
            services.recurring_slot_create,
            actor=owner,
            department=marketing,
            title="Broken",
            category="tips",
            weekday=0,
            time=dt.time(9, 0),
            starts_on=dt.date(2026, 2, 1),
            ends_on=dt.date(2026, 1, 1),
        )
        assert "ends_on" in errors


# --- calendar feeds -------------------------------------------------------------------


class TestFeeds:
    def test_lead_creates_and_rotates_the_token_never_audited(self, owner, marketing):
        feed = services.calendar_feed_create(actor=owner, department=marketing)
        old = feed.token
        assert len(old) >= 40

        feed = services.calendar_feed_rotate(actor=owner, feed=feed)

        assert feed.token != old
        audits = AuditEvent.objects.filter(object_type="campaigns.calendarfeed")
        assert audits.count() == 2
        assert all(old not in str(a.changes) and feed.token not in str(a.changes) for a in audits)

    def test_one_feed_per_department(self, owner, marketing):
        services.calendar_feed_create(actor=owner, department=marketing)
        errors = errors_of(services.calendar_feed_create, actor=owner, department=marketing)
        assert "department" in errors

    def test_rights(self, owner, writer, colleague, admin_user, marketing):
        with pytest.raises(PermissionDenied):
            services.calendar_feed_create(actor=colleague, department=marketing)
        with pytest.raises(PermissionDenied):
            services.calendar_feed_create(actor=writer, department=marketing)  # a member
        with pytest.raises(PermissionDenied):
            services.calendar_feed_create(actor=owner, department=None)  # everyone's: admins
        feed = services.calendar_feed_create(actor=admin_user, department=marketing)
        with pytest.raises(PermissionDenied):
            services.calendar_feed_rotate(actor=colleague, feed=feed)
        assert services.calendar_feed_create(actor=admin_user).department is None
        assert CalendarFeed.objects.count() == 2


# --- approval cycle time --------------------------------------------------------------


class TestCycleTime:
    def test_median_per_department_over_a_period(
        self, owner, writer, colleague, sales, account, make_draft
    ):
        sales_writer = MembershipFactory(department=sales, role="member").user
        now = timezone.now()
        hours = {"marketing": [1, 3, 10], "sales": [2, 4]}
        for slug, durations in hours.items():
            for h in durations:
                if slug == "marketing":
                    post = submitted(make_draft, writer)
                    post = services.post_approve(actor=owner, post=post)
                else:
                    post = submitted(make_draft, sales_writer, department=sales)
                    post = services.post_approve(actor=colleague, post=post)
                ScheduledPost.objects.filter(pk=post.pk).update(
                    submitted_at=now - dt.timedelta(hours=h), approved_at=now
                )
        # Approved outside the period: left out.
        old = services.post_approve(actor=owner, post=submitted(make_draft, writer))
        ScheduledPost.objects.filter(pk=old.pk).update(
            submitted_at=now - dt.timedelta(days=40, hours=99),
            approved_at=now - dt.timedelta(days=40),
        )

        rows = selectors.approval_cycle_times(
            user=owner, start=now - dt.timedelta(days=7), end=now + dt.timedelta(minutes=1)
        )

        assert [(r.department.slug, r.approved, r.median) for r in rows] == [
            ("marketing", 3, dt.timedelta(hours=3)),
            ("sales", 2, dt.timedelta(hours=3)),
        ]
        assert rows[0].longest == dt.timedelta(hours=10)

    def test_the_round_that_went_through_counts(self, owner, writer, make_draft):
        post = submitted(make_draft, writer)
        services.post_reject(actor=owner, post=post, reason="Fix the link")
        post = services.post_submit(actor=writer, post=post)
        post = services.post_approve(actor=owner, post=post)

        (row,) = selectors.approval_cycle_times(
            user=owner,
            start=timezone.now() - dt.timedelta(hours=1),
            end=timezone.now() + dt.timedelta(hours=1),
        )
        assert row.median == post.approved_at - post.submitted_at
        assert actions(post).count("submitted") == 2

    def test_anonymous_sees_nothing(self, owner, writer, make_draft):
        from django.contrib.auth.models import AnonymousUser

        services.post_approve(actor=owner, post=submitted(make_draft, writer))
        assert (
            selectors.approval_cycle_times(
                user=AnonymousUser(),
                start=timezone.now() - dt.timedelta(hours=1),
                end=timezone.now() + dt.timedelta(hours=1),
            )
            == []
        )
