"""The demo (`make run`'s worker runs demo_x): after its first reads the inbox holds
replies sent to the simulator, first-response times and an answered DM thread; a restart
sends nothing again."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from departments.demo import demo_load
from listening.inbox.models import Conversation, Reply
from listening.models import XAccount

pytestmark = pytest.mark.django_db


def test_demo_x_answers_conversations_and_a_dm_once(organisation, xsim, settings):
    settings.X_API_BASE_URL = xsim.url
    demo_load(today=timezone.localdate())
    call_command("demo_x", stdout=io.StringIO())

    account = XAccount.objects.get(username="brightline")
    replies = Reply.objects.filter(state="sent")
    public = replies.filter(kind="reply")
    assert public.count() == 3 and replies.filter(kind="dm").count() == 1
    on_x = [p for p in xsim.state()["posts"] if p["username"] == account.username]
    answers = [p for p in on_x if p["in_reply_to_tweet_id"]]
    assert {int(p["id"]) for p in answers} == set(public.values_list("x_post_id", flat=True))
    for reply in public:
        assert reply.conversation.first_response_seconds is not None
        assert reply.conversation.department.kind == "customer_service"
    thread = Conversation.objects.get(replies__kind="dm")
    assert thread.kind == "dm" and thread.messages.filter(direction="out").exists()
    assert thread.messages.filter(direction="in").exists()
    dms = [
        d for d in xsim.state()["dms_sent"] if d["dm_conversation_id"] == thread.dm_conversation_id
    ]
    assert len(dms) == 1

    call_command("demo_x", stdout=io.StringIO())  # a restart
    assert Reply.objects.count() == 4
    assert len([p for p in xsim.state()["posts"] if p["username"] == account.username]) == len(on_x)
