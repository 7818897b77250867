"""The review API with three users: Marketing's representative, a lead of Sales, an admin."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from metrics.reviews import services
from metrics.reviews.models import ActionItem, Commentary, Decision, Review
from tests.metrics.reviews.conftest import MONDAY, SUNDAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(week, monkeypatch):
    from metrics.reviews import selectors

    monkeypatch.setattr(selectors, "organisation_today", lambda: SUNDAY)
    review, _ = services.review_open(week_start=MONDAY)
    return review


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_everyone_lists_and_retrieves(review, representative, colleague, admin_user, week):
    for user in (representative, colleague, admin_user):
        api = _api(user)
        listed = api.get("/api/v1/reviews/").json()
        assert [r["week"] for r in listed["results"]] == ["2026-W47"]
        got = api.get("/api/v1/reviews/2026-W47/").json()
        kpis = {k["id"]: k for d in got["content"]["departments"] for k in d["kpis"]}
        assert kpis[week["clicks_kpi"].pk]["actual"] == "12"
    assert APIClient().get("/api/v1/reviews/").status_code in (401, 403)
    assert _api(colleague).get("/api/v1/reviews/2026-W48/").status_code == 404


def test_commentary_and_attendance_by_the_representative_only(
    review, representative, colleague, week, marketing
):
    body = {"kpi": week["clicks_kpi"].pk, "text": "Behind: the ad was paused."}
    assert _api(colleague).post("/api/v1/reviews/2026-W47/commentary/", body).status_code == 403
    answer = _api(representative).post("/api/v1/reviews/2026-W47/commentary/", body)
    assert answer.status_code == 200
    assert Commentary.objects.get().text == body["text"]
    attendance = {"department": "marketing", "user": representative.username, "present": True}
    assert (
        _api(colleague).post("/api/v1/reviews/2026-W47/attendance/", attendance).status_code == 403
    )
    assert (
        _api(representative).post("/api/v1/reviews/2026-W47/attendance/", attendance).status_code
        == 200
    )
    bad = _api(representative).post(
        "/api/v1/reviews/2026-W47/attendance/", {"department": "nope", "present": "maybe"}
    )
    assert bad.status_code == 400 and {"department", "user", "present"} <= set(bad.json())


def test_close_needs_an_admin_and_commentary_then_returns_the_frozen_record(
    review, representative, colleague, admin_user, week
):
    assert _api(representative).post("/api/v1/reviews/2026-W47/close/").status_code == 403
    refused = _api(admin_user).post("/api/v1/reviews/2026-W47/close/")
    assert refused.status_code == 400 and "Link clicks" in json.dumps(refused.json())
    _api(representative).post(
        "/api/v1/reviews/2026-W47/commentary/", {"kpi": week["clicks_kpi"].pk, "text": "Paused"}
    )
    closed = _api(admin_user).post("/api/v1/reviews/2026-W47/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    stored = Review.objects.get()
    for user in (representative, colleague, admin_user):
        got = _api(user).get("/api/v1/reviews/2026-W47/").json()
        assert got["content"] == json.loads(stored.frozen_json)
        assert got["frozen_sha256"] == stored.frozen_sha256
    assert (
        _api(colleague).post("/api/v1/reviews/2026-W47/reopen/", {"reason": "x"}).status_code == 403
    )
    assert _api(admin_user).post("/api/v1/reviews/2026-W47/reopen/", {}).status_code == 400
    reopened = _api(admin_user).post("/api/v1/reviews/2026-W47/reopen/", {"reason": "Typo"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_action_items_crud_under_the_rules(review, representative, colleague, admin_user):
    body = {
        "review": "2026-W47",
        "department": "marketing",
        "title": "Relaunch",
        "due": "2026-11-25",
    }
    assert _api(colleague).post("/api/v1/review-action-items/", body).status_code == 403
    made = _api(representative).post("/api/v1/review-action-items/", body)
    assert made.status_code == 201 and made.json()["raised_in"] == "2026-W47"
    pk = made.json()["id"]
    assert _api(colleague).get(f"/api/v1/review-action-items/{pk}/").status_code == 200
    assert (
        _api(colleague).patch(f"/api/v1/review-action-items/{pk}/", {"status": "done"}).status_code
        == 403
    )
    done = _api(representative).patch(f"/api/v1/review-action-items/{pk}/", {"status": "done"})
    assert done.status_code == 200 and done.json()["finished_on"]
    bad = _api(representative).post(
        "/api/v1/review-action-items/",
        {"review": "2026-W99", "department": "marketing", "title": "", "due": "soon"},
    )
    assert bad.status_code == 400 and {"review", "title", "due"} <= set(bad.json())
    assert _api(admin_user).delete(f"/api/v1/review-action-items/{pk}/").status_code == 204
    assert not ActionItem.objects.exists()


def test_decisions_are_append_only(review, representative, colleague):
    made = _api(representative).post(
        "/api/v1/review-decisions/",
        {"review": "2026-W47", "text": "Post daily", "decided_by": "Committee"},
    )
    assert made.status_code == 201
    pk = made.json()["id"]
    assert _api(representative).patch(f"/api/v1/review-decisions/{pk}/", {}).status_code == 405
    assert _api(representative).delete(f"/api/v1/review-decisions/{pk}/").status_code == 405
    assert (
        _api(colleague)
        .post(
            "/api/v1/review-decisions/",
            {"review": "2026-W47", "text": "x", "decided_by": "y", "department": "marketing"},
        )
        .status_code
        == 403
    )
    fix = _api(representative).post(
        "/api/v1/review-decisions/",
        {
            "review": "2026-W47",
            "text": "Post twice a day",
            "decided_by": "Committee",
            "supersedes": pk,
        },
    )
    assert fix.status_code == 201 and fix.json()["supersedes"] == pk
    assert Decision.objects.count() == 2
