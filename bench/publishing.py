"""Publishing: 1,000 due posts sent by 2 real Celery worker processes to the simulator,
with two beats ticking at once.

Reports posts/s from the first tick to the last post stored as published, and what the
simulator received: duplicates (ceiling 0) and missing posts (ceiling 0), beside the
ceiling of the same sends made straight through the X client from 2 threads (no claims,
no database, no broker). X allows 100 posts per account per 15 minutes, so the posts
come from 10 accounts."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

POSTS = 1_000
ACCOUNTS = 10  # 100 posts each: X's limit per account per 15 minutes
WORKERS = 2
TICK = 0.5  # seconds between beats (two beats each time)
TIMEOUT = 600.0
CEILING_POSTS = 200


def run() -> None:
    from django.utils import timezone

    from campaigns.calendar.tasks import publish_due
    from campaigns.models import ScheduledPost
    from listening.client import XClient
    from listening.models import XAccount
    from tests.factories import DepartmentFactory, UserFactory
    from tests.worker import celery_worker
    from tests.xsim_server import run_xsim

    tag = uuid.uuid4().hex[:6]
    queue = f"bench-publish-{tag}"
    with run_xsim(seed=12, speed=1, mention_rate=0, start=datetime.now(UTC)) as sim:
        ceiling = _ceiling(sim, XClient, tag)

        department = DepartmentFactory(name=f"Bench publishing {tag}")
        owner = UserFactory()
        accounts = []
        for n in range(ACCOUNTS):
            username = f"pb{tag}{n}"
            user_id = sim.add_user(username)
            accounts.append(
                XAccount.objects.create(
                    username=username,
                    x_user_id=int(user_id),
                    access_token=sim.user_token(username),
                )
            )
        due = timezone.now() - timedelta(seconds=1)
        ScheduledPost.objects.bulk_create(
            ScheduledPost(
                account=accounts[i % ACCOUNTS],
                department=department,
                owner=owner,
                created_by=owner,
                category="tips",
                text=f"Benchmark post {i} of {POSTS}: plan the week ahead ({tag})",
                status=ScheduledPost.Status.SCHEDULED,
                scheduled_at=due,
            )
            for i in range(POSTS)
        )
        posts = ScheduledPost.objects.filter(department=department)
        env = {"X_API_BASE_URL": sim.url, "PUBLISH_QUEUE": queue}

        with (
            celery_worker(queue=queue, env=env) as first,
            celery_worker(queue=queue, env=env) as second,
        ):
            started = time.monotonic()
            published = 0
            while time.monotonic() - started < TIMEOUT:
                publish_due.apply_async(queue=queue)  # two beats at once
                publish_due.apply_async(queue=queue)
                time.sleep(TICK)
                published = posts.filter(status=ScheduledPost.Status.PUBLISHED).count()
                if published == POSTS:
                    break
            elapsed = time.monotonic() - started
            if published < POSTS:
                for worker in (first, second):
                    print(worker.log()[-2000:])

        received = sim.state()["posts"]
    texts = Counter(p["submitted_text"] for p in received if p["username"].startswith(f"pb{tag}"))
    wanted = set(posts.values_list("text", flat=True))
    duplicates = sum(n - 1 for n in texts.values() if n > 1)
    missing = len(wanted - set(texts))
    statuses = Counter(posts.values_list("status", flat=True))
    print(
        f"Publishing, {POSTS:,} due posts, {WORKERS} workers, two beats every {TICK:g} s: "
        f"{published / elapsed:,.0f} posts/s ({published:,} published in {elapsed:.1f} s; "
        f"ceiling {ceiling:,.0f} posts/s straight through the client from {WORKERS} threads) "
        f"| duplicates {duplicates} (ceiling 0) | missing {missing} (ceiling 0)"
    )
    if set(statuses) != {ScheduledPost.Status.PUBLISHED}:
        print(f"  statuses: {dict(statuses)}")


def _ceiling(sim, client_class, tag: str) -> float:
    """The same POST /2/tweets, sent straight through the client from WORKERS threads."""
    clients = []
    for n in range(WORKERS):
        username = f"pc{tag}{n}"
        sim.add_user(username)
        clients.append(client_class(token=sim.user_token(username), base_url=sim.url))
    each = CEILING_POSTS // WORKERS

    def send(client) -> None:
        for i in range(each):
            client.create_post(f"Ceiling post {i} ({tag})")

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return each * WORKERS / (time.monotonic() - started)
