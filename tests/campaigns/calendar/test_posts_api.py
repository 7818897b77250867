"""/api/v1/scheduled-posts/: list with cursor pagination and the calendar's filters,
retrieve, create, partial update, and the submit/approve/reject/publish actions — the
pages' rules: 400 with field errors (over 280, time in the past, self-approval), 403 for
what the caller may not do; with the owner, a colleague and an admin."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from campaigns.calendar import services
from campaigns.models import ScheduledPost
from tests.campaigns.helpers import client_for, in_days

pytestmark = pytest.mark.django_db

URL = "/api/v1/scheduled-posts/"
Status = ScheduledPost.Status


def payload(account, **overrides):
    data = {
        "department": "marketing",
        "account": account.pk,
        "category": "tips",
        "text": "Tip: schedule a week ahead. https://example.com/tips",
        "scheduled_at": in_days(2).isoformat(),
    }
    data.update(overrides)
    return data


def detail(post, action=""):
    return f"{URL}{post.pk}/" + (f"{action}/" if action else "")


class TestRead:
    def test_anonymous_is_refused(self, db):
        assert APIClient().get(URL).status_code == 401

    @pytest.mark.parametrize("who", ["owner", "colleague", "admin_user"])
    def test_every_member_reads_every_department(self, request, who, owner, make_draft):
        post = make_draft(owner)
        client = client_for(request.getfixturevalue(who))

        listing = client.get(URL)
        assert listing.status_code == 200
        assert [row["id"] for row in listing.json()["results"]] == [post.pk]
        body = client.get(detail(post)).json()
        assert body["department"]["slug"] == "marketing"
        assert body["status"] == "draft"
        assert body["weighted_length"] == 38
        assert body["approvals"] == [
            {
                "department": "marketing",
                "approved": False,
                "approved_by": None,
                "approved_at": None,
                "allow_self_approval": False,
            }
        ]
        assert [event["action"] for event in body["history"]] == ["created"]

    def test_cursor_pagination(self, owner, make_draft):
        for n in range(5):
            make_draft(owner, text=f"Post {n}")
        client = client_for(owner)

        first = client.get(URL, {"page_size": 2}).json()
        second = client.get(first["next"]).json()

        assert len(first["results"]) == 2 and len(second["results"]) == 2
        assert "cursor=" in first["next"]
        assert {r["id"] for r in first["results"]}.isdisjoint(r["id"] for r in second["results"])

    def test_filters_are_the_pages_filters(self, owner, colleague, sales, make_draft):
        make_draft(owner, text="Marketing tip")
        make_draft(colleague, department=sales, text="Sales offer", category="offer")
        client = client_for(owner)

        def texts(**params):
            return [row["text"] for row in client.get(URL, params).json()["results"]]

        assert texts(department="sales") == ["Sales offer"]
        assert texts(category="tips") == ["Marketing tip"]
        assert texts(status="scheduled") == []
        assert sorted(texts(status="draft")) == ["Marketing tip", "Sales offer"]
        after = (in_days(1)).isoformat()
        assert len(texts(scheduled_at_after=after)) == 2
        assert client.get(URL, {"department": "nope"}).status_code == 400

    def test_x_ids_are_strings(self, owner, make_draft):
        post = make_draft(owner, kind="reply", target_x_id=1861234567890123456)
        assert client_for(owner).get(detail(post)).json()["target_x_id"] == "1861234567890123456"


class TestCreateAndUpdate:
    def test_create(self, owner, account):
        response = client_for(owner).post(URL, payload(account), format="json")

        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["status"] == "draft" and body["owner"] == owner.username
        assert ScheduledPost.objects.get().created_by == owner

    def test_over_280_is_400_with_the_field(self, owner, account):
        response = client_for(owner).post(URL, payload(account, text="x" * 300), format="json")

        assert response.status_code == 400
        assert "300" in response.json()["text"][0]
        assert not ScheduledPost.objects.exists()

    def test_time_in_the_past_is_400(self, owner, account):
        past = (in_days(-1)).isoformat()
        response = client_for(owner).post(URL, payload(account, scheduled_at=past), format="json")

        assert response.status_code == 400
        assert response.json() == {"scheduled_at": ["Pick a time in the future."]}

    def test_bad_shapes_are_400(self, owner, account):
        client = client_for(owner)
        response = client.post(
            URL,
            {**payload(account, category="gossip", target_x_id="abc"), "account": 999},
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()) >= {"category", "target_x_id", "account"}

        response = client.post(URL, payload(account, kind="essay"), format="json")
        assert response.status_code == 400
        assert "kind" in response.json()

    def test_thread_with_parts(self, owner, account):
        response = client_for(owner).post(
            URL, payload(account, kind="thread", parts=["Two", "Three"]), format="json"
        )
        assert response.status_code == 201
        assert response.json()["parts"] == ["Two", "Three"]

    def test_colleague_gets_403_for_another_department(self, colleague, marketing, account):
        response = client_for(colleague).post(URL, payload(account), format="json")

        assert response.status_code == 403
        assert not ScheduledPost.objects.exists()

    def test_viewer_gets_403(self, viewer, marketing, account):
        assert client_for(viewer).post(URL, payload(account), format="json").status_code == 403

    def test_admin_creates_for_any_department(self, admin_user, marketing, account):
        response = client_for(admin_user).post(URL, payload(account), format="json")
        assert response.status_code == 201

    def test_partial_update(self, owner, colleague, admin_user, make_draft):
        post = make_draft(owner)

        response = client_for(owner).patch(detail(post), {"text": "Shorter."}, format="json")
        assert response.status_code == 200
        assert response.json()["text"] == "Shorter."

        response = client_for(owner).patch(detail(post), {"text": "日" * 141}, format="json")
        assert response.status_code == 400 and "text" in response.json()

        response = client_for(colleague).patch(detail(post), {"notes": "Mine"}, format="json")
        assert response.status_code == 403

        response = client_for(admin_user).patch(detail(post), {"notes": "ok"}, format="json")
        assert response.status_code == 200

    def test_no_put_and_no_delete(self, owner, make_draft):
        post = make_draft(owner)
        client = client_for(owner)
        assert client.put(detail(post), {}, format="json").status_code == 405
        assert client.delete(detail(post)).status_code == 405


class TestWorkflow:
    def test_submit_approve_schedules(self, owner, writer, make_draft):
        post = make_draft(writer, text="See https://example.com/spring")

        response = client_for(writer).post(detail(post, "submit"))
        assert response.status_code == 200 and response.json()["status"] == "in_review"
        assert response.json()["review_round"] == 1

        response = client_for(owner).post(detail(post, "approve"), {}, format="json")

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "scheduled"
        assert body["approvals"][0]["approved_by"] == owner.username
        assert "/l/" in body["text"]

    def test_submit_incomplete_is_400(self, writer, make_draft):
        post = make_draft(writer, kind="reply")
        response = client_for(writer).post(detail(post, "submit"))
        assert response.status_code == 400
        assert "target_x_id" in response.json()

    def test_self_approval_is_400(self, owner, make_draft):
        post = services.post_submit(actor=owner, post=make_draft(owner))

        response = client_for(owner).post(detail(post, "approve"), {}, format="json")

        assert response.status_code == 400
        assert response.json() == {
            "non_field_errors": [
                "You cannot approve your own post: Marketing requires another person's approval."
            ]
        }

    def test_approval_by_another_department_is_403(self, colleague, writer, make_draft):
        post = services.post_submit(actor=writer, post=make_draft(writer))
        response = client_for(colleague).post(detail(post, "approve"), {}, format="json")
        assert response.status_code == 403

    def test_legal_approves_offers_naming_its_department(
        self, owner, writer, legal_lead, offer_rule, make_draft
    ):
        post = services.post_submit(actor=writer, post=make_draft(writer, category="offer"))

        assert client_for(owner).post(detail(post, "approve"), {}, format="json").status_code == 403
        response = client_for(legal_lead).post(
            detail(post, "approve"), {"department": "legal"}, format="json"
        )

        assert response.status_code == 200
        assert response.json()["approvals"][0]["department"] == "legal"
        assert response.json()["status"] == "scheduled"

    def test_reject_needs_a_reason(self, owner, writer, colleague, make_draft):
        post = services.post_submit(actor=writer, post=make_draft(writer))
        client = client_for(owner)

        response = client.post(detail(post, "reject"), {"reason": ""}, format="json")
        assert response.status_code == 400 and "reason" in response.json()
        assert client.post(detail(post, "reject"), {}, format="json").status_code == 400

        forbidden = client_for(colleague).post(detail(post, "reject"), {"reason": "No"})
        assert forbidden.status_code == 403

        response = client.post(detail(post, "reject"), {"reason": "Off brand"}, format="json")
        assert response.status_code == 200
        assert response.json()["rejection_reason"] == "Off brand"
        assert response.json()["status"] == "rejected"

    def test_publish_now(self, owner, writer, colleague, make_draft):
        post = make_draft(writer)
        assert client_for(writer).post(detail(post, "publish")).status_code == 400  # a draft

        services.post_approve(actor=owner, post=services.post_submit(actor=writer, post=post))
        assert client_for(colleague).post(detail(post, "publish")).status_code == 403

        response = client_for(writer).post(detail(post, "publish"))

        assert response.status_code == 200
        assert response.json()["status"] == "scheduled"
        post.refresh_from_db()
        assert post.scheduled_at <= dt.datetime.now(dt.UTC)

    def test_unknown_post_is_404(self, owner):
        assert client_for(owner).post(f"{URL}999/approve/").status_code == 404


def test_list_query_count_does_not_grow_with_posts(owner, writer, make_draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(owner)

    def add(n):
        for _ in range(n):
            post = make_draft(writer, kind="thread", parts=["more"])
            services.post_approve(actor=owner, post=services.post_submit(actor=writer, post=post))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    add(1)
    few = count()
    add(8)
    assert count() == few
