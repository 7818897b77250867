"""Answers sent exactly once with real parts: a real Celery worker process, the real
simulator (its clock running, as X's does), the real database. A worker SIGKILLed right
after X accepted a reply or a DM (the test-only hook PUBLISH_TEST_KILL_AFTER_SENDS) is
reconciled from X, never sent twice; X's 5xx and 429 are retried by the task and the
answer goes out once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from listening.inbox import sending
from listening.inbox.models import Conversation, Message, Reply
from listening.ingest import source_run
from listening.models import Source, XAccount
from tests.factories import DepartmentFactory, MembershipFactory
from tests.worker import celery_worker, wait_for
from tests.xsim_server import run_xsim

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CLAIM_TIMEOUT = 2


@pytest.fixture(scope="module")
def answersim():
    with run_xsim(seed=6, speed=1, mention_rate=0, start=dt.datetime.now(dt.UTC)) as sim:
        yield sim


@pytest.fixture
def sim(answersim, settings):
    answersim.control("DELETE", "fail")
    settings.X_API_BASE_URL = answersim.url
    yield answersim
    answersim.control("DELETE", "fail")


@pytest.fixture
def queue(settings) -> str:
    name = f"test-answer-{uuid.uuid4().hex[:10]}"
    settings.PUBLISH_QUEUE = name
    settings.PUBLISH_CLAIM_TIMEOUT = CLAIM_TIMEOUT  # the reclaim runs here, in the test
    return name


@pytest.fixture
def inbox(sim):
    """Our account (new on the simulator for each test), Customer service and an agent."""
    username = f"help{uuid.uuid4().hex[:8]}"
    user_id = sim.add_user(username)
    account = XAccount.objects.create(
        username=username, x_user_id=int(user_id), access_token=sim.user_token(username)
    )
    service = DepartmentFactory(name="Customer service", kind="customer_service")
    agent = MembershipFactory(department=service, role="member").user
    return {"account": account, "service": service, "agent": agent}


def worker_env(sim, queue: str, **extra: str) -> dict[str, str]:
    return {
        "X_API_BASE_URL": sim.url,
        "PUBLISH_QUEUE": queue,
        "PUBLISH_CLAIM_TIMEOUT": str(CLAIM_TIMEOUT),
        "PUBLISH_RETRY_BACKOFF": "1",
        "SOCIALOPS_TESTING": "1",
        **extra,
    }


def _mention(sim, inbox, text: str) -> Message:
    account = inbox["account"]
    source, _ = Source.objects.get_or_create(
        name="Mentions", kind="mentions", account=account, department=inbox["service"]
    )
    sim.inject_many([{"text": f"@{account.username} {text}", "mentioning": account.username}])
    assert source_run(source_id=source.pk).status == "ok"
    return Message.objects.get(direction="in", text__endswith=text)


def _replies_on_x(sim, account) -> list[dict]:
    return [p for p in sim.state()["posts"] if p["username"] == account.username]


def _dms_on_x(sim, text: str) -> list[dict]:
    return [d for d in sim.state()["dms_sent"] if d["text"] == text]


def _state(reply: Reply) -> str:
    return Reply.objects.values_list("state", flat=True).get(pk=reply.pk)


def _answer(inbox, message: Message, text: str, kind: str = "reply") -> Reply:
    conversation = Conversation.objects.get(pk=message.conversation_id)
    return sending.reply_create(
        actor=inbox["agent"],
        conversation=conversation,
        message=message,
        text=text,
        version=conversation.version,
        kind=kind,
    )


def _killed_then_reconciled(sim, queue: str, inbox, send) -> Reply:
    """`send()` queues an answer to a worker that dies right after X accepts it; the
    claim times out, the reclaim queues it again, and the next worker finds it on X."""
    env = worker_env(sim, queue)
    with celery_worker(queue=queue, env={**env, "PUBLISH_TEST_KILL_AFTER_SENDS": "1"}) as worker:
        reply = send()
        assert wait_for(lambda: worker.process.poll() is not None, timeout=60), worker.log()
    assert worker.process.returncode == -9
    reply.refresh_from_db()
    assert (reply.state, reply.x_post_id, reply.dm_event_id) == ("sending", None, "")

    # The dead worker's claim times out (the claim's age is the condition: nothing
    # else changes meanwhile).
    assert wait_for(lambda: sending.replies_stale_reclaim() == [reply.pk], timeout=30)
    with celery_worker(queue=queue, env=env) as worker:
        assert wait_for(lambda: _state(reply) == "sent", timeout=60), worker.log()
    reply.refresh_from_db()
    assert reply.reconciled and reply.attempts == 2
    return reply


def test_worker_killed_after_x_accepted_the_reply(sim, queue, inbox):
    message = _mention(sim, inbox, "I was charged twice")
    reply = _killed_then_reconciled(
        sim, queue, inbox, lambda: _answer(inbox, message, "Sorry! Refunding now.")
    )
    (post,) = _replies_on_x(sim, inbox["account"])  # once
    assert post["in_reply_to_tweet_id"] == str(message.tweet_id)
    assert reply.x_post_id == int(post["id"])
    conversation = Conversation.objects.get(pk=message.conversation_id)
    assert conversation.first_response_at is not None and conversation.status == "waiting"
    assert conversation.messages.filter(direction="out").count() == 1


def test_worker_killed_after_x_accepted_the_dm(sim, queue, inbox):
    account = inbox["account"]
    customer = f"cust{uuid.uuid4().hex[:8]}"
    sim.control("POST", "inject", {"users": [{"username": customer}]})
    sim.inject_dm(customer, account.username, "Where is my refund?")
    dms = Source.objects.create(
        name="DMs", kind="dms", account=account, department=inbox["service"]
    )
    assert source_run(source_id=dms.pk).status == "ok"
    message = Message.objects.get(text="Where is my refund?")
    reply = _killed_then_reconciled(
        sim, queue, inbox, lambda: _answer(inbox, message, "It left today.", kind="dm")
    )
    (dm,) = _dms_on_x(sim, "It left today.")
    assert reply.dm_event_id == dm["id"]
    assert message.conversation.messages.filter(direction="out").count() == 1


def test_5xx_is_retried_by_the_task_and_sent_once(sim, queue, inbox):
    message = _mention(sim, inbox, "is it down?")
    sim.fail(503, path="/2/tweets", method="POST", count=2)
    with celery_worker(queue=queue, env=worker_env(sim, queue)) as worker:
        reply = _answer(inbox, message, "Not down: a fix is rolling out.")
        assert wait_for(lambda: _state(reply) == "sent", timeout=60), worker.log()
    assert len(_replies_on_x(sim, inbox["account"])) == 1
    reply.refresh_from_db()
    assert reply.attempts == 3


def test_a_5xx_that_persists_fails_with_xs_message(sim, queue, inbox):
    message = _mention(sim, inbox, "hello?")
    sim.fail(503, path="/2/tweets", method="POST", count=100)
    env = worker_env(sim, queue, PUBLISH_MAX_RETRIES="2")
    with celery_worker(queue=queue, env=env) as worker:
        reply = _answer(inbox, message, "Hi!")
        assert wait_for(lambda: _state(reply) == "failed", timeout=60), worker.log()
    reply.refresh_from_db()
    assert "503" in reply.error and "gave up" in reply.error
    assert _replies_on_x(sim, inbox["account"]) == []


def test_429_waits_then_sends_once(sim, queue, inbox):
    message = _mention(sim, inbox, "anyone there?")
    sim.fail(429, path="/2/tweets", method="POST", reset_in=3)
    with celery_worker(queue=queue, env=worker_env(sim, queue)) as worker:
        reply = _answer(inbox, message, "Yes, here!")
        assert wait_for(lambda: _state(reply) == "sent", timeout=60), worker.log()
    assert len(_replies_on_x(sim, inbox["account"])) == 1
    reply.refresh_from_db()
    assert reply.attempts >= 2
