"""The digest to representatives: when a review opens (what needs commentary, their open
action items) and when it closes (the link, the PDF attached); each sent once."""

from __future__ import annotations

import pytest

from metrics.reviews import pdf, services, tasks
from metrics.reviews.models import Review
from tests.metrics.reviews.conftest import MONDAY, SUNDAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(week, monkeypatch):
    from metrics.reviews import selectors

    monkeypatch.setattr(selectors, "organisation_today", lambda: SUNDAY)
    review, _ = services.review_open(week_start=MONDAY)
    return review


def test_the_opening_digest_goes_to_each_representative_once(
    review, representative, colleague, owner, mailoutbox, marketing
):
    services.action_item_create(
        actor=representative,
        review=review,
        department=marketing,
        title="Fix the landing page",
        owner=representative,
    )
    assert tasks.open_digest(review.pk) == 2  # Marketing's representative, Sales' lead
    assert tasks.open_digest(review.pk) == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted([representative.email, colleague.email])
    assert owner.email not in {m.to[0] for m in mailoutbox}  # a lead, but not representing
    mine = next(m for m in mailoutbox if m.to == [representative.email])
    assert mine.subject == "Steering review 2026-W47 is open"
    assert "Link clicks is red" in mine.body and "needs commentary" in mine.body
    assert "Fix the landing page" in mine.body and "/reviews/2026-W47/" in mine.body
    assert Review.objects.get().open_digest_sent_at is not None


def test_the_closing_digest_carries_the_pdf_once(
    review, representative, admin_user, mailoutbox, week
):
    assert tasks.close_digest(review.pk) == 0  # not closed yet: nothing to send
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Paused."
    )
    services.review_close(actor=admin_user, review=review, today=SUNDAY)
    assert tasks.close_digest(review.pk) == 2
    assert tasks.close_digest(review.pk) == 0
    message = mailoutbox[0]
    assert message.subject == "Steering review 2026-W47 is closed"
    name, content, kind = message.attachments[0]
    if pdf.missing():
        assert kind == "application/json"
    else:
        assert (name, kind) == ("review-2026-W47.pdf", "application/pdf")
        assert content == bytes(Review.objects.get().frozen_pdf)


def test_closing_queues_the_digest_on_commit(
    review, representative, admin_user, week, django_capture_on_commit_callbacks
):
    services.commentary_save(
        actor=representative, review=review, kpi=week["clicks_kpi"], text="Paused."
    )
    with django_capture_on_commit_callbacks() as callbacks:
        services.review_close(actor=admin_user, review=review, today=SUNDAY)
    assert len(callbacks) == 1
