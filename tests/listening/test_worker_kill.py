"""A worker killed with SIGKILL in the middle of a run loses nothing and duplicates
nothing: a real Celery worker process, the real X simulator, the real database."""

from __future__ import annotations

import time

import pytest

from listening.models import InboxItem, Source, SourceRun, SourceTweet, Tweet, XAccount
from listening.tasks import pull_source
from tests.worker import celery_worker, wait_for
from tests.xsim_server import run_xsim

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


def _all_mentions(sim, user_id: str, token: str) -> set[int]:
    ids: set[int] = set()
    params = {"max_results": 100}
    while True:
        body = sim.get(f"/2/users/{user_id}/mentions", token=token, **params).json
        ids |= {int(t["id"]) for t in body.get("data", [])}
        if not body["meta"].get("next_token"):
            return ids
        params["pagination_token"] = body["meta"]["next_token"]


def test_sigkill_mid_run_then_resume(settings):
    with run_xsim(seed=3, speed=0) as sim:
        token = sim.user_token("brightline")
        user_id = sim.user_id("brightline")
        expected = _all_mentions(sim, user_id, token)
        assert len(expected) > 300, "the run must span several pages"
        account = XAccount.objects.create(
            username="brightline", x_user_id=int(user_id), access_token=token
        )
        source = Source.objects.create(name="Mentions", kind="mentions", account=account)
        # Slow pages, so the kill lands between two of them.
        sim.fail(path=f"/2/users/{user_id}/mentions", count=50, delay_ms=600)
        env = {
            "X_API_BASE_URL": sim.url,
            "X_SOURCE_LEASE_SECONDS": str(LEASE_SECONDS),
            "X_INGEST_BATCH_PAGES": "2",  # several commits in the run, so the kill lands between
        }

        with celery_worker(env=env) as worker:
            pull_source.apply_async((source.pk,), queue=worker.queue)
            assert wait_for(lambda: SourceRun.objects.filter(pages__gte=2).exists(), timeout=60), (
                worker.log()[-3000:]
            )
            worker.kill()

        stored_before = Tweet.objects.count()
        assert 0 < stored_before < len(expected)
        source.refresh_from_db()
        assert source.page_token, "the dead run left its place to resume from"
        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out

        with celery_worker(env=env) as worker:
            # What beat does once the lease is gone: queue the source again.
            pull_source.apply_async((source.pk,), queue=worker.queue)
            assert wait_for(
                lambda: SourceRun.objects.filter(status=SourceRun.Status.OK).exists(),
                timeout=90,
            ), worker.log()[-3000:]

    stored = set(Tweet.objects.values_list("pk", flat=True))
    assert stored == expected  # nothing lost
    assert SourceTweet.objects.filter(source=source).count() == len(expected)  # nothing twice
    assert InboxItem.objects.count() == len(expected)
    source.refresh_from_db()
    assert source.since_id == max(expected)
    assert (source.page_token, source.pending_since_id, source.lease_token) == ("", None, "")
    assert sorted(SourceRun.objects.values_list("status", flat=True)) == ["interrupted", "ok"]
    resumed = SourceRun.objects.get(status=SourceRun.Status.OK)
    # The second run resumed where the first one's last commit left off.
    assert resumed.posts_new == len(expected) - stored_before
