"""A repost on the calendar: no text of its own, only the X post it reposts. The form,
the API and the services accept one with empty text and a target, and without a target
say so on the target field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar import services
from campaigns.models import ScheduledPost
from tests.campaigns.helpers import client_for, in_days

pytestmark = pytest.mark.django_db

TARGET = 1_861_234_567_890_123_456
HTMX = {"HTTP_HX_REQUEST": "true"}


def form_data(account, department, owner, **overrides):
    data = {
        "department": department.pk,
        "account": account.pk,
        "kind": "repost",
        "category": "industry",
        "text": "",
        "parts": "",
        "target_x_id": f"https://x.com/someone/status/{TARGET}",
        "scheduled_at": timezone.localtime(in_days(3)).strftime("%Y-%m-%dT%H:%M"),
        "campaign": "",
        "offer": "",
        "owner": owner.pk,
        "notes": "",
    }
    data.update(overrides)
    return data


def api_payload(account, **overrides):
    data = {
        "department": "marketing",
        "account": account.pk,
        "kind": "repost",
        "category": "industry",
        "text": "",
        "target_x_id": str(TARGET),
        "scheduled_at": in_days(2).isoformat(),
    }
    data.update(overrides)
    return data


def test_the_form_saves_a_repost_with_no_text(client, owner, marketing, account):
    client.force_login(owner)
    response = client.post(reverse("campaigns:post_create"), form_data(account, marketing, owner))

    assert response.status_code == 302
    post = ScheduledPost.objects.get()
    assert (post.kind, post.text, post.target_x_id) == ("repost", "", TARGET)


def test_the_form_without_a_target_is_a_field_error(client, owner, marketing, account):
    client.force_login(owner)
    response = client.post(
        reverse("campaigns:post_create"),
        form_data(account, marketing, owner, target_x_id=""),
        **HTMX,
    )

    assert response.status_code == 422
    assert response.context["form"].errors["target_x_id"] == [services.REPOST_TARGET_NEEDED]
    assert services.REPOST_TARGET_NEEDED in response.content.decode()
    assert not ScheduledPost.objects.exists()


def test_the_api_creates_and_submits_a_repost_with_no_text(writer, account):
    response = client_for(writer).post("/api/v1/scheduled-posts/", api_payload(account))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["text"], body["target_x_id"]) == ("repost", "", str(TARGET))
    submitted = client_for(writer).post(f"/api/v1/scheduled-posts/{body['id']}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"


def test_the_api_without_a_target_is_a_400_on_the_target(writer, account):
    response = client_for(writer).post(
        "/api/v1/scheduled-posts/", api_payload(account, target_x_id=None)
    )

    assert response.status_code == 400
    assert response.json() == {"target_x_id": [services.REPOST_TARGET_NEEDED]}


def test_a_post_turned_into_a_repost_needs_a_target(writer, make_draft):
    post = make_draft(writer, text="")
    with pytest.raises(ValidationError) as exc:
        services.post_update(actor=writer, post=post, kind="repost")
    assert exc.value.message_dict == {"target_x_id": [services.REPOST_TARGET_NEEDED]}

    post = services.post_update(actor=writer, post=post, kind="repost", target_x_id=TARGET)
    assert services.post_submit(actor=writer, post=post).status == "in_review"


def test_a_repost_with_words_is_refused_at_submission(writer, make_draft):
    post = make_draft(writer, kind="repost", target_x_id=TARGET, text="Look at this")
    with pytest.raises(ValidationError) as exc:
        services.post_submit(actor=writer, post=post)
    assert "make it a quote" in exc.value.message_dict["text"][0]
