"""Publishing, service by service, against the real simulator: claims, sending, threads,
X's failures, reconciliation after a crash, and the people's retry and send-now."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from campaigns.calendar.publishing import (
    NEEDS_RECONNECTION,
    Outcome,
    post_publish,
    post_publish_now,
    post_publish_retry,
    posts_due_claim,
    posts_stale_reclaim,
)
from campaigns.models import PostEvent, PostPart, ScheduledPost
from listening import client as x
from listening.models import XAccount
from metrics.measure import Scope, metric_value
from metrics.models import Dim
from metrics.rollups import recompute_marked
from socialops.models import DirtyDay
from tests.campaigns.helpers import due_post, received

Status = ScheduledPost.Status
Action = PostEvent.Action


def actions(post) -> list[str]:
    return list(PostEvent.objects.filter(post=post).values_list("action", flat=True))


def claim_one(post) -> str:
    claims = posts_due_claim(now=timezone.now())
    (claim,) = [c for c in claims if c.post_id == post.pk]
    return claim.claim_token


def make_stale(post, seconds: int = 600) -> None:
    """The worker holding the claim died this long ago."""
    ScheduledPost.objects.filter(pk=post.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=seconds)
    )


# --- Claims -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_takes_due_scheduled_posts_once(x_account, marketing, owner):
    due = [due_post(x_account, marketing, owner) for _ in range(3)]
    later = due_post(x_account, marketing, owner, scheduled_at=timezone.now() + timedelta(hours=1))
    draft = due_post(x_account, marketing, owner, status=Status.DRAFT)

    claims = posts_due_claim(now=timezone.now())

    assert sorted(c.post_id for c in claims) == sorted(p.pk for p in due)
    assert len({c.claim_token for c in claims}) == 3
    for post in due:
        post.refresh_from_db()
        assert post.status == Status.PUBLISHING
        assert post.claimed_at is not None and post.attempts == 1
        assert actions(post) == [Action.CLAIMED]
    assert posts_due_claim(now=timezone.now()) == []  # a second beat finds nothing
    later.refresh_from_db()
    draft.refresh_from_db()
    assert (later.status, draft.status) == (Status.SCHEDULED, Status.DRAFT)


@pytest.mark.django_db
def test_claim_respects_the_limit(x_account, marketing, owner):
    for _ in range(5):
        due_post(x_account, marketing, owner)
    assert len(posts_due_claim(now=timezone.now(), limit=2)) == 2
    assert len(posts_due_claim(now=timezone.now(), limit=10)) == 3


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_beats_claim_disjoint_posts(x_account, marketing, owner):
    posts = [due_post(x_account, marketing, owner) for _ in range(60)]
    results: list[list] = [[], []]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def beat(index: int) -> None:
        try:
            barrier.wait()
            for _ in range(6):
                results[index] += posts_due_claim(now=timezone.now(), limit=10)
        except BaseException as exc:  # pragma: no cover — reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    first, second = ({c.post_id for c in r} for r in results)
    assert not first & second
    assert first | second == {p.pk for p in posts}
    assert PostEvent.objects.filter(action=Action.CLAIMED).count() == 60


# --- Sending ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_claimed_post_is_sent_once_and_its_id_stored(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, text="Spring is here: 20% off all plans")
    token = claim_one(post)

    assert post_publish(post_id=post.pk, claim_token=token) == Outcome.PUBLISHED
    # The same task delivered again (a retry, a redelivery) does nothing.
    assert post_publish(post_id=post.pk, claim_token=token) == Outcome.STALE
    assert post_publish(post_id=post.pk, claim_token="someone-else") == Outcome.STALE

    post.refresh_from_db()
    sent = received(sim, x_account)
    assert len(sent) == 1
    assert post.status == Status.PUBLISHED
    assert post.x_post_id == int(sent[0]["id"])
    assert sent[0]["submitted_text"] == "Spring is here: 20% off all plans"
    assert post.published_at is not None and post.error == ""
    assert actions(post) == [Action.CLAIMED, Action.PUBLISHED]


@pytest.mark.django_db
def test_a_post_with_a_link_is_sent_as_written(sim, x_account, marketing, owner):
    text = "Read the guide https://shop.example.com/l/abc123 and tell us what you think"
    post = due_post(x_account, marketing, owner, text=text)
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.PUBLISHED
    assert [p["submitted_text"] for p in received(sim, x_account)] == [text]


@pytest.mark.django_db
def test_a_thread_goes_out_as_a_chain_of_replies(sim, x_account, marketing, owner):
    post = due_post(
        x_account, marketing, owner, text="1/3 How we plan a week", parts=("2/3 Slots", "3/3 Go")
    )
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.PUBLISHED

    sent = received(sim, x_account)
    assert [p["submitted_text"] for p in sent] == ["1/3 How we plan a week", "2/3 Slots", "3/3 Go"]
    assert sent[0]["in_reply_to_tweet_id"] is None
    assert sent[1]["in_reply_to_tweet_id"] == sent[0]["id"]
    assert sent[2]["in_reply_to_tweet_id"] == sent[1]["id"]
    post.refresh_from_db()
    assert post.x_post_id == int(sent[0]["id"])
    assert list(PostPart.objects.filter(post=post).values_list("x_post_id", flat=True)) == [
        int(sent[1]["id"]),
        int(sent[2]["id"]),
    ]


@pytest.mark.django_db
def test_a_reply_answers_its_target(sim, x_account, marketing, owner):
    target = sim.inject("Does Brightline export to CSV?", author="curious_customer")
    post = due_post(
        x_account,
        marketing,
        owner,
        kind=ScheduledPost.Kind.REPLY,
        target_x_id=int(target),
        text="Yes: Reports → Export. Happy to help!",
    )
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.PUBLISHED
    (sent,) = received(sim, x_account)
    assert sent["in_reply_to_tweet_id"] == target


@pytest.mark.django_db
def test_a_quote_goes_out_quoting_its_target(sim, x_account, marketing, owner):
    target = sim.inject("A post worth sharing", author="industry_voice")
    post = due_post(
        x_account, marketing, owner, kind=ScheduledPost.Kind.QUOTE, target_x_id=int(target),
        text="Well said: this is why we built live dashboards.",
    )  # fmt: skip
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.PUBLISHED
    post.refresh_from_db()
    [sent] = received(sim, x_account)
    assert sent["id"] == str(post.x_post_id)
    assert sent["text"] == post.text


@pytest.mark.django_db
def test_a_reply_without_target_fails(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, kind=ScheduledPost.Kind.REPLY)
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED
    post.refresh_from_db()
    assert "needs the X post it refers to" in post.error
    assert received(sim, x_account) == []


# --- X's failures -----------------------------------------------------------------------


@pytest.mark.django_db
def test_429_puts_the_post_back_at_xs_reset(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner)
    sim.fail(429, path="/2/tweets", method="POST", reset_in=90)
    before = timezone.now()

    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.RATE_LIMITED

    post.refresh_from_db()
    assert post.status == Status.SCHEDULED
    assert (post.claim_token, post.claimed_at) == ("", None)
    assert before + timedelta(seconds=80) < post.scheduled_at < before + timedelta(seconds=95)
    assert "rate limit" in PostEvent.objects.get(post=post, action=Action.RESCHEDULED).note
    assert posts_due_claim(now=timezone.now()) == []  # not before the reset
    assert received(sim, x_account) == []

    # At the reset the next beat claims it; it checks X first, finds nothing, sends.
    (claim,) = posts_due_claim(now=post.scheduled_at + timedelta(seconds=1))
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED
    assert len(received(sim, x_account)) == 1
    post.refresh_from_db()
    assert post.attempts == 2


@pytest.mark.django_db
def test_5xx_keeps_the_claim_for_the_tasks_retry(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner)
    token = claim_one(post)
    ScheduledPost.objects.filter(pk=post.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=100)
    )
    sim.fail(503, path="/2/tweets", method="POST")

    with pytest.raises(x.Transient):
        post_publish(post_id=post.pk, claim_token=token)

    post.refresh_from_db()
    assert post.status == Status.PUBLISHING and post.claim_token == token
    assert post.claimed_at > timezone.now() - timedelta(seconds=5)  # renewed: not stale
    assert "503" in post.error
    assert posts_stale_reclaim(now=timezone.now()) == []
    # The retry looks on X first (a 5xx may hide a post X took), then sends.
    assert post_publish(post_id=post.pk, claim_token=token, check_x=True) == Outcome.PUBLISHED
    assert len(received(sim, x_account)) == 1


@pytest.mark.django_db
def test_duplicate_content_fails_with_xs_message(sim, x_account, marketing, owner):
    text = "We are hiring a support engineer"
    sim.post("/2/tweets", {"text": text}, token=x_account.access_token)  # posted by hand
    post = due_post(x_account, marketing, owner, text=text)

    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED

    post.refresh_from_db()
    assert post.status == Status.FAILED
    assert "duplicate content" in post.error
    assert PostEvent.objects.get(post=post, action=Action.FAILED).note == post.error
    assert len(received(sim, x_account)) == 1


@pytest.mark.django_db
def test_text_too_long_fails_with_xs_message(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, text="word " * 80)
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED
    post.refresh_from_db()
    assert "too long" in post.error
    assert received(sim, x_account) == []


@pytest.mark.django_db
def test_401_fails_the_post_and_marks_the_account(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner)
    sim.fail(401, path="/2/tweets", method="POST")

    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED

    post.refresh_from_db()
    x_account.refresh_from_db()
    assert post.status == Status.FAILED and post.error == NEEDS_RECONNECTION
    assert x_account.status == XAccount.Status.NEEDS_RECONNECTION


# --- Reconciling after a crash ----------------------------------------------------------


@pytest.mark.django_db
def test_a_stale_claim_found_on_x_is_adopted_not_sent_again(sim, x_account, marketing, owner):
    text = "Webinar Thursday 16:00 https://brightline.example/webinar"
    post = due_post(x_account, marketing, owner, text=text)
    claim_one(post)
    # The worker sent it, X took it, and the worker died before storing the id.
    x_id = sim.post("/2/tweets", {"text": text}, token=x_account.access_token).json["data"]["id"]
    make_stale(post)

    (claim,) = posts_stale_reclaim(now=timezone.now())
    assert claim.post_id == post.pk
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED

    post.refresh_from_db()
    assert post.x_post_id == int(x_id)
    assert len(received(sim, x_account)) == 1
    assert actions(post) == [Action.CLAIMED, Action.CLAIMED, Action.RECONCILED, Action.PUBLISHED]
    assert post.attempts == 2


@pytest.mark.django_db
def test_a_stale_claim_not_on_x_is_sent(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner)
    claim_one(post)
    make_stale(post)  # the worker died before sending
    (claim,) = posts_stale_reclaim(now=timezone.now())
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED
    assert len(received(sim, x_account)) == 1
    assert Action.RECONCILED not in actions(post)


@pytest.mark.django_db
def test_a_thread_resumes_at_the_first_part_without_an_id(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, text="A: the plan", parts=("B: slots", "C: go"))
    old_token = claim_one(post)
    token = x_account.access_token
    # The dead worker stored part A, and X took part B before the worker died.
    a = sim.post("/2/tweets", {"text": "A: the plan"}, token=token).json["data"]["id"]
    ScheduledPost.objects.filter(pk=post.pk).update(x_post_id=int(a))
    b = sim.post(
        "/2/tweets", {"text": "B: slots", "reply": {"in_reply_to_tweet_id": a}}, token=token
    ).json["data"]["id"]
    make_stale(post)

    (claim,) = posts_stale_reclaim(now=timezone.now())
    assert claim.claim_token != old_token
    # The dead worker's task, delivered again, finds its claim gone.
    assert post_publish(post_id=post.pk, claim_token=old_token) == Outcome.STALE
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED

    sent = received(sim, x_account)
    assert [p["submitted_text"] for p in sent] == ["A: the plan", "B: slots", "C: go"]
    assert sent[2]["in_reply_to_tweet_id"] == b
    parts = list(PostPart.objects.filter(post=post).values_list("x_post_id", flat=True))
    assert parts == [int(b), int(sent[2]["id"])]


@pytest.mark.django_db
def test_an_x_post_adopted_by_one_post_is_not_adopted_by_another(sim, x_account, marketing, owner):
    """Two posts of the same text (a week apart, say): the one already published keeps
    its X post; the other is sent."""
    text = "Tip: schedule a week ahead"
    first = due_post(x_account, marketing, owner, text=text)
    assert post_publish(post_id=first.pk, claim_token=claim_one(first)) == Outcome.PUBLISHED
    second = due_post(x_account, marketing, owner, text=text)
    claim_one(second)
    make_stale(second)
    (claim,) = posts_stale_reclaim(now=timezone.now())

    # X refuses the same text twice: the post fails loudly instead of stealing the id.
    assert post_publish(post_id=second.pk, claim_token=claim.claim_token) == Outcome.FAILED
    second.refresh_from_db()
    assert second.x_post_id is None and "duplicate content" in second.error
    assert len(received(sim, x_account)) == 1


@pytest.mark.django_db
def test_claims_that_keep_dying_end_as_failed(sim, x_account, marketing, owner, settings):
    settings.PUBLISH_MAX_ATTEMPTS = 2
    post = due_post(x_account, marketing, owner)
    claim_one(post)
    make_stale(post)
    assert len(posts_stale_reclaim(now=timezone.now())) == 1
    make_stale(post)
    assert posts_stale_reclaim(now=timezone.now()) == []
    post.refresh_from_db()
    assert post.status == Status.FAILED and "Gave up after 2 attempts" in post.error


# --- Retry and send now -----------------------------------------------------------------


@pytest.fixture
def failed_post(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner)
    sim.fail(503, path="/2/tweets", method="POST")
    token = claim_one(post)
    with pytest.raises(x.Transient):
        post_publish(post_id=post.pk, claim_token=token)
    from campaigns.calendar.publishing import post_publish_give_up

    assert post_publish_give_up(post_id=post.pk, claim_token=token, error="X answered 503")
    post.refresh_from_db()
    assert post.status == Status.FAILED
    return post


@pytest.mark.django_db
def test_owner_retries_a_failed_post_and_it_is_sent_once(sim, failed_post, owner, x_account):
    post = post_publish_retry(actor=owner, post=failed_post)

    assert post.status == Status.SCHEDULED and post.error == ""
    assert post.scheduled_at <= timezone.now() and post.attempts == 1  # kept
    assert PostEvent.objects.get(post=post, action=Action.RETRIED).actor == owner
    (claim,) = posts_due_claim(now=timezone.now())
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED
    assert len(received(sim, x_account)) == 1


@pytest.mark.django_db
def test_retry_permissions(failed_post, owner, colleague, admin_user):
    with pytest.raises(PermissionDenied):
        post_publish_retry(actor=colleague, post=failed_post)
    assert post_publish_retry(actor=admin_user, post=failed_post).status == Status.SCHEDULED
    # Only a failed post can be retried.
    with pytest.raises(ValidationError):
        post_publish_retry(actor=owner, post=failed_post)


@pytest.mark.django_db
def test_retry_keeps_a_future_time(failed_post, owner):
    later = timezone.now() + timedelta(hours=2)
    ScheduledPost.objects.filter(pk=failed_post.pk).update(scheduled_at=later)
    failed_post.refresh_from_db()
    assert post_publish_retry(actor=owner, post=failed_post).scheduled_at == later


@pytest.mark.django_db
def test_send_now(x_account, marketing, owner, colleague, admin_user):
    later = timezone.now() + timedelta(days=1)
    post = due_post(x_account, marketing, owner, status=Status.APPROVED, scheduled_at=later)
    with pytest.raises(PermissionDenied):
        post_publish_now(actor=colleague, post=post)

    post = post_publish_now(actor=owner, post=post)

    assert post.status == Status.SCHEDULED and post.scheduled_at <= timezone.now()
    assert [c.post_id for c in posts_due_claim(now=timezone.now())] == [post.pk]
    draft = due_post(x_account, marketing, owner, status=Status.DRAFT)
    with pytest.raises(ValidationError):
        post_publish_now(actor=admin_user, post=draft)
    scheduled = due_post(x_account, marketing, owner, scheduled_at=later)
    assert post_publish_now(actor=admin_user, post=scheduled).scheduled_at <= timezone.now()


@pytest.mark.django_db
def test_a_thread_refused_mid_way_resumes_after_retry(sim, x_account, marketing, owner):
    post = due_post(x_account, marketing, owner, text="T1 intro", parts=("T2 body", "word " * 80))
    assert post_publish(post_id=post.pk, claim_token=claim_one(post)) == Outcome.FAILED
    post.refresh_from_db()
    assert post.error.startswith("Part 3 of 3: X answered 403") and "too long" in post.error
    assert len(received(sim, x_account)) == 2

    PostPart.objects.filter(post=post, position=2).update(text="T3 the end")  # edited
    post_publish_retry(actor=owner, post=post)
    (claim,) = posts_due_claim(now=timezone.now())
    assert post_publish(post_id=post.pk, claim_token=claim.claim_token) == Outcome.PUBLISHED

    sent = received(sim, x_account)
    assert [p["submitted_text"] for p in sent] == ["T1 intro", "T2 body", "T3 the end"]
    assert sent[2]["in_reply_to_tweet_id"] == sent[1]["id"]


@pytest.mark.django_db
def test_send_now_tracks_the_links_of_an_approved_post(x_account, marketing, owner, settings):
    settings.SITE_URL = "https://go.brightline.example"
    later = timezone.now() + timedelta(days=1)
    post = due_post(
        x_account,
        marketing,
        owner,
        status=Status.APPROVED,
        scheduled_at=later,
        text="New: https://shop.example.com/spring",
    )
    post = post_publish_now(actor=owner, post=post)
    post.refresh_from_db()
    assert post.text.startswith("New: https://go.brightline.example/l/")
    assert post.links.get().destination == "https://shop.example.com/spring"
    # Sent twice (a double click): no second link.
    post_publish_now(actor=owner, post=post)
    assert post.links.count() == 1


# --- Metrics' marks -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("parts", [(), ("2/2 and the rest",)])
def test_a_published_post_marks_its_day_for_the_metrics(sim, x_account, marketing, owner, parts):
    post = due_post(x_account, marketing, owner, text="1/2 Out today", parts=parts)
    token = claim_one(post)
    assert not DirtyDay.objects.exists()  # a claim changes no figure
    assert post_publish(post_id=post.pk, claim_token=token) == Outcome.PUBLISHED
    post.refresh_from_db()
    assert set(DirtyDay.objects.filter(family="posts").values_list("day", flat=True)) == {
        post.published_at.astimezone(UTC).date()
    }
    recompute_marked()
    day = timezone.localdate(post.published_at)
    scope = Scope(Dim.DEPARTMENT, marketing.pk)
    first, last = day - timedelta(days=1), day + timedelta(days=1)
    assert metric_value("posts_published", scope=scope, first=first, last=last) == 1
    call_command("metrics_verify", "--quiet")
