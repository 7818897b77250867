"""Exactly once with real parts: real Celery worker processes, the real simulator, the
real database. Two beats and two workers; a worker SIGKILLed after X accepted a post (or a
repost) and before its id was stored; X's 429s and 5xx. Every post reaches X exactly once: counted
in what the simulator received.

The kill uses the test-only hook PUBLISH_TEST_KILL_AFTER_SENDS (socialops/settings.py,
honoured only with SOCIALOPS_TESTING): the worker SIGKILLs itself right after X answered
its Nth POST /2/tweets — the one moment a crash leaves X with a post we have no id for.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pytest

from campaigns.calendar.publishing import post_publish_retry
from campaigns.calendar.tasks import publish_due
from campaigns.models import PostEvent, PostPart, ScheduledPost
from tests.campaigns.helpers import due_post, due_repost, received
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = ScheduledPost.Status
Action = PostEvent.Action
CLAIM_TIMEOUT = 2


@pytest.fixture
def queue(settings) -> str:
    """A publish queue of the test's own: the workers consume it, publish_due (in a worker
    or here) queues publish_post on it."""
    name = f"test-publish-{uuid.uuid4().hex[:10]}"
    settings.PUBLISH_QUEUE = name
    return name


def worker_env(sim, queue: str, **extra: str) -> dict[str, str]:
    return {
        "X_API_BASE_URL": sim.url,
        "PUBLISH_QUEUE": queue,
        "PUBLISH_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT),
        "PUBLISH_RETRY_BACKOFF": "1",
        "SOCIALOPS_TESTING": "1",
        **extra,
    }


def all_published(posts) -> bool:
    ids = [p.pk for p in posts]
    return ScheduledPost.objects.filter(pk__in=ids, status=Status.PUBLISHED).count() == len(ids)


def status_of(post) -> str:
    return ScheduledPost.objects.values_list("status", flat=True).get(pk=post.pk)


def test_two_beats_and_two_workers_publish_each_post_once(sim, x_account, marketing, owner, queue):
    posts = [due_post(x_account, marketing, owner) for _ in range(40)]
    env = worker_env(sim, queue)
    with celery_worker(queue=queue, env=env) as one, celery_worker(queue=queue, env=env) as two:
        # Two beats at once in the workers, and a third here.
        publish_due.apply_async(queue=queue)
        publish_due.apply_async(queue=queue)
        publish_due()
        assert wait_for(lambda: all_published(posts), timeout=90), (
            one.log()[-2000:] + two.log()[-2000:]
        )

    sent = received(sim, x_account)
    assert len(sent) == 40
    assert Counter(p["submitted_text"] for p in sent) == Counter(p.text for p in posts)
    stored = set(ScheduledPost.objects.values_list("x_post_id", flat=True))
    assert stored == {int(p["id"]) for p in sent}
    assert PostEvent.objects.filter(action=Action.CLAIMED).count() == 40
    assert PostEvent.objects.filter(action=Action.PUBLISHED).count() == 40


def test_worker_killed_after_x_accepted_the_post(sim, x_account, marketing, owner, queue):
    post = due_post(x_account, marketing, owner, text="Launch day: meet Brightline 3.0")
    env = worker_env(sim, queue)

    with celery_worker(queue=queue, env={**env, "PUBLISH_TEST_KILL_AFTER_SENDS": "1"}) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: worker.process.poll() is not None, timeout=60), worker.log()
    assert worker.process.returncode == -9

    # X has the post; we have the intent and no id.
    assert len(received(sim, x_account)) == 1
    post.refresh_from_db()
    assert (post.status, post.x_post_id) == (Status.PUBLISHING, None)

    time.sleep(CLAIM_TIMEOUT + 0.5)  # the dead worker's claim times out
    with celery_worker(queue=queue, env=env) as worker:
        publish_due.apply_async(queue=queue)  # the next beat: reconcile, not resend
        assert wait_for(lambda: status_of(post) == Status.PUBLISHED, timeout=60), worker.log()
        publish_due.apply_async(queue=queue)  # and another beat changes nothing
        time.sleep(1)

    (sent,) = received(sim, x_account)
    post.refresh_from_db()
    assert post.x_post_id == int(sent["id"])
    assert list(PostEvent.objects.filter(post=post).values_list("action", flat=True)) == [
        Action.CLAIMED,
        Action.CLAIMED,
        Action.RECONCILED,
        Action.PUBLISHED,
    ]


def test_worker_killed_mid_thread_resumes_at_the_missing_part(
    sim, x_account, marketing, owner, queue
):
    post = due_post(
        x_account, marketing, owner, text="1/3 Our week", parts=("2/3 Plan", "3/3 Publish")
    )
    env = worker_env(sim, queue)

    # Killed right after X took the second part: part one's id is stored, part two's not.
    with celery_worker(queue=queue, env={**env, "PUBLISH_TEST_KILL_AFTER_SENDS": "2"}) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: worker.process.poll() is not None, timeout=60), worker.log()
    assert len(received(sim, x_account)) == 2
    post.refresh_from_db()
    assert post.x_post_id is not None
    assert not PostPart.objects.filter(post=post, x_post_id__isnull=False).exists()

    time.sleep(CLAIM_TIMEOUT + 0.5)
    with celery_worker(queue=queue, env=env) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: status_of(post) == Status.PUBLISHED, timeout=60), worker.log()

    sent = received(sim, x_account)
    assert [p["submitted_text"] for p in sent] == ["1/3 Our week", "2/3 Plan", "3/3 Publish"]
    assert sent[1]["in_reply_to_tweet_id"] == sent[0]["id"]
    assert sent[2]["in_reply_to_tweet_id"] == sent[1]["id"]
    parts = list(PostPart.objects.filter(post=post).values_list("x_post_id", flat=True))
    assert parts == [int(sent[1]["id"]), int(sent[2]["id"])]


def test_5xx_is_retried_by_the_task_and_sent_once(sim, x_account, marketing, owner, queue):
    post = due_post(x_account, marketing, owner)
    sim.fail(503, path="/2/tweets", method="POST", count=2)
    with celery_worker(queue=queue, env=worker_env(sim, queue)) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: status_of(post) == Status.PUBLISHED, timeout=60), worker.log()
    assert len(received(sim, x_account)) == 1
    notes = PostEvent.objects.filter(post=post, action=Action.RESCHEDULED)
    assert notes.count() == 2 and "503" in notes.first().note


def test_5xx_that_persists_fails_the_post_then_retry_sends_it_once(
    sim, x_account, marketing, owner, queue
):
    post = due_post(x_account, marketing, owner)
    sim.fail(503, path="/2/tweets", method="POST", count=100)
    env = worker_env(sim, queue, PUBLISH_MAX_RETRIES="2")
    with celery_worker(queue=queue, env=env) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: status_of(post) == Status.FAILED, timeout=60), worker.log()
        post.refresh_from_db()
        assert "503" in post.error and "gave up" in post.error
        assert received(sim, x_account) == []

        sim.control("DELETE", "fail")  # X is back; the owner presses Retry
        post_publish_retry(actor=owner, post=post)  # queues a tick on commit
        assert wait_for(lambda: status_of(post) == Status.PUBLISHED, timeout=60), worker.log()

    assert len(received(sim, x_account)) == 1
    post.refresh_from_db()
    assert post.attempts == 2


def test_429_waits_for_the_reset_then_sends_once(sim, x_account, marketing, owner, queue):
    post = due_post(x_account, marketing, owner)
    sim.fail(429, path="/2/tweets", method="POST", reset_in=3)
    with celery_worker(queue=queue, env=worker_env(sim, queue)) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(
            lambda: PostEvent.objects.filter(post=post, action=Action.RESCHEDULED).exists(),
            timeout=60,
        ), worker.log()
        assert status_of(post) == Status.SCHEDULED

        def beat_until_published() -> bool:
            publish_due.apply_async(queue=queue)
            time.sleep(0.5)
            return status_of(post) == Status.PUBLISHED

        assert wait_for(beat_until_published, timeout=30), worker.log()

    assert len(received(sim, x_account)) == 1


def test_worker_killed_after_x_accepted_a_repost(sim, x_account, marketing, owner, queue):
    post, target = due_repost(sim, x_account, marketing, owner)
    env = worker_env(sim, queue)

    with celery_worker(queue=queue, env={**env, "PUBLISH_TEST_KILL_AFTER_SENDS": "1"}) as worker:
        publish_due.apply_async(queue=queue)
        assert wait_for(lambda: worker.process.poll() is not None, timeout=60), worker.log()
    assert worker.process.returncode == -9

    # X has the repost; we have the intent and no id.
    (repost,) = received(sim, x_account)
    assert repost["reposted_tweet_id"] == str(target)
    post.refresh_from_db()
    assert (post.status, post.x_post_id) == (Status.PUBLISHING, None)

    time.sleep(CLAIM_TIMEOUT + 0.5)  # the dead worker's claim times out
    with celery_worker(queue=queue, env=env) as worker:
        publish_due.apply_async(queue=queue)  # the next beat: found on X, not reposted again
        assert wait_for(lambda: status_of(post) == Status.PUBLISHED, timeout=60), worker.log()

    assert received(sim, x_account) == [repost]
    post.refresh_from_db()
    assert post.x_post_id == int(repost["id"])
    assert Action.RECONCILED in PostEvent.objects.filter(post=post).values_list("action", flat=True)
