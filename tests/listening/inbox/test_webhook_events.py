"""The inbox's webhook events: a conversation created, assigned and resolved each queue
one event (socialops.webhooks) in the change's transaction, carrying the conversation as
the API shows it."""

from __future__ import annotations

import pytest

from listening.inbox.models import Conversation
from listening.inbox.services import conversation_assign, conversation_status_set
from socialops.webhooks.models import Event
from socialops.webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db


def test_created_assigned_and_resolved_are_sent(admin_user, agent, mentions, arrive):
    endpoint_create(
        actor=admin_user,
        url="http://127.0.0.1:9/hook",
        event_types=["conversation.created", "conversation.assigned", "conversation.resolved"],
    )
    arrive(mentions, "@brightline my order never arrived")
    conversation = Conversation.objects.get()
    conversation_assign(actor=agent, conversation=conversation, assignee=agent)
    conversation_status_set(actor=agent, conversation=conversation, status="resolved")
    events = list(Event.objects.order_by("pk").values_list("type", "payload__data__id"))
    assert events == [
        ("conversation.created", conversation.pk),
        ("conversation.assigned", conversation.pk),
        ("conversation.resolved", conversation.pk),
    ]
    # A reply in the same thread adds to the conversation: no second "created".
    arrive(mentions, "@brightline still waiting", conversation=conversation.x_conversation_id)
    assert Event.objects.filter(type="conversation.created").count() == 1
