"""A worker killed with SIGKILL in the middle of a DM run loses nothing and duplicates
nothing: a real Celery worker process, the real X simulator, the real database."""

from __future__ import annotations

import time

import pytest

from listening.models import DirectMessage, Source, SourceRun, XAccount
from listening.tasks import pull_source
from tests.worker import celery_worker, wait_for
from tests.xsim_server import run_xsim

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3


def _all_dm_events(sim, token: str) -> set[int]:
    ids: set[int] = set()
    params = {"max_results": 100}
    while True:
        body = sim.get("/2/dm_events", token=token, **params).json
        ids |= {int(e["id"]) for e in body.get("data", [])}
        if not body["meta"]["result_count"]:
            return ids
        params["pagination_token"] = body["meta"]["next_token"]


def test_sigkill_mid_dm_run_then_resume():
    with run_xsim(seed=5, speed=0) as sim:
        token = sim.user_token("brightline_help")
        user_id = sim.user_id("brightline_help")
        sim.config(dm_rate=1500)
        sim.advance(900)
        expected = _all_dm_events(sim, token)
        assert len(expected) > 400, "the run must span several pages"
        sim.config(dm_rate=0)  # nothing new meanwhile: the expected set is the whole story
        sim.advance(900)  # a fresh rate-limit window for the runs (15 DM reads each)
        account = XAccount.objects.create(
            username="brightline_help", x_user_id=int(user_id), access_token=token
        )
        source = Source.objects.create(name="DMs", kind="dms", account=account)
        # Slow pages, so the kill lands between two of them.
        sim.fail(path="/2/dm_events", count=50, delay_ms=600)
        env = {"X_API_BASE_URL": sim.url, "X_SOURCE_LEASE_SECONDS": str(LEASE_SECONDS)}

        with celery_worker(env=env) as worker:
            pull_source.apply_async((source.pk,), queue=worker.queue)
            assert wait_for(lambda: SourceRun.objects.filter(pages__gte=2).exists(), timeout=60), (
                worker.log()[-3000:]
            )
            worker.kill()

        stored_before = DirectMessage.objects.count()
        assert 0 < stored_before < len(expected)
        source.refresh_from_db()
        assert source.page_token, "the dead run left its place to resume from"
        time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's lease runs out

        with celery_worker(env=env) as worker:
            pull_source.apply_async((source.pk,), queue=worker.queue)
            assert wait_for(
                lambda: SourceRun.objects.filter(status=SourceRun.Status.OK).exists(),
                timeout=90,
            ), worker.log()[-3000:]

    stored = set(DirectMessage.objects.values_list("pk", flat=True))
    assert stored == expected  # nothing lost, and each event one row (its X id)
    source.refresh_from_db()
    assert source.since_id == max(expected)
    assert (source.page_token, source.pending_since_id, source.lease_token) == ("", None, "")
    assert sorted(SourceRun.objects.values_list("status", flat=True)) == ["interrupted", "ok"]
    resumed = SourceRun.objects.get(status=SourceRun.Status.OK)
    assert resumed.posts_new == len(expected) - stored_before
