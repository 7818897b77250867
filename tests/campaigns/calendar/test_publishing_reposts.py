"""Publishing reposts against the real simulator: a due approved repost goes out once
with the repost's own X id stored, a crash after X took it is reconciled from the
account's own posts, and X's refusals fail it with X's message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.calendar import services as post_services
from campaigns.calendar.publishing import (
    Outcome,
    post_publish,
    posts_due_claim,
    posts_stale_reclaim,
)
from campaigns.models import PostEvent, ScheduledPost
from listening import client as x
from tests.campaigns.helpers import due_post, due_repost, in_days, received

Status = ScheduledPost.Status
Kind = ScheduledPost.Kind
Action = PostEvent.Action


def actions(post) -> list[str]:
    return list(PostEvent.objects.filter(post=post).values_list("action", flat=True))


def claim_one(post) -> str:
    (claim,) = [c for c in posts_due_claim(now=timezone.now()) if c.post_id == post.pk]
    return claim.claim_token


@pytest.mark.django_db
def test_an_approved_repost_goes_out_once_and_keeps_the_reposts_id(
    sim, x_account, marketing, owner, writer
):
    target = sim.inject("Our customer won the finance team of the year", author="fin_award")
    draft = post_services.post_create(
        actor=writer,
        account=x_account,
        department=marketing,
        category="customer_story",
        kind=Kind.REPOST,
        target_x_id=int(target),
        scheduled_at=in_days(1),
    )
    post_services.post_submit(actor=writer, post=draft)
    post = post_services.post_approve(actor=owner, post=draft)
    assert post.status == Status.SCHEDULED
    ScheduledPost.objects.filter(pk=post.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )  # its time has come
    token = claim_one(post)

    assert post_publish(post_id=post.pk, claim_token=token) == Outcome.PUBLISHED
    # The same task delivered again does nothing.
    assert post_publish(post_id=post.pk, claim_token=token) == Outcome.STALE

    post.refresh_from_db()
    (sent,) = received(sim, x_account)
    assert sent["reposted_tweet_id"] == target and sent["submitted_text"] == ""
    assert post.status == Status.PUBLISHED and post.error == ""
    assert post.x_post_id == int(sent["id"]) != int(target)
    assert post.published_at is not None
    assert actions(post)[-2:] == [Action.CLAIMED, Action.PUBLISHED]


@pytest.mark.django_db
def test_a_repost_x_took_before_the_worker_died_is_adopted(sim, x_account, marketing, owner):
    post, target = due_repost(sim, x_account, marketing, owner)
    claim_one(post)
    # The worker reposted, X took it, and the worker died before storing the id.
    answer = sim.post(
        f"/2/users/{x_account.x_user_id}/retweets",
        {"tweet_id": target},
        token=x_account.access_token,
    )
    ScheduledPost.objects.filter(pk=post.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=600)
    )

    (claim,) = posts_stale_reclaim(now=timezone.now())
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED

    post.refresh_from_db()
    assert post.x_post_id == int(answer.json["data"]["id"])
    assert len(received(sim, x_account)) == 1
    assert actions(post) == [Action.CLAIMED, Action.CLAIMED, Action.RECONCILED, Action.PUBLISHED]


@pytest.mark.django_db
def test_a_retry_after_a_5xx_checks_x_then_reposts(sim, x_account, marketing, owner):
    post, target = due_repost(sim, x_account, marketing, owner)
    token = claim_one(post)
    sim.fail(503, path=f"/2/users/{x_account.x_user_id}/retweets", method="POST")

    with pytest.raises(x.Transient, match="503"):
        post_publish(post_id=post.pk, claim_token=token)
    assert received(sim, x_account) == []

    assert post_publish(post_id=post.pk, claim_token=token, check_x=True) == Outcome.PUBLISHED
    (sent,) = received(sim, x_account)
    post.refresh_from_db()
    assert (post.status, post.x_post_id) == (Status.PUBLISHED, int(sent["id"]))
    assert sent["reposted_tweet_id"] == target


@pytest.mark.django_db
def test_a_repost_of_a_deleted_post_fails_with_xs_message(sim, x_account, marketing, owner):
    gone = sim.post("/2/tweets", {"text": "Soon gone"}, token=x_account.access_token)
    gone_id = gone.json["data"]["id"]
    sim.request("DELETE", f"/2/tweets/{gone_id}", token=x_account.access_token)
    post, _ = due_repost(sim, x_account, marketing, owner, target_x_id=int(gone_id))

    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED

    post.refresh_from_db()
    assert post.status == Status.FAILED and "deleted or not visible" in post.error
    assert [p["id"] for p in received(sim, x_account)] == [gone_id]  # no repost


@pytest.mark.django_db
def test_a_repost_without_a_target_fails_clearly(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, kind=Kind.REPOST, text="")
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED
    post.refresh_from_db()
    assert post.error == "A repost needs the X post it refers to."
    assert received(sim, x_account) == []


@pytest.mark.django_db
def test_the_same_post_reposted_twice_on_the_calendar_fails_the_second(
    sim, x_account, marketing, owner
):
    first, target = due_repost(sim, x_account, marketing, owner)
    second = due_post(
        x_account, marketing, owner, kind=Kind.REPOST, text="", target_x_id=int(target)
    )
    claims = {c.post_id: c.claim_token for c in posts_due_claim(now=timezone.now())}

    assert post_publish(post_id=first.pk, claim_token=claims[first.pk]) == Outcome.PUBLISHED
    assert post_publish(post_id=second.pk, claim_token=claims[second.pk]) == Outcome.FAILED

    second.refresh_from_db()
    assert "already reposted" in second.error and second.x_post_id is None
    assert len(received(sim, x_account)) == 1
