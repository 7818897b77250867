"""The review pages with three users: Marketing's representative, a lead of Sales (another
department) and an admin. Everyone reads; representatives write for their department;
admins close and reopen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from metrics.reviews import services
from metrics.reviews.models import ActionItem, Attendance, Commentary, Decision, Review
from tests.metrics.reviews.conftest import MONDAY, SUNDAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(week, monkeypatch):
    # The pages count "today" in the organisation's zone; hold it at the week's Sunday.
    from metrics.reviews import selectors

    monkeypatch.setattr(selectors, "organisation_today", lambda: SUNDAY)
    review, _ = services.review_open(week_start=MONDAY)
    return review


def _url(review, name="detail", **kwargs):
    return reverse(f"reviews:{name}", kwargs={"week": review.week, **kwargs})


def test_everyone_in_the_organisation_reads_the_review(
    client, review, representative, colleague, admin_user, week
):
    for user in (representative, colleague, admin_user):
        client.force_login(user)
        page = client.get(_url(review))
        assert page.status_code == 200
        text = page.content.decode()
        assert "Steering review 2026-W47" in text
        assert "Link clicks" in text and "Demo calls" in text and "Winter sale" in text
        assert "<svg" in text  # the six weeks, drawn on the server
        assert f'href="/campaigns/{week["campaign"].pk}/"' in text  # the rows behind
        assert f'href="/calendar/posts/{week["post"].pk}/"' in text
    client.logout()
    assert client.get(_url(review)).status_code == 302  # to sign-in


def test_who_sees_which_forms(client, review, representative, colleague, admin_user, week):
    kpi = week["clicks_kpi"]
    client.force_login(representative)
    text = client.get(_url(review)).content.decode()
    assert f'action="{_url(review, "commentary", kpi_id=kpi.pk)}"' in text
    assert 'id="close-review"' not in text
    client.force_login(colleague)
    text = client.get(_url(review)).content.decode()
    assert f'action="{_url(review, "commentary", kpi_id=kpi.pk)}"' not in text
    client.force_login(admin_user)
    assert 'id="close-review"' in client.get(_url(review)).content.decode()


def test_a_representative_records_commentary_attendance_items_and_decisions(
    client, review, representative, week, marketing
):
    client.force_login(representative)
    kpi = week["clicks_kpi"]
    answer = client.post(_url(review, "commentary", kpi_id=kpi.pk), {"text": "Ad paused"})
    assert answer.status_code == 302 and answer["Location"].endswith(f"#kpi-{kpi.pk}")
    assert Commentary.objects.get(review=review, kpi=kpi).text == "Ad paused"
    client.post(
        _url(review, "attendance", department_id=marketing.pk),
        {f"present_{representative.pk}": "on"},
    )
    assert Attendance.objects.get(review=review, user=representative).present
    client.post(
        _url(review, "item_add"),
        {
            "title": "Restart the ad",
            "department": marketing.pk,
            "owner": representative.pk,
            "due": "2026-11-25",
        },
    )
    assert ActionItem.objects.get().raised_in == review
    client.post(_url(review, "decision_add"), {"text": "Budget to X", "decided_by": "Committee"})
    assert Decision.objects.get().recorded_by == representative
    page = client.get(_url(review)).content.decode()
    assert "Restart the ad" in page and "Budget to X" in page


def test_another_departments_member_cannot_write(client, review, colleague, week, marketing):
    client.force_login(colleague)
    kpi = week["clicks_kpi"]
    assert client.post(_url(review, "commentary", kpi_id=kpi.pk), {"text": "x"}).status_code == 403
    assert (
        client.post(_url(review, "attendance", department_id=marketing.pk), {}).status_code == 403
    )
    answer = client.post(_url(review, "item_add"), {"title": "x", "department": marketing.pk})
    assert answer.status_code == 400  # Marketing is not among the departments offered
    assert not ActionItem.objects.exists()
    assert client.post(_url(review, "close")).status_code == 403
    assert not Commentary.objects.exists()


def test_bad_input_gets_field_errors_not_a_500(client, review, representative, marketing):
    client.force_login(representative)
    answer = client.post(
        _url(review, "item_add"),
        {"title": "", "department": "99999999999999999999", "due": "31-02-2026"},
    )
    assert answer.status_code == 400
    form = answer.context["item_form"]
    assert {"title", "department", "due"} <= set(form.errors)
    answer = client.post(_url(review, "decision_add"), {"text": "", "decided_by": ""})
    assert answer.status_code == 400 and "text" in answer.context["decision_form"].errors
    assert not Decision.objects.exists()


def test_closing_without_commentary_says_what_is_missing(client, review, admin_user):
    client.force_login(admin_user)
    answer = client.post(_url(review, "close"))
    assert answer.status_code == 400
    assert "Marketing: Link clicks" in answer.content.decode()
    assert Review.objects.get().status == Review.Status.OPEN


def test_an_admin_closes_then_the_record_is_downloadable_and_reopened_with_a_reason(
    client, review, admin_user, representative, colleague, week
):
    client.force_login(representative)
    client.post(_url(review, "commentary", kpi_id=week["clicks_kpi"].pk), {"text": "Paused"})
    client.force_login(admin_user)
    assert client.post(_url(review, "close")).status_code == 302
    review.refresh_from_db()
    assert review.is_closed
    for user in (representative, colleague, admin_user):
        client.force_login(user)
        record = client.get(_url(review, "record", kind="json"))
        assert record.status_code == 200 and record.content.decode() == review.frozen_json
        page = client.get(_url(review)).content.decode()
        assert review.frozen_sha256 in page
        assert 'action="' + _url(review, "commentary", kpi_id=week["clicks_kpi"].pk) not in page
    client.force_login(colleague)
    assert client.post(_url(review, "reopen"), {"reason": "x"}).status_code == 403
    client.force_login(admin_user)
    assert client.post(_url(review, "reopen"), {"reason": ""}).status_code == 400
    assert client.post(_url(review, "reopen"), {"reason": "Wrong target"}).status_code == 302
    review.refresh_from_db()
    assert not review.is_closed


def test_the_list_the_current_review_and_empty_states(client, admin_user, colleague, org):
    client.force_login(colleague)
    page = client.get(reverse("reviews:list"))
    assert "No review yet" in page.content.decode()
    assert client.get(reverse("reviews:current"))["Location"] == reverse("reviews:list")
    assert client.post(reverse("reviews:open")).status_code == 403
    client.force_login(admin_user)
    opened = client.post(reverse("reviews:open"))
    review = Review.objects.get()
    assert opened["Location"] == review.get_absolute_url()
    assert client.get(reverse("reviews:current"))["Location"] == review.get_absolute_url()
    assert client.get("/reviews/2026-W99/").status_code == 404
    assert "Steering review" in client.get(reverse("departments:home")).content.decode()


def test_an_open_reviews_pdf_link_says_what_to_install_when_pdfs_cannot_be_made(
    client, review, colleague, monkeypatch
):
    from metrics.reviews import pdf

    monkeypatch.setattr(pdf, "missing", lambda: pdf.INSTALL_HINT)
    client.force_login(colleague)
    page = client.get(_url(review)).content.decode()
    assert "libpango-1.0-0" in page and 'id="pdf-link"' not in page
    assert client.get(_url(review, "pdf")).status_code == 503


def test_a_week_that_does_not_exist_is_a_404(client, colleague, org):
    client.force_login(colleague)
    assert client.get("/reviews/2026-W54/").status_code == 404  # no such ISO week
    assert client.get("/reviews/2026-W47/").status_code == 404  # not opened
