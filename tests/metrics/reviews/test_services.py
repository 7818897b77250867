"""The weekly review's services: opening once, what is recorded in the meeting, closing
(refused while an amber or red KPI lacks commentary) and what closing freezes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns.offers.models import Conversion
from departments import services as department_services
from metrics.reviews import pdf, selectors, services
from metrics.reviews.models import ActionItem, Decision, Review
from metrics.rollups import rebuild
from socialops.models import AuditEvent
from tests.metrics.reviews.conftest import MONDAY, START, SUNDAY, add_clicks, at

pytestmark = pytest.mark.django_db

NEXT_MONDAY = MONDAY + dt.timedelta(days=7)


def _kpi(content, kpi):
    return next(k for d in content["departments"] for k in d["kpis"] if k["id"] == kpi.pk)


def test_opening_a_week_twice_makes_one_review(week, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first, made = services.review_open(week_start=MONDAY + dt.timedelta(days=3))
        again, made_again = services.review_open(week_start=MONDAY)
    assert (made, made_again) == (True, False)
    assert first.pk == again.pk and first.week == "2026-W47" and first.week_start == MONDAY
    assert len(callbacks) == 1  # one opening digest queued
    assert Review.objects.count() == 1


def test_beat_opens_the_review_at_seven_on_monday_in_the_organisations_zone(week):
    # 06:59 in Madrid on Monday: not yet; 07:00: the review of the week.
    assert services.review_open_due(now=at(MONDAY, 6).replace(minute=59)) is None
    review = services.review_open_due(now=at(MONDAY, 7))
    assert review.week_start == MONDAY
    assert services.review_open_due(now=at(MONDAY, 9)).pk == review.pk


def test_the_snapshot_shows_every_department_its_kpis_and_highlights(week, marketing, sales):
    review, _ = services.review_open(week_start=MONDAY)
    content = selectors.review_snapshot(review=review, today=SUNDAY)
    names = [d["name"] for d in content["departments"]]
    assert names == ["Marketing", "Sales"]
    clicks = _kpi(content, week["clicks_kpi"])
    assert clicks["actual"] == "12" and clicks["target"] == "1000"
    assert clicks["rag"] == "red" and clicks["needs_commentary"]
    assert clicks["change"] is None  # no click at all a week before: no data yet, not 0
    assert clicks["change_text"] == "no data yet"
    assert [w for w, _ in clicks["spark"]][-1] == "2026-W47" and len(clicks["spark"]) == 6
    assert clicks["spark"][-1][1] == "12" and clicks["spark"][0][1] is None
    marketing_entry = content["departments"][0]
    assert marketing_entry["highlights"]["top_by_clicks"][0]["clicks"] == 12
    assert marketing_entry["highlights"]["campaigns"][0]["name"] == "Winter sale"
    # Sales has no representative marked: its lead stands in.
    assert [p["name"] for p in content["departments"][1]["representatives"]] == [
        week["sales_kpi"].goal.department.memberships.get(role="lead").user.display_name
    ]


def test_closing_is_refused_while_an_amber_or_red_kpi_lacks_commentary(
    week, admin_user, representative
):
    review, _ = services.review_open(week_start=MONDAY)
    with pytest.raises(ValidationError) as refused:
        services.review_close(actor=admin_user, review=review, today=SUNDAY)
    assert "Marketing: Link clicks" in refused.value.messages[0]
    review.refresh_from_db()
    assert review.status == Review.Status.OPEN and review.frozen_json == ""


def test_representatives_record_their_department_only(
    week, representative, colleague, admin_user, marketing, sales
):
    review, _ = services.review_open(week_start=MONDAY)
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Launch slipped."
    )
    services.attendance_record(
        actor=representative,
        review=review,
        department=marketing,
        user=representative,
        present=True,
    )
    with pytest.raises(PermissionDenied):
        services.commentary_save(
            actor=colleague, review=review, kpi=week["clicks_kpi"], text="Not mine"
        )
    with pytest.raises(PermissionDenied):
        services.action_item_create(
            actor=representative, review=review, department=sales, title="Call them"
        )
    with pytest.raises(PermissionDenied):
        services.review_close(actor=representative, review=review)
    with pytest.raises(ValidationError):  # not a representative of Marketing
        services.attendance_record(
            actor=admin_user, review=review, department=marketing, user=colleague, present=True
        )
    assert AuditEvent.objects.filter(object_type="metrics.commentary").count() == 1


def test_close_freezes_json_html_and_pdf_against_later_data(
    week, representative, admin_user, marketing
):
    """The acceptance test: close; then clicks and conversions land in that week, every
    rollup is rebuilt, the KPI's target is edited and the campaign deleted; the stored
    JSON, HTML and PDF stay byte for byte what was stored at close."""
    review, _ = services.review_open(week_start=MONDAY)
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Launch slipped."
    )
    services.action_item_create(
        actor=representative,
        review=review,
        department=marketing,
        title="Relaunch the ad",
        owner=representative,
        due=SUNDAY,
    )
    services.decision_record(
        actor=representative, review=review, text="Move budget to X", decided_by="Committee"
    )
    closed = services.review_close(actor=admin_user, review=review, today=SUNDAY)
    stored = Review.objects.get(pk=closed.pk)
    frozen = (stored.frozen_json, stored.frozen_html, bytes(stored.frozen_pdf or b""))
    assert frozen[2].startswith(b"%PDF") or pdf.missing()
    assert stored.frozen_sha256 == hashlib.sha256(stored.frozen_json.encode()).hexdigest()
    content = json.loads(stored.frozen_json)
    assert _kpi(content, week["clicks_kpi"])["actual"] == "12"
    assert content["closed_by"]["id"] == admin_user.pk
    assert content["definitions_version"] and "links" in content["sources_refreshed"]
    assert "Relaunch the ad" in stored.frozen_html and "Launch slipped." in stored.frozen_html

    add_clicks(week["link"], MONDAY + dt.timedelta(days=3), 9)
    Conversion.objects.create(
        kind="purchase",
        value=Decimal("50"),
        currency="EUR",
        occurred_at=at(MONDAY, 15),
        link=week["link"],
        campaign=week["campaign"],
    )
    rebuild(since=START)
    department_services.kpi_update(actor=admin_user, kpi=week["clicks_kpi"], target=Decimal("20"))
    week["clicks_kpi"].refresh_from_db()
    assert week["clicks_kpi"].target == Decimal("20")
    week["campaign"].delete()

    again = Review.objects.get(pk=closed.pk)
    assert (again.frozen_json, again.frozen_html, bytes(again.frozen_pdf or b"")) == frozen
    assert selectors.review_content(review=again) == content

    # The next review says what has been restated since.
    following, _ = services.review_open(week_start=NEXT_MONDAY)
    _, restated = selectors.restated_numbers(review=following)
    assert [(r.kpi, r.was, r.now) for r in restated] == [("Link clicks", "12", "21")]


def test_action_items_carry_over_until_done(week, representative, admin_user, marketing):
    review, _ = services.review_open(week_start=MONDAY)
    item = services.action_item_create(
        actor=representative,
        review=review,
        department=marketing,
        title="Fix the landing page",
        due=MONDAY + dt.timedelta(days=1),
    )
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Behind."
    )
    services.review_close(actor=admin_user, review=review, today=SUNDAY)
    following, _ = services.review_open(week_start=NEXT_MONDAY)
    shown = selectors.review_snapshot(review=following, today=NEXT_MONDAY)
    carried = [i for i in shown["action_items"] if i["id"] == item.pk]
    assert carried and carried[0]["raised_in"] == "2026-W47" and carried[0]["overdue"]
    services.action_item_update(actor=representative, item=item, status="done")
    item.refresh_from_db()
    assert item.status == ActionItem.Status.DONE and item.finished_on is not None
    # Still shown the week it was done; an item of a closed review cannot be deleted.
    with pytest.raises(ValidationError):
        services.action_item_delete(actor=representative, item=item)


def test_decisions_are_appended_and_superseded_once(week, representative):
    review, _ = services.review_open(week_start=MONDAY)
    first = services.decision_record(
        actor=representative, review=review, text="Post daily", decided_by="Committee"
    )
    second = services.decision_record(
        actor=representative,
        review=review,
        text="Post twice a day",
        decided_by="Committee",
        supersedes=first,
    )
    with pytest.raises(ValidationError) as refused:
        services.decision_record(
            actor=representative,
            review=review,
            text="Weekly",
            decided_by="Committee",
            supersedes=first,
        )
    assert "supersedes" in refused.value.message_dict
    with pytest.raises(ValidationError) as blank:
        services.decision_record(actor=representative, review=review, text=" ", decided_by="")
    assert set(blank.value.message_dict) == {"text", "decided_by"}
    content = selectors.review_snapshot(review=review, today=SUNDAY)
    assert [(d["id"], d["superseded_by"]) for d in content["decisions"]] == [
        (first.pk, second.pk),
        (second.pk, None),
    ]
    assert Decision.objects.count() == 2


def test_a_closed_review_takes_nothing_until_an_admin_reopens_it(
    week, representative, admin_user, marketing
):
    review, _ = services.review_open(week_start=MONDAY)
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Behind."
    )
    services.review_close(actor=admin_user, review=review, today=SUNDAY)
    with pytest.raises(ValidationError):
        services.commentary_save(
            actor=representative, review=review, kpi=week["clicks_kpi"], text="Later"
        )
    with pytest.raises(PermissionDenied):
        services.review_reopen(actor=representative, review=review, reason="typo")
    with pytest.raises(ValidationError) as blank:
        services.review_reopen(actor=admin_user, review=review, reason="  ")
    assert "reason" in blank.value.message_dict
    sha = Review.objects.get(pk=review.pk).frozen_sha256
    record = services.review_reopen(actor=admin_user, review=review, reason="Wrong target")
    review.refresh_from_db()
    assert review.status == Review.Status.OPEN and review.frozen_json == ""
    assert record.previous_sha256 == sha and record.previous_json


def test_an_open_reviews_figures_are_cached_a_minute_and_closing_counts_afresh(
    week, representative, admin_user, settings
):
    settings.REVIEW_NUMBERS_CACHE_SECONDS = 60
    review, _ = services.review_open(week_start=MONDAY)
    assert (
        _kpi(selectors.review_snapshot(review=review, today=SUNDAY), week["clicks_kpi"])["actual"]
        == "12"
    )
    add_clicks(week["link"], MONDAY + dt.timedelta(days=1), 3)
    rebuild(since=START)
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Read fresh"
    )
    cached = _kpi(selectors.review_snapshot(review=review, today=SUNDAY), week["clicks_kpi"])
    assert cached["actual"] == "12"  # the figures: from the cache
    assert cached["commentary"]["text"] == "Read fresh"  # what people record: never cached
    # An edited KPI is another key: counted again.
    department_services.kpi_update(actor=admin_user, kpi=week["clicks_kpi"], target=Decimal(999))
    edited = _kpi(selectors.review_snapshot(review=review, today=SUNDAY), week["clicks_kpi"])
    assert (edited["actual"], edited["target"]) == ("15", "999")
    add_clicks(week["link"], MONDAY + dt.timedelta(days=1), 2)
    rebuild(since=START)
    closed = services.review_close(actor=admin_user, review=review, today=SUNDAY)
    assert _kpi(json.loads(closed.frozen_json), week["clicks_kpi"])["actual"] == "17"
