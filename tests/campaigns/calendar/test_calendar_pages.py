"""The calendar's pages: week, month and list views with filters and status colours,
empty slots with their "fill it" link, drag-and-drop rescheduling by HTMX, the post form
with X's count and its field errors (422), the post page with history, approvals and
the retry button — as the owner, a colleague in another department and an admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar import services
from campaigns.models import PostEvent, ScheduledPost
from tests.campaigns.helpers import in_days
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
Status = ScheduledPost.Status


def signed_in(client, user):
    client.force_login(user)
    return client


def local(at: dt.datetime) -> dt.datetime:
    return timezone.localtime(at)


def week_of(at: dt.datetime) -> str:
    return local(at).date().isoformat()


@pytest.fixture
def post(owner, make_draft):
    return make_draft(owner, text="Monday tip: batch your posts.", scheduled_at=in_days(1))


@pytest.fixture
def sales_post(colleague, sales, account, make_draft):
    return make_draft(
        colleague, department=sales, text="Sales webinar on Thursday.", scheduled_at=in_days(1)
    )


# --- navigation and access ------------------------------------------------------------


class TestAccess:
    def test_anonymous_is_sent_to_sign_in(self, client, post):
        for name in ["campaigns:calendar", "campaigns:calendar_month", "campaigns:post_list"]:
            response = client.get(reverse(name))
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        response = client.get(reverse("campaigns:post_detail", args=[post.pk]))
        assert response.status_code == 302

    def test_calendar_url_name_is_the_week_view(self, client, owner):
        response = signed_in(client, owner).get(reverse("campaigns:calendar"))
        assert response.status_code == 200
        assert "cal-week" in response.content.decode()
        assert reverse("campaigns:calendar") == "/calendar/"

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_everyone_signed_in_reads_every_department(
        self, client, request, post, sales_post, who
    ):
        user = request.getfixturevalue(who)
        html = (
            signed_in(client, user)
            .get(reverse("campaigns:calendar"), {"week": week_of(post.scheduled_at)})
            .content.decode()
        )

        assert "Monday tip" in html and "Sales webinar" in html
        detail = client.get(reverse("campaigns:post_detail", args=[post.pk]))
        assert detail.status_code == 200


# --- week, month and list views -------------------------------------------------------


class TestViews:
    def test_week_shows_posts_on_their_day_with_status_colours(self, client, owner, post):
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": week_of(post.scheduled_at)})
            .content.decode()
        )

        assert "post-chip status-draft" in html
        assert f'data-day-drop="{local(post.scheduled_at).date().isoformat()}"' in html
        assert local(post.scheduled_at).strftime("%H:%M") in html

    def test_week_navigation(self, client, owner):
        response = signed_in(client, owner).get(
            reverse("campaigns:calendar"), {"week": "2026-11-25"}
        )
        html = response.content.decode()
        assert "23 Nov – 29 Nov 2026" in html
        assert "week=2026-11-16" in html and "week=2026-11-30" in html

    def test_bad_week_falls_back_to_this_week(self, client, owner):
        response = signed_in(client, owner).get(reverse("campaigns:calendar"), {"week": "nope"})
        assert response.status_code == 200

    def test_month_view(self, client, owner, post):
        month = local(post.scheduled_at).strftime("%Y-%m")
        response = signed_in(client, owner).get(
            reverse("campaigns:calendar_month"), {"month": month}
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "cal-month" in html and "Monday tip" in html
        assert local(post.scheduled_at).strftime("%B %Y") in html

    def test_month_view_bad_month_is_this_month(self, client, owner):
        response = signed_in(client, owner).get(
            reverse("campaigns:calendar_month"), {"month": "2026-13"}
        )
        assert response.status_code == 200

    def test_list_view_includes_posts_without_a_time(self, client, owner, post, make_draft):
        make_draft(owner, text="Someday maybe", scheduled_at=None)

        html = signed_in(client, owner).get(reverse("campaigns:post_list")).content.decode()

        assert "Monday tip" in html and "Someday maybe" in html and "no time yet" in html

    def test_empty_list_says_what_to_do(self, client, owner):
        html = signed_in(client, owner).get(reverse("campaigns:post_list")).content.decode()
        assert "No posts yet" in html and "New post" in html

    def test_htmx_gets_the_partial(self, client, owner, post):
        response = signed_in(client, owner).get(
            reverse("campaigns:calendar"), {"week": week_of(post.scheduled_at)}, **HTMX
        )
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="calendar"')
        assert "<html" not in html
        response = client.get(reverse("campaigns:post_list"), **HTMX)
        assert response.content.decode().lstrip().startswith('<div id="results"')


class TestFilters:
    def test_department_filter(self, client, owner, post, sales_post):
        week = week_of(post.scheduled_at)
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": week, "department": "sales"})
            .content.decode()
        )

        assert "Sales webinar" in html and "Monday tip" not in html
        assert "· Sales" in html

    @pytest.mark.parametrize(
        "view", ["campaigns:calendar", "campaigns:calendar_month", "campaigns:post_list"]
    )
    def test_status_account_category_filters(self, client, owner, post, make_draft, view):
        other_account = XAccountFactory(username="brightline_es", x_user_id=783215)
        make_draft(
            owner,
            text="Offer for Spain",
            category="offer",
            account=other_account,
            scheduled_at=post.scheduled_at,
        )
        services.post_submit(actor=owner, post=post)
        client = signed_in(client, owner)
        base = {
            "week": week_of(post.scheduled_at),
            "month": local(post.scheduled_at).strftime("%Y-%m"),
        }

        html = client.get(reverse(view), {**base, "status": "in_review"}).content.decode()
        assert "Monday tip" in html and "Offer for Spain" not in html

        html = client.get(reverse(view), {**base, "account": other_account.pk}).content.decode()
        assert "Offer for Spain" in html and "Monday tip" not in html

        html = client.get(reverse(view), {**base, "category": "offer"}).content.decode()
        assert "Offer for Spain" in html and "Monday tip" not in html

    def test_campaign_filter(self, client, owner, post, make_draft, marketing):
        from campaigns.models import Campaign

        campaign = Campaign.objects.create(
            department=marketing,
            name="Launch",
            objective="brand",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2027, 12, 31),
        )
        make_draft(owner, text="Launch day!", campaign=campaign, scheduled_at=post.scheduled_at)

        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:post_list"), {"campaign": campaign.pk})
            .content.decode()
        )

        assert "Launch day!" in html and "Monday tip" not in html

    def test_unknown_filter_value_shows_the_error_and_nothing(self, client, owner, post):
        response = signed_in(client, owner).get(
            reverse("campaigns:post_list"), {"department": "nope"}
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "Select a valid choice" in html and "Monday tip" not in html


# --- empty slots ----------------------------------------------------------------------


class TestEmptySlots:
    @pytest.fixture
    def slot(self, owner, marketing, account):
        tomorrow = timezone.localdate() + dt.timedelta(days=2)
        return services.recurring_slot_create(
            actor=owner,
            department=marketing,
            title="Tips Tuesday",
            category="tips",
            weekday=tomorrow.weekday(),
            time=dt.time(10, 0),
            starts_on=tomorrow,
            account=account,
        )

    def test_empty_slot_shown_with_a_fill_it_link(self, client, owner, slot):
        day = timezone.localdate() + dt.timedelta(days=2)
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": day.isoformat()})
            .content.decode()
        )

        assert "Tips Tuesday" in html and "empty slot — " in html
        assert f"/calendar/posts/new/?slot={slot.pk}&amp;scheduled_at=" in html
        assert "fill it</a>" in html

    def test_colleague_sees_it_but_cannot_fill_it(self, client, colleague, slot):
        day = timezone.localdate() + dt.timedelta(days=2)
        html = (
            signed_in(client, colleague)
            .get(reverse("campaigns:calendar"), {"week": day.isoformat()})
            .content.decode()
        )

        assert "Tips Tuesday" in html and "for Marketing to fill" in html
        assert "fill it</a>" not in html

    def test_fill_it_link_prefills_the_form(self, client, owner, slot):
        day = timezone.localdate() + dt.timedelta(days=2)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
        response = signed_in(client, owner).get(
            reverse("campaigns:post_create"), {"slot": slot.pk, "scheduled_at": at.isoformat()}
        )

        form = response.context["form"]
        assert form.initial["slot"] == slot.pk
        assert form.initial["category"] == "tips"
        assert form.initial["scheduled_at"] == at
        assert f'value="{local(at).strftime("%Y-%m-%dT%H:%M")}"' in response.content.decode()

    def test_a_filled_slot_is_not_empty(self, client, owner, slot, make_draft, account):
        day = timezone.localdate() + dt.timedelta(days=2)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
        make_draft(owner, slot=slot, scheduled_at=at, text="Filled it")

        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": day.isoformat()})
            .content.decode()
        )

        assert "Filled it" in html and "empty slot" not in html

    def test_status_filter_hides_empty_slots(self, client, owner, slot):
        day = timezone.localdate() + dt.timedelta(days=2)
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": day.isoformat(), "status": "scheduled"})
            .content.decode()
        )
        assert "empty slot" not in html

    def test_slot_pages(self, client, owner, colleague, admin_user, slot, marketing):
        html = (
            signed_in(client, owner).get(reverse("campaigns:calendar_slot_list")).content.decode()
        )
        assert (
            "Tips Tuesday" in html
            and reverse("campaigns:calendar_slot_edit", args=[slot.pk]) in html
        )

        response = client.post(
            reverse("campaigns:calendar_slot_create"),
            {
                "department": marketing.pk,
                "title": "",
                "category": "tips",
                "weekday": 2,
                "time": "09:00",
                "every_weeks": 1,
                "starts_on": "2026-12-01",
                "ends_on": "2026-11-01",
            },
        )
        assert response.status_code == 422
        assert response.context["form"].errors.keys() >= {"title"}

        response = client.post(
            reverse("campaigns:calendar_slot_create"),
            {
                "department": marketing.pk,
                "title": "Wednesday news",
                "category": "product_news",
                "weekday": 2,
                "time": "09:00",
                "every_weeks": 2,
                "starts_on": "2026-12-01",
            },
        )
        assert response.status_code == 302

        assert (
            signed_in(client, colleague)
            .get(reverse("campaigns:calendar_slot_edit", args=[slot.pk]))
            .status_code
            == 403
        )
        assert (
            signed_in(client, admin_user)
            .get(reverse("campaigns:calendar_slot_edit", args=[slot.pk]))
            .status_code
            == 200
        )


# --- rescheduling ---------------------------------------------------------------------


class TestReschedule:
    def url(self, post):
        return reverse("campaigns:post_reschedule", args=[post.pk])

    def test_drag_and_drop_by_htmx_moves_and_reloads_the_calendar(self, client, owner, post):
        new_day = local(post.scheduled_at).date() + dt.timedelta(days=2)
        value = f"{new_day.isoformat()}T{local(post.scheduled_at):%H:%M}"

        response = signed_in(client, owner).post(
            self.url(post), {"scheduled_at": value, "from": "calendar"}, **HTMX
        )

        assert response.status_code == 204
        assert response["HX-Trigger"] == "calendarChanged"
        post.refresh_from_db()
        assert local(post.scheduled_at).date() == new_day
        assert post.events.last().action == PostEvent.Action.RESCHEDULED

    def test_drop_into_the_past_is_refused_with_the_reason(self, client, owner, post):
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        response = signed_in(client, owner).post(
            self.url(post), {"scheduled_at": f"{yesterday}T10:00", "from": "calendar"}, **HTMX
        )

        assert response.status_code == 422
        assert "Pick a time in the future." in response.content.decode()
        old = post.scheduled_at
        post.refresh_from_db()
        assert post.scheduled_at == old

    def test_click_to_reschedule_form_without_javascript(self, client, owner, post):
        new_time = local(post.scheduled_at) + dt.timedelta(days=1, hours=1)
        response = signed_in(client, owner).post(
            self.url(post),
            {
                "scheduled_at": new_time.strftime("%Y-%m-%dT%H:%M"),
                "from": "calendar",
                "next": "/calendar/?week=2026-11-23",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == "/calendar/?week=2026-11-23"
        post.refresh_from_db()
        assert post.scheduled_at == new_time

    def test_next_must_stay_on_the_site(self, client, owner, post):
        new_time = local(post.scheduled_at) + dt.timedelta(days=1)
        response = signed_in(client, owner).post(
            self.url(post),
            {"scheduled_at": new_time.strftime("%Y-%m-%dT%H:%M"), "next": "https://evil.example/"},
        )
        assert response["Location"] == reverse("campaigns:post_detail", args=[post.pk])

    def test_bad_value_from_the_post_page_is_a_422_field_error(self, client, owner, post):
        response = signed_in(client, owner).post(self.url(post), {"scheduled_at": "soon"})

        assert response.status_code == 422
        assert response.context["reschedule_form"].errors["scheduled_at"]

    def test_colleague_cannot_move_admin_can(self, client, colleague, admin_user, post):
        value = (local(post.scheduled_at) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = signed_in(client, colleague).post(
            self.url(post), {"scheduled_at": value, "from": "calendar"}, **HTMX
        )
        assert response.status_code == 403
        response = signed_in(client, admin_user).post(
            self.url(post), {"scheduled_at": value, "from": "calendar"}, **HTMX
        )
        assert response.status_code == 204

    def test_only_editors_get_draggable_posts(self, client, owner, colleague, post):
        week = week_of(post.scheduled_at)
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": week})
            .content.decode()
        )
        assert 'draggable="true"' in html and self.url(post) in html
        html = (
            signed_in(client, colleague)
            .get(reverse("campaigns:calendar"), {"week": week})
            .content.decode()
        )
        assert 'draggable="true"' not in html


# --- the post form --------------------------------------------------------------------


def form_data(account, **overrides):
    data = {
        "department": "",
        "account": account.pk,
        "kind": "post",
        "category": "tips",
        "text": "A tip worth sharing.",
        "parts": "",
        "target_x_id": "",
        "scheduled_at": (local(in_days(3))).strftime("%Y-%m-%dT%H:%M"),
        "campaign": "",
        "offer": "",
        "owner": "",
        "notes": "",
    }
    data.update(overrides)
    return data


class TestPostForm:
    def test_create_saves_a_draft_and_goes_to_its_page(self, client, owner, marketing, account):
        response = signed_in(client, owner).post(
            reverse("campaigns:post_create"),
            form_data(account, department=marketing.pk, owner=owner.pk),
        )

        post = ScheduledPost.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("campaigns:post_detail", args=[post.pk])
        assert (post.status, post.text, post.created_by) == ("draft", "A tip worth sharing.", owner)

    def test_over_280_is_a_field_error_with_422(self, client, owner, marketing, account):
        response = signed_in(client, owner).post(
            reverse("campaigns:post_create"),
            form_data(account, department=marketing.pk, owner=owner.pk, text="x" * 281),
            **HTMX,
        )

        assert response.status_code == 422
        assert "281" in response.context["form"].errors["text"][0]
        assert response.content.decode().lstrip().startswith("<form")
        assert not ScheduledPost.objects.exists()

    def test_time_in_the_past_is_a_field_error(self, client, owner, marketing, account):
        past = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        response = signed_in(client, owner).post(
            reverse("campaigns:post_create"),
            form_data(account, department=marketing.pk, owner=owner.pk, scheduled_at=past),
        )

        assert response.status_code == 422
        assert response.context["form"].errors["scheduled_at"] == ["Pick a time in the future."]

    def test_thread_parts_and_target_from_an_x_address(self, client, owner, marketing, account):
        signed_in(client, owner).post(
            reverse("campaigns:post_create"),
            form_data(
                account,
                department=marketing.pk,
                owner=owner.pk,
                kind="thread",
                parts="Second part\n---\nThird part",
            ),
        )
        post = ScheduledPost.objects.get()
        assert [p.text for p in post.parts.all()] == ["Second part", "Third part"]

        response = client.post(
            reverse("campaigns:post_create"),
            form_data(
                account,
                department=marketing.pk,
                owner=owner.pk,
                kind="reply",
                target_x_id="https://x.com/someone/status/1861234567890123456?s=20",
            ),
        )
        assert response.status_code == 302
        assert ScheduledPost.objects.get(kind="reply").target_x_id == 1861234567890123456

    def test_colleague_cannot_post_for_marketing(self, client, colleague, marketing, account):
        response = signed_in(client, colleague).post(
            reverse("campaigns:post_create"),
            form_data(account, department=marketing.pk, owner=colleague.pk),
        )
        # Marketing is not among the colleague's choices.
        assert response.status_code == 422
        assert "department" in response.context["form"].errors
        assert not ScheduledPost.objects.exists()

    def test_viewer_cannot_open_the_form(self, client, viewer):
        assert signed_in(client, viewer).get(reverse("campaigns:post_create")).status_code == 403

    def test_edit_sends_an_approved_post_back_into_review(
        self, client, owner, writer, make_draft, account
    ):
        post = make_draft(writer)
        post = services.post_approve(
            actor=owner, post=services.post_submit(actor=writer, post=post)
        )
        assert post.status == Status.SCHEDULED
        data = form_data(
            account,
            owner=writer.pk,
            text="New words",
            scheduled_at=local(post.scheduled_at).strftime("%Y-%m-%dT%H:%M"),
        )
        data.pop("department")

        response = signed_in(client, writer).post(
            reverse("campaigns:post_edit", args=[post.pk]), data
        )

        assert response.status_code == 302
        post.refresh_from_db()
        assert post.status == Status.IN_REVIEW and post.text == "New words"
        assert post.review_round == 2

    def test_colleague_cannot_edit(self, client, colleague, post):
        response = signed_in(client, colleague).get(reverse("campaigns:post_edit", args=[post.pk]))
        assert response.status_code == 403

    def test_live_counter_counts_as_x_does(self, client, owner):
        response = signed_in(client, owner).post(
            reverse("campaigns:post_text_count"),
            {"text": "日本 https://example.com/very/long/path 😀", "parts": "a\n---\n" + "b" * 281},
            **HTMX,
        )

        html = response.content.decode()
        assert "Part 1: <strong>31</strong> / 280" in html  # 4 + 1 + 23 + 1 + 2
        assert "Part 2: <strong>1</strong>" in html
        assert "Part 3: <strong>281</strong>" in html and "1 too many" in html

    def test_counter_on_the_form(self, client, owner):
        html = signed_in(client, owner).get(reverse("campaigns:post_create")).content.decode()
        assert reverse("campaigns:post_text_count") in html


# --- the post page --------------------------------------------------------------------


class TestPostPage:
    def test_history_and_approvals_needed(self, client, owner, writer, make_draft):
        post = services.post_submit(actor=writer, post=make_draft(writer))

        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )

        assert "Created" in html and "Submitted for review" in html
        assert "Approve for Marketing" in html
        assert "Reject…" in html

    def test_author_sees_why_they_cannot_approve(self, client, owner, make_draft):
        post = services.post_submit(actor=owner, post=make_draft(owner))
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert "Approve for Marketing" not in html
        assert "You cannot approve your own post" in html

    def test_approve_button(self, client, owner, writer, make_draft):
        post = services.post_submit(actor=writer, post=make_draft(writer))
        response = signed_in(client, owner).post(
            reverse("campaigns:post_approve", args=[post.pk]), {"department": "marketing"}
        )
        assert response.status_code == 302
        post.refresh_from_db()
        assert post.status == Status.SCHEDULED

    def test_self_approval_shows_the_error_with_422(self, client, owner, make_draft):
        post = services.post_submit(actor=owner, post=make_draft(owner))
        response = signed_in(client, owner).post(reverse("campaigns:post_approve", args=[post.pk]))

        assert response.status_code == 422
        assert (
            "You cannot approve your own post: Marketing requires another person&#x27;s approval"
            in response.content.decode()
        )

    def test_legal_lead_approves_offer_post_marketing_lead_gets_403(
        self, client, owner, writer, legal_lead, offer_rule, make_draft
    ):
        post = services.post_submit(actor=writer, post=make_draft(writer, category="offer"))
        assert (
            signed_in(client, owner)
            .post(reverse("campaigns:post_approve", args=[post.pk]))
            .status_code
            == 403
        )
        html = (
            signed_in(client, legal_lead)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert "Approve for Legal" in html
        assert client.post(reverse("campaigns:post_approve", args=[post.pk])).status_code == 302

    def test_reject_needs_a_reason(self, client, owner, writer, make_draft):
        post = services.post_submit(actor=writer, post=make_draft(writer))
        response = signed_in(client, owner).post(
            reverse("campaigns:post_reject", args=[post.pk]), {"reason": ""}
        )

        assert response.status_code == 422
        assert response.context["reject_form"].errors["reason"] == [
            "Say why, so the author can fix it."
        ]

        response = client.post(
            reverse("campaigns:post_reject", args=[post.pk]), {"reason": "Typo in line 1"}
        )
        assert response.status_code == 302
        html = (
            signed_in(client, writer)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert "Typo in line 1" in html and "Rejected" in html

    def test_submit_incomplete_shows_what_is_missing(self, client, owner, make_draft):
        post = make_draft(owner, scheduled_at=None)
        response = signed_in(client, owner).post(reverse("campaigns:post_submit", args=[post.pk]))

        assert response.status_code == 422
        assert "Pick when the post goes out." in response.content.decode()

    def test_colleague_cannot_submit_or_unschedule(self, client, colleague, post):
        client = signed_in(client, colleague)
        assert client.post(reverse("campaigns:post_submit", args=[post.pk])).status_code == 403
        assert client.post(reverse("campaigns:post_unschedule", args=[post.pk])).status_code == 403

    def test_failed_post_shows_error_and_retry(self, client, owner, colleague, post):
        ScheduledPost.objects.filter(pk=post.pk).update(
            status=Status.FAILED, error="403 Forbidden: duplicate content"
        )
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert "403 Forbidden: duplicate content" in html
        assert reverse("campaigns:post_retry", args=[post.pk]) in html

        html = (
            signed_in(client, colleague)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert reverse("campaigns:post_retry", args=[post.pk]) not in html

    def test_retry_puts_a_failed_post_back_on_the_schedule(self, client, owner, colleague, post):
        ScheduledPost.objects.filter(pk=post.pk).update(status=Status.FAILED, error="boom")
        assert (
            signed_in(client, colleague)
            .post(reverse("campaigns:post_retry", args=[post.pk]))
            .status_code
            == 403
        )

        response = signed_in(client, owner).post(reverse("campaigns:post_retry", args=[post.pk]))

        assert response.status_code == 302
        post.refresh_from_db()
        assert post.status == Status.SCHEDULED and post.error == ""

    def test_retry_of_a_post_that_did_not_fail_is_a_422(self, client, owner, post):
        response = signed_in(client, owner).post(reverse("campaigns:post_retry", args=[post.pk]))
        assert response.status_code == 422

    def test_send_now_makes_a_scheduled_post_due_at_once(
        self, client, owner, colleague, admin_user, post
    ):
        later = timezone.now() + dt.timedelta(days=2)
        ScheduledPost.objects.filter(pk=post.pk).update(status=Status.SCHEDULED, scheduled_at=later)
        url = reverse("campaigns:post_send_now", args=[post.pk])
        detail = reverse("campaigns:post_detail", args=[post.pk])
        assert url in signed_in(client, owner).get(detail).content.decode()
        assert url not in signed_in(client, colleague).get(detail).content.decode()
        assert signed_in(client, colleague).post(url).status_code == 403

        response = signed_in(client, admin_user).post(url)

        assert response.status_code == 302
        post.refresh_from_db()
        assert post.status == Status.SCHEDULED and post.scheduled_at <= timezone.now()
        assert post.events.filter(action="scheduled", note="Send now").exists()

    def test_send_now_of_a_draft_is_a_422(self, client, owner, post):
        response = signed_in(client, owner).post(reverse("campaigns:post_send_now", args=[post.pk]))
        assert response.status_code == 422

    def test_published_post_links_to_x(self, client, owner, post):
        ScheduledPost.objects.filter(pk=post.pk).update(
            status=Status.PUBLISHED, x_post_id=1861234567890123456, published_at=timezone.now()
        )
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:post_detail", args=[post.pk]))
            .content.decode()
        )
        assert f"https://x.com/{post.account.username}/status/1861234567890123456" in html
        assert reverse("campaigns:post_edit", args=[post.pk]) not in html

    def test_unknown_post_is_404(self, client, owner):
        assert (
            signed_in(client, owner).get(reverse("campaigns:post_detail", args=[999])).status_code
            == 404
        )


class TestFeedButton:
    def test_lead_creates_and_rotates_member_sees_colleague_does_not(
        self, client, owner, writer, colleague, marketing
    ):
        page = reverse("campaigns:calendar") + "?department=marketing"
        html = signed_in(client, owner).get(page).content.decode()
        assert "Create the feed" in html

        response = client.post(
            reverse("campaigns:calendar_feed_manage"), {"department": "marketing"}
        )
        assert response.status_code == 302
        feed = marketing.calendar_feed
        assert feed.token in client.get(page).content.decode()

        client.post(reverse("campaigns:calendar_feed_manage"), {"department": "marketing"})
        feed.refresh_from_db()
        assert feed.token in client.get(page).content.decode()

        html = signed_in(client, writer).get(page).content.decode()
        assert feed.token in html and "New address" not in html
        html = signed_in(client, colleague).get(page).content.decode()
        assert feed.token not in html
        assert (
            client.post(
                reverse("campaigns:calendar_feed_manage"), {"department": "marketing"}
            ).status_code
            == 403
        )


class TestCycleTimeCard:
    def test_list_page_shows_median_cycle_time_per_department(
        self, client, owner, writer, make_draft
    ):
        post = services.post_approve(
            actor=owner, post=services.post_submit(actor=writer, post=make_draft(writer))
        )
        ScheduledPost.objects.filter(pk=post.pk).update(
            submitted_at=post.approved_at - dt.timedelta(hours=3, minutes=20)
        )

        html = signed_in(client, owner).get(reverse("campaigns:post_list")).content.decode()

        assert "Approval cycle time" in html
        assert "median 3 h 20 min" in html and "1 post" in html

    def test_empty_week_says_what_to_do(self, client, owner):
        html = (
            signed_in(client, owner)
            .get(reverse("campaigns:calendar"), {"week": "2030-01-07"})
            .content.decode()
        )
        assert "Nothing planned this week" in html and "New recurring slot" in html


def test_query_count_does_not_grow_with_posts(client, owner, writer, make_draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(client, owner)
    at = in_days(1)
    urls = [
        f"{reverse('campaigns:calendar')}?week={week_of(at)}",
        f"{reverse('campaigns:calendar_month')}?month={local(at):%Y-%m}",
        reverse("campaigns:post_list"),
    ]

    def add(n):
        for _ in range(n):
            post = make_draft(writer, kind="thread", parts=["more"], scheduled_at=at)
            services.post_approve(actor=owner, post=services.post_submit(actor=writer, post=post))

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    add(1)
    few = counts()
    add(8)
    assert counts() == few
