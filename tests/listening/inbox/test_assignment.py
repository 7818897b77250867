"""Automatic assignment: round robin and fewest open, only available agents within
capacity, the oldest waiting first when capacity frees, and away agents' reopened
conversations back in the queue."""

from __future__ import annotations

import pytest

from listening.inbox import services
from listening.inbox.models import Agent, Conversation, DepartmentInbox
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def team(service):
    lead = MembershipFactory(department=service, role="lead").user
    ana = MembershipFactory(department=service, role="member").user
    ben = MembershipFactory(department=service, role="member").user
    for user in (ana, ben):
        Agent.objects.create(department=service, user=user, capacity=2)
    return {"lead": lead, "ana": ana, "ben": ben}


def _assignees() -> list:
    return list(Conversation.objects.order_by("pk").values_list("assignee__username", flat=True))


def test_round_robin_within_capacity_then_the_queue_drains_oldest_first(
    service, team, mentions, arrive
):
    DepartmentInbox.objects.create(department=service, assignment="round_robin")
    for n in range(5):
        arrive(mentions, f"@brightline question {n}")
    ana, ben = team["ana"].username, team["ben"].username
    assert _assignees() == [ana, ben, ana, ben, None]  # capacity 2 each: the fifth waits
    first = Conversation.objects.order_by("pk").first()
    services.conversation_status_set(actor=team["ana"], conversation=first, status="resolved")
    assert _assignees()[4] == ana  # the oldest unassigned went to the freed agent


def test_fewest_open_and_only_available_agents(service, team, mentions, arrive):
    DepartmentInbox.objects.create(department=service, assignment="fewest_open")
    services.agent_set(actor=team["ben"], department=service, user=team["ben"], available=False)
    arrive(mentions, "@brightline a")
    arrive(mentions, "@brightline b")
    arrive(mentions, "@brightline c")
    assert _assignees() == [team["ana"].username, team["ana"].username, None]
    services.agent_set(actor=team["ben"], department=service, user=team["ben"], available=True)
    assert _assignees()[2] == team["ben"].username


def test_a_reopened_conversation_of_an_away_agent_goes_back_to_the_queue(
    service, team, mentions, arrive
):
    DepartmentInbox.objects.create(department=service, assignment="round_robin")
    first = arrive(mentions, "@brightline help")
    conversation = Conversation.objects.get()
    assert conversation.assignee == team["ana"]
    services.conversation_status_set(
        actor=team["ana"], conversation=conversation, status="resolved"
    )
    services.agent_set(actor=team["lead"], department=service, user=team["ana"], available=False)
    arrive(mentions, "@brightline again", conversation=first)
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert conversation.assignee == team["ben"]  # away: back to the queue, then to Ben


def test_capacity_holds_under_concurrent_assignment(service, team, mentions, arrive):
    """Many drains at once never give an agent more than their capacity (the department's
    row is locked for the choice)."""
    import threading

    from django.db import connection

    for n in range(6):
        arrive(mentions, f"@brightline q{n}")
    DepartmentInbox.objects.create(department=service, assignment="fewest_open")

    def drain():
        try:
            services.queue_drain(department_id=service.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    names = _assignees()
    assert names.count(team["ana"].username) == 2
    assert names.count(team["ben"].username) == 2
    assert names.count(None) == 2
