from __future__ import annotations

import datetime as dt
import os
import signal
import uuid

import pytest

from campaigns.links import buffer

# The real key names, for tests whose Redis is private (a worker process uses these).
REAL_KEYS = {"QUEUE_KEY": buffer.QUEUE_KEY, "PROCESSING_PREFIX": buffer.PROCESSING_PREFIX}


@pytest.fixture(autouse=True)
def _fresh_buffer(monkeypatch):
    """Each test gets its own Redis keys (a developer's running app may share the Redis)
    and no remembered outage."""
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setattr(buffer, "QUEUE_KEY", f"test:{tag}:clicks:queue")
    monkeypatch.setattr(buffer, "PROCESSING_PREFIX", f"test:{tag}:clicks:processing:")
    buffer.reset()
    yield
    if buffer.enabled():
        try:
            client = buffer.client()
            keys = list(client.scan_iter(match=f"test:{tag}:*"))
            if keys:
                client.delete(*keys)
        except buffer.Unavailable:
            pass
    buffer.reset()


needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") and not os.environ.get("CI"),
    reason="needs Redis: set REDIS_URL (CI does)",
)


@pytest.fixture
def campaign(marketing):
    from campaigns.models import Campaign

    return Campaign.objects.create(
        department=marketing,
        name="Spring launch",
        objective="sales",
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 4, 30),
        status=Campaign.Status.RUNNING,
        utm_campaign="spring-launch",
    )


@pytest.fixture
def link(owner, campaign):
    from campaigns.links.services import link_create

    return link_create(
        actor=owner,
        destination="https://shop.example.com/spring?ref=home#top",
        campaign=campaign,
        utm_content="hero",
    )


# --- The editorial calendar's and the publishing tests' fixtures -------------------------
# (were tests/campaigns/test_posts_fixtures.py and test_publishing_support.py; their plain
# helpers are in tests/campaigns/helpers.py)


@pytest.fixture
def account(db):
    from tests.factories import XAccountFactory

    return XAccountFactory()


@pytest.fixture
def legal(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(name="Legal", kind="legal")


@pytest.fixture
def pr(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(name="PR", kind="pr")


@pytest.fixture
def legal_lead(legal):
    from tests.factories import MembershipFactory

    return MembershipFactory(department=legal, role="lead").user


@pytest.fixture
def pr_lead(pr):
    from tests.factories import MembershipFactory

    return MembershipFactory(department=pr, role="lead").user


@pytest.fixture
def writer(marketing):
    """A member of Marketing who writes posts (the owner, Marketing's lead, approves)."""
    from tests.factories import MembershipFactory

    return MembershipFactory(department=marketing, role="member").user


@pytest.fixture
def viewer(marketing):
    from tests.factories import MembershipFactory

    return MembershipFactory(department=marketing, role="viewer").user


@pytest.fixture
def marketing_campaign(marketing):
    from campaigns.models import Campaign

    return Campaign.objects.create(
        department=marketing,
        name="Winter launch",
        objective="sales",
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2027, 1, 31),
        status=Campaign.Status.RUNNING,
        utm_campaign="winter-launch",
    )


@pytest.fixture
def offer_rule(marketing, legal):
    """Marketing's offer posts need Legal's approval."""
    from campaigns.models import ApprovalRule

    return ApprovalRule.objects.create(
        department=marketing, approver_department=legal, category="offer"
    )


@pytest.fixture
def make_draft(account, marketing):
    from campaigns.calendar import services
    from tests.campaigns.helpers import in_days

    def make(actor, **overrides):
        fields = {
            "account": account,
            "department": marketing,
            "category": "tips",
            "text": "Tip: plan your week's posts on Monday.",
            "scheduled_at": in_days(2),
        }
        fields.update(overrides)
        return services.post_create(actor=actor, **fields)

    return make


# `pubsim` is a simulator of the test session's own whose clock runs with real time
# (speed 1, starting now, no generated mentions): reconciliation compares the times X gives
# posts with our claim times, as it would against X. Each test posts from an X account of
# its own (`x_account`), so the simulator needs no reset between tests and what it received
# is counted per account.


@pytest.fixture(scope="session")
def pubsim():
    from tests.xsim_server import run_xsim

    start = dt.datetime.now(dt.UTC)
    with run_xsim(seed=4, speed=1, mention_rate=0, start=start) as sim:
        yield sim


@pytest.fixture
def sim(pubsim, settings):
    """The publishing simulator, with no forced failure left from an earlier test, and the
    product pointed at it."""
    pubsim.control("DELETE", "fail")
    settings.X_API_BASE_URL = pubsim.url
    yield pubsim
    pubsim.control("DELETE", "fail")


@pytest.fixture
def x_account(sim, db):
    from tests.campaigns.helpers import new_x_account

    return new_x_account(sim)


# --- A Redis of the test's own -----------------------------------------------------------


@pytest.fixture
def private_redis(tmp_path, settings, monkeypatch):
    """A redis-server of this test's own on a free port, so the test can kill it and hang
    it without touching anyone's Redis; yields it (as {"process": ...}) and a restart()
    that brings it back with what its append-only file held."""
    from tests.worker import free_port, start_redis

    port = free_port()
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(buffer, "SKIP_AFTER_FAILURE_SECONDS", 0.2)
    # A Redis that is up always answers in time here, however busy the machine (with the
    # redirect's 100 ms a slow answer sent a click straight to the database, and "all
    # buffered" failed); a killed one refuses at once. Tests that hang it set their own.
    settings.CLICK_BUFFER_TIMEOUT_MS = 10_000
    buffer.reset()
    data = tmp_path / "redis"
    data.mkdir()
    server = {"process": start_redis(port, data)}

    def restart():
        server["process"] = start_redis(port, data)

    yield server, restart
    process = server["process"]
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)
        process.kill()
    process.wait()
