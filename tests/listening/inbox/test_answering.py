"""Answering on X exactly once, against the bundled simulator: threaded replies, the
version check (409), one answer per message, two agents racing, X's 5xx and refusals,
reconciling after a crash, and the first-response time."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from listening import client as x
from listening.inbox import sending, services
from listening.inbox.models import Conversation, Message, Reply, ResponseTime
from listening.ingest import source_run
from listening.models import Source
from tests.factories import DepartmentFactory, MembershipFactory


def _sent(xsim, account) -> list[dict]:
    return [p for p in xsim.state()["posts"] if p["username"] == account.username]


@pytest.fixture
def inbox(xsim, brightline_account):
    """A Customer service inbox fed by the mentions of @brightline, with two agents."""
    service = DepartmentFactory(name="Customer service", kind="customer_service")
    source = Source.objects.create(
        name="Mentions", kind="mentions", account=brightline_account, department=service
    )
    ana = MembershipFactory(department=service, role="member").user
    ben = MembershipFactory(department=service, role="member").user
    return {"source": source, "ana": ana, "ben": ben, "account": brightline_account}


def _arrive(xsim, inbox, texts: list[str]) -> list[Message]:
    xsim.inject_many([{"text": t, "mentioning": "brightline"} for t in texts])
    assert source_run(source_id=inbox["source"].pk).status == "ok"
    # The simulated world has mentions of its own: these are the injected ones.
    return list(Message.objects.filter(direction="in", text__in=texts).order_by("pk"))


@pytest.mark.django_db
def test_reply_goes_out_threaded_once_and_times_the_first_response(xsim, inbox):
    (message,) = _arrive(xsim, inbox, ["@brightline I was charged twice"])
    conversation = message.conversation
    reply = sending.reply_create(
        actor=inbox["ana"],
        conversation=conversation,
        message=message,
        text="Sorry! Refunding now.",
        version=conversation.version,
    )
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    assert sending.reply_send(reply_id=reply.pk) == "sent"  # a duplicate task: nothing sent
    (post,) = _sent(xsim, inbox["account"])
    assert post["in_reply_to_tweet_id"] == str(message.tweet_id)
    reply.refresh_from_db()
    assert reply.x_post_id == int(post["id"])
    conversation.refresh_from_db()
    assert conversation.status == "waiting"
    assert conversation.first_response_at is not None
    assert conversation.first_response_seconds is not None
    assert conversation.awaiting_since is None
    assert ResponseTime.objects.get().kind == "first"
    assert conversation.messages.filter(direction="out", x_post_id=reply.x_post_id).exists()


@pytest.mark.django_db
def test_a_reply_written_before_a_change_is_refused_with_409(client, xsim, inbox):
    (message,) = _arrive(xsim, inbox, ["@brightline is it down?"])
    conversation = message.conversation
    loaded = conversation.version
    services.note_add(actor=inbox["ben"], conversation=conversation, text="On it")
    with pytest.raises(sending.VersionConflict):
        sending.reply_create(
            actor=inbox["ana"],
            conversation=conversation,
            message=message,
            text="Hi",
            version=loaded,
        )
    client.force_login(inbox["ana"])
    answer = client.post(
        f"/api/v1/conversations/{conversation.pk}/reply/",
        {"message": message.pk, "text": "Hi", "version": loaded},
        content_type="application/json",
    )
    assert answer.status_code == 409
    page = client.post(
        f"/inbox/c/{conversation.pk}/reply/",
        {"message": message.pk, "text": "Hi", "version": loaded, "kind": "reply"},
    )
    assert page.status_code == 409 and "changed since you opened it" in page.content.decode()
    assert not Reply.objects.exists()
    bad = client.post(
        f"/api/v1/conversations/{conversation.pk}/reply/",
        {"message": message.pk, "text": "", "version": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and {"text", "version"} <= bad.json().keys()


@pytest.mark.django_db(transaction=True)
def test_two_agents_replying_at_once_100_times_send_100_replies(xsim, inbox):
    messages = _arrive(xsim, inbox, [f"@brightline question {n}" for n in range(100)])
    assert len(messages) == 100
    outcomes: list[str] = []
    lock = threading.Lock()

    def answer(agent, message, version):
        try:
            sending.reply_create(
                actor=agent,
                conversation=message.conversation,
                message=message,
                text=f"Answer from {agent.username} to {message.pk}",
                version=version,
            )
            result = "ok"
        except sending.VersionConflict:
            result = "409"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    for message in messages:
        version = Conversation.objects.get(pk=message.conversation_id).version
        start = threading.Barrier(2)

        def race(agent, message=message, version=version, start=start):
            start.wait()
            answer(agent, message, version)

        threads = [threading.Thread(target=race, args=(a,)) for a in (inbox["ana"], inbox["ben"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes.count("ok") == 100 and outcomes.count("409") == 100
    for reply in Reply.objects.all():
        assert sending.reply_send(reply_id=reply.pk) == "sent"
    sent = _sent(xsim, inbox["account"])
    assert len(sent) == 100
    targets = [p["in_reply_to_tweet_id"] for p in sent]
    assert len(set(targets)) == 100  # never two answers to one message
    assert set(targets) == {str(m.tweet_id) for m in messages}


@pytest.mark.django_db
def test_5xx_is_retried_and_sent_once_and_a_refusal_shows_xs_message(xsim, inbox):
    first, second = _arrive(xsim, inbox, ["@brightline one", "@brightline two"])
    reply = sending.reply_create(
        actor=inbox["ana"],
        conversation=first.conversation,
        message=first,
        text="Thanks!",
        version=first.conversation.version,
    )
    xsim.fail(503, path="/2/tweets", method="POST")
    with pytest.raises(x.Transient):
        sending.reply_send(reply_id=reply.pk)
    assert Reply.objects.get(pk=reply.pk).state == "queued"
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    assert len(_sent(xsim, inbox["account"])) == 1

    refused = sending.reply_create(
        actor=inbox["ana"],
        conversation=second.conversation,
        message=second,
        text="x" * 280 + "",
        version=second.conversation.version,
    )
    xsim.fail(403, path="/2/tweets", method="POST")
    assert sending.reply_send(reply_id=refused.pk) == "failed"
    refused.refresh_from_db()
    assert refused.error  # X's own message, shown on the conversation page
    assert len(_sent(xsim, inbox["account"])) == 1


@pytest.mark.django_db
def test_a_reply_x_took_before_the_crash_is_adopted_not_sent_again(xsim, inbox):
    (message,) = _arrive(xsim, inbox, ["@brightline where is my order?"])
    reply = sending.reply_create(
        actor=inbox["ana"],
        conversation=message.conversation,
        message=message,
        text="Checking your order now.",
        version=message.conversation.version,
    )
    # A worker claimed it and X took it; the worker died before storing the id.
    token = sending._claim(reply.pk)
    client = x.client_for(inbox["account"])
    client.create_post(reply.text, in_reply_to=message.tweet_id)
    # Long ago: the claim has timed out (and the simulator's frozen clock, which stamps
    # the post, lies before the first claim minus the skew otherwise).
    long_ago = reply.created_at.replace(year=2000)
    Reply.objects.filter(pk=reply.pk, claim_token=token).update(
        claimed_at=long_ago, first_claimed_at=long_ago
    )
    assert sending.replies_stale_reclaim() == [reply.pk]
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    reply.refresh_from_db()
    assert reply.reconciled and reply.attempts == 2
    assert len(_sent(xsim, inbox["account"])) == 1
