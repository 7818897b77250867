"""The iCalendar feed behind a secret address: it parses with icalendar, holds the
department's scheduled and published posts (UTC start, 60-character summary, the post's
page), needs no sign-in, and answers 404 to unknown or rotated tokens."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar import services
from campaigns.models import ScheduledPost
from tests.campaigns.helpers import in_days

pytestmark = pytest.mark.django_db

LONG = (
    "Our winter release is out: faster scheduling, approvals across departments "
    "and a calendar you can subscribe to."
)


@pytest.fixture
def madrid(organisation):
    organisation.time_zone = "Europe/Madrid"
    organisation.save()


@pytest.fixture
def posts(madrid, owner, writer, colleague, sales, make_draft):
    scheduled = services.post_approve(
        actor=owner,
        post=services.post_submit(
            actor=writer, post=make_draft(writer, text=LONG, scheduled_at=in_days(2))
        ),
    )
    published = make_draft(writer, text="Published yesterday", scheduled_at=in_days(3))
    ScheduledPost.objects.filter(pk=published.pk).update(
        status="published", x_post_id=1861234567890123456, published_at=timezone.now()
    )
    draft = make_draft(writer, text="Still a draft", scheduled_at=in_days(2))
    other = make_draft(colleague, department=sales, text="Sales webinar", scheduled_at=in_days(2))
    ScheduledPost.objects.filter(pk=other.pk).update(status="scheduled")
    return {"scheduled": scheduled, "published": published, "draft": draft, "sales": other}


def feed_url(feed) -> str:
    return reverse("campaigns:calendar_feed", kwargs={"token": feed.token})


def events_of(response) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))


def test_department_feed_parses_and_holds_its_scheduled_and_published_posts(
    client, settings, owner, marketing, posts
):
    settings.SITE_URL = "https://social.example.org"
    feed = services.calendar_feed_create(actor=owner, department=marketing)

    response = client.get(feed_url(feed))  # no sign-in: the token is the key

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["version"]) == "2.0"
    assert "Marketing" in str(calendar["x-wr-calname"])
    events = events_of(response)
    assert len(events) == 2
    first, second = events

    scheduled = posts["scheduled"]
    assert first.decoded("dtstart") == scheduled.scheduled_at
    assert first.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert "DTSTART:" in response.content.decode() and "Z\r\n" in response.content.decode()
    assert str(first["summary"]) == LONG[:60]
    assert str(first["url"]) == f"https://social.example.org/calendar/posts/{scheduled.pk}/"
    assert str(first["uid"]) == f"scheduled-post-{scheduled.pk}@socialops"
    assert str(second["summary"]) == "Published yesterday"
    assert "Still a draft" not in response.content.decode()
    assert "Sales webinar" not in response.content.decode()


def test_everyone_feed_holds_every_department(client, admin_user, posts):
    feed = services.calendar_feed_create(actor=admin_user)

    summaries = {str(e["summary"]) for e in events_of(client.get(feed_url(feed)))}

    assert summaries == {LONG[:60], "Published yesterday", "Sales webinar"}


def test_unknown_and_rotated_tokens_are_404(client, owner, marketing, posts):
    feed = services.calendar_feed_create(actor=owner, department=marketing)
    old = feed_url(feed)
    assert (
        client.get(reverse("campaigns:calendar_feed", kwargs={"token": "nope"})).status_code == 404
    )

    feed = services.calendar_feed_rotate(actor=owner, feed=feed)

    assert client.get(old).status_code == 404
    assert client.get(feed_url(feed)).status_code == 200


def test_empty_feed_is_still_a_calendar(client, owner, marketing):
    feed = services.calendar_feed_create(actor=owner, department=marketing)

    response = client.get(feed_url(feed))

    assert response.status_code == 200
    assert icalendar.Calendar.from_ical(response.content).walk("VEVENT") == []
