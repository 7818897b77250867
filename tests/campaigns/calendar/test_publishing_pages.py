"""The dashboard alert for posts late going out to X: shown to the editors of the post's
department and to admins, with the post, its account, its error and a link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar.selectors import post_stuck_list
from campaigns.models import ScheduledPost
from tests.factories import MembershipFactory, ScheduledPostFactory, XAccountFactory

pytestmark = pytest.mark.django_db

Status = ScheduledPost.Status
HOME = "/"


def late_post(department, owner, *, minutes: int = 30, **fields):
    fields.setdefault("status", Status.SCHEDULED)
    return ScheduledPostFactory(
        account=XAccountFactory(),
        department=department,
        owner=owner,
        scheduled_at=timezone.now() - timedelta(minutes=minutes),
        **fields,
    )


def home(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def test_owner_and_admin_see_the_alert_a_colleague_does_not(
    client, owner, colleague, admin_user, marketing
):
    post = late_post(
        marketing,
        owner,
        text="Spring launch: 20% off",
        status=Status.PUBLISHING,
        error="X answered 503",
    )

    page = home(client, owner)
    assert "1 post late going out to X" in page
    assert "Spring launch: 20% off" in page
    assert "@brightline" in page and "Marketing" in page and "X answered 503" in page
    assert "Publishing" in page  # its status
    assert reverse("campaigns:post_detail", args=[post.pk]) in page

    assert "Spring launch" in home(client, admin_user)
    colleague_page = home(client, colleague)
    assert "late going out to X" not in colleague_page and "Spring launch" not in colleague_page
    assert list(post_stuck_list(user=colleague)) == []
    assert list(post_stuck_list(user=owner)) == [post]


def test_a_member_sees_it_too(client, owner, marketing):
    member = MembershipFactory(department=marketing, role="member").user
    late_post(marketing, owner, text="Tips Tuesday")
    assert "Tips Tuesday" in home(client, member)


def test_only_late_unpublished_posts_raise_the_alert(client, owner, marketing, settings):
    settings.PUBLISH_STUCK_AFTER = 300
    late_post(marketing, owner, minutes=2, text="Just due")  # within the grace period
    late_post(marketing, owner, minutes=-60, text="Later today")
    late_post(marketing, owner, text="Went out", status=Status.PUBLISHED, x_post_id=1)
    late_post(marketing, owner, text="Failed one", status=Status.FAILED)  # on the calendar
    late_post(marketing, owner, text="Still a draft", status=Status.DRAFT)

    page = home(client, owner)
    assert "late going out to X" not in page

    late_post(marketing, owner, minutes=6, text="Six minutes late")
    page = home(client, owner)
    assert "1 post late going out to X" in page and "Six minutes late" in page
    assert "Just due" not in page and "Went out" not in page and "Failed one" not in page


def test_many_late_posts_are_listed_twenty_and_counted(client, owner, marketing):
    for n in range(23):
        late_post(marketing, owner, minutes=30 + n, text=f"Late post number {n:02d}")
    page = home(client, owner)
    assert "23 posts late going out to X" in page
    assert page.count("Late post number") == 20
    assert "and 3 more" in page
