"""The demo's steering committee: last week's review closed, this week's open, with
action items carried over and a decision that supersedes last week's."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from campaigns.demo import demo_campaigns_load
from departments.demo import demo_load, demo_today
from metrics.reviews.models import ActionItem, Decision, Review
from metrics.rollups import rebuild
from socialops.models import User
from tests.factories import XAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(organisation):
    demo_load(today=demo_today())
    demo_campaigns_load(account=XAccountFactory())
    rebuild()
    call_command("demo_reviews")
    return Review.objects.order_by("week_start")


def test_last_weeks_review_is_closed_and_this_weeks_open(demo):
    last, current = list(demo)
    assert last.is_closed and last.frozen_sha256 and not current.is_closed
    frozen = json.loads(last.frozen_json)
    # Every amber or red KPI was commented before closing.
    assert not [k for d in frozen["departments"] for k in d["kpis"] if k["needs_commentary"]]
    assert [d["name"] for d in frozen["departments"] if not d["represented"]] == ["Legal"]
    assert ActionItem.objects.filter(status="open", raised_in=last).count() == 2
    superseding = Decision.objects.get(review=current)
    assert superseding.supersedes.review == last
    call_command("demo_reviews")  # twice: nothing more
    assert Review.objects.count() == 2


@pytest.mark.parametrize("username", ["maria", "sofia", "admin"])
def test_the_demo_reviews_render(client, demo, username):
    client.force_login(User.objects.get(username=username))
    last, current = list(demo)
    assert client.get("/reviews/").status_code == 200
    page = client.get(current.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Refresh the winter campaign" in text and last.week in text  # carried over
    assert client.get(last.get_absolute_url()).status_code == 200
