"""Redis going away: ingestion's data path needs only X and the database. A run that
loses its broker half-way finishes, and the next one reads nothing twice."""

from __future__ import annotations

import pytest
from kombu import Connection

from listening.models import Source, SourceRun, SourceTweet, Tweet, XAccount
from listening.services import sources_enqueue_due
from listening.tasks import pull_source
from tests.worker import celery_worker, free_port, needs_redis_server, start_redis, wait_for
from tests.xsim_server import run_xsim

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    needs_redis_server,
]


def test_a_run_survives_its_broker_going_away():
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    try:
        with run_xsim(seed=5, speed=0) as sim:
            token = sim.user_token("brightline")
            user_id = sim.user_id("brightline")
            account = XAccount.objects.create(
                username="brightline", x_user_id=int(user_id), access_token=token
            )
            source = Source.objects.create(name="Mentions", kind="mentions", account=account)
            sim.fail(path=f"/2/users/{user_id}/mentions", count=50, delay_ms=400)
            env = {"X_API_BASE_URL": sim.url, "REDIS_URL": broker}
            with celery_worker(env=env) as worker:
                with Connection(broker) as connection:
                    pull_source.apply_async((source.pk,), queue=worker.queue, connection=connection)
                assert wait_for(lambda: SourceRun.objects.filter(pages__gte=2).exists(), timeout=60)
                redis.kill()  # the broker goes away mid-run
                redis.wait()
                assert wait_for(
                    lambda: SourceRun.objects.filter(status=SourceRun.Status.OK).exists(),
                    timeout=60,
                ), worker.log()[-3000:]
                stored = Tweet.objects.count()
                assert stored == SourceTweet.objects.count() > 400
                redis = start_redis(port)  # it comes back
                sim.advance(300)
                with Connection(broker) as connection:
                    pull_source.apply_async((source.pk,), queue=worker.queue, connection=connection)
                assert wait_for(
                    lambda: (
                        SourceRun.objects.count() == 2
                        and not SourceRun.objects.filter(status=SourceRun.Status.RUNNING).exists()
                    ),
                    timeout=60,
                ), worker.log()[-3000:]
            second = SourceRun.objects.order_by("started_at").last()
            assert second.status == SourceRun.Status.OK
            assert second.posts_read == second.posts_new  # nothing read twice
            assert Tweet.objects.count() == SourceTweet.objects.count() == stored + second.posts_new
    finally:
        redis.kill()
        redis.wait()


@pytest.mark.django_db
def test_enqueue_with_the_broker_away_loses_nothing(settings):
    """With the broker unreachable, queueing fails quietly; the sources keep their cursor
    and run once it is back."""
    from datetime import timedelta

    from django.utils import timezone

    from socialops.celery import app
    from tests.factories import SourceFactory

    due = [SourceFactory(next_run_at=timezone.now() - timedelta(seconds=1)) for _ in range(2)]
    closed = f"redis://127.0.0.1:{free_port()}/0"
    saved = {
        key: app.conf[key]
        for key in (
            "broker_url",
            "broker_transport",
            "broker_connection_retry",
            "broker_connection_max_retries",
        )
    }
    app.conf.update(
        broker_url=closed,
        # The URL decides, not the transport the settings chose (the embedded one).
        broker_transport=None,
        broker_connection_retry=False,
        broker_connection_max_retries=0,
    )
    try:
        _fresh_producer_pool(app)
        queued = sources_enqueue_due()  # on_commit runs at once outside a transaction
    finally:
        app.conf.update(saved)
        _fresh_producer_pool(app)
    assert sorted(queued) == sorted(s.pk for s in due)
    for source in due:
        source.refresh_from_db()
        assert source.since_id is None and source.lease_token == ""
        assert source.next_run_at <= timezone.now() + source.interval


def _fresh_producer_pool(app) -> None:
    """Drop the app's broker pools, so the next send connects to the broker now configured.
    (app.pool.force_close_all() alone closed the pools that later tests in this process
    share: their sends failed with "Acquire on closed pool".)"""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
