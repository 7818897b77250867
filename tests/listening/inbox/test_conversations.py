"""Conversations from ingestion: grouping, routing, reopening, the mentions metric's rows,
and who may see them on pages, the API, the CSV export and search (three users)."""

from __future__ import annotations

import pytest

from listening.inbox import services
from listening.inbox.models import Conversation, Event, Message, RoutingRule
from listening.models import InboxItem, Source
from tests.factories import MembershipFactory, XUserFactory

pytestmark = pytest.mark.django_db


def test_a_thread_is_one_conversation_and_a_new_message_reopens_it(mentions, arrive, agent):
    first = arrive(mentions, "@brightline my invoice is wrong")
    arrive(mentions, "@brightline hello?", conversation=first)
    conversation = Conversation.objects.get()
    assert conversation.messages.count() == 2
    assert conversation.version == 2
    services.conversation_status_set(actor=agent, conversation=conversation, status="resolved")
    arrive(mentions, "@brightline still wrong", conversation=first)
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert conversation.resolved_at is not None
    assert conversation.events.filter(action=Event.Action.STATUS).count() == 2


def test_a_page_replayed_adds_nothing_twice(mentions, arrive):
    from django.utils import timezone

    from listening import client as x
    from listening.inbox.services import messages_ingest

    pk = arrive(mentions, "@brightline hi")
    tweet = Message.objects.get().tweet
    data = {"id": str(pk), "text": tweet.text, "author_id": str(tweet.author_id)}
    messages_ingest(source=mentions, tweets=[x.tweet_values(data)], now=timezone.now())
    assert Message.objects.count() == 1
    assert InboxItem.objects.count() == 1


def test_rules_in_order_then_the_source_then_the_default(mentions, arrive, sales, marketing):
    RoutingRule.objects.create(
        position=1,
        name="Buyers",
        keywords="pricing, demo",
        exclude_keywords="refund",
        department=sales,
        priority="high",
    )
    RoutingRule.objects.create(
        position=2, name="Big accounts", min_followers=5000, department=marketing
    )
    arrive(mentions, "@brightline can I get a demo?")
    arrive(mentions, "@brightline pricing refund please")  # NOT keyword: no
    arrive(mentions, "@brightline hi there", followers=10_000)
    rows = {c.preview: c for c in Conversation.objects.all()}
    buyer = rows["@brightline can I get a demo?"]
    assert (buyer.department, buyer.routed_by, buyer.routing_rule.name) == (sales, "rule", "Buyers")
    assert buyer.priority == "high"
    refund = rows["@brightline pricing refund please"]
    assert refund.department == mentions.department and refund.routed_by == "source"
    assert rows["@brightline hi there"].department == marketing
    # The mentions metric's rows follow the routing.
    assert InboxItem.objects.filter(department=sales).count() == 1


def test_rule_on_language_kind_and_verified(mentions, arrive, sales, account):
    RoutingRule.objects.create(
        name="Spanish replies", language="es", message_kind="reply", department=sales
    )
    arrive(mentions, "@brightline hola", lang="es")  # a mention, not a reply
    arrive(mentions, "@brightline hola otra vez", lang="es", reply_to_user=account.x_user_id)
    kinds = dict(Conversation.objects.values_list("preview", "department__kind"))
    assert kinds == {"@brightline hola": "customer_service", "@brightline hola otra vez": "sales"}


def test_a_private_prospect_list_routes_to_its_owners_department(account, arrive, sales, mentions):
    rep = MembershipFactory(department=sales, role="member").user
    prospects = Source.objects.create(
        name="Prospects", kind="list", x_list_id=5, is_private=True, owner=rep, account=account
    )
    arrive(prospects, "@brightline we are evaluating vendors")
    conversation = Conversation.objects.get()
    assert conversation.department == sales
    assert conversation.routed_by == "private_list"
    assert conversation.private_to == rep
    assert not InboxItem.objects.exists()  # read only privately: not counted for everyone


def test_the_prospect_list_wins_whichever_source_reads_first(account, arrive, sales, mentions):
    rep = MembershipFactory(department=sales, role="member").user
    prospects = Source.objects.create(
        name="Prospects", kind="list", x_list_id=5, is_private=True, owner=rep, account=account
    )
    author = XUserFactory()
    pk = arrive(mentions, "@brightline we are evaluating vendors", author=author)
    assert Conversation.objects.get().department == mentions.department
    # The list reads the same post afterwards.
    from django.db import transaction
    from django.utils import timezone

    from listening import client as x
    from listening.inbox.services import messages_ingest
    from listening.models import SourceTweet

    SourceTweet.objects.create(source=prospects, tweet_id=pk, seen_at=timezone.now())
    data = {
        "id": str(pk),
        "text": "@brightline we are evaluating vendors",
        "author_id": str(author.pk),
        "entities": {"mentions": [{"username": "brightline"}]},
    }
    with transaction.atomic():
        messages_ingest(source=prospects, tweets=[x.tweet_values(data)], now=timezone.now())
    conversation = Conversation.objects.get()
    assert conversation.department == sales
    assert conversation.private_to is None  # the mentions source read it: shared
    assert InboxItem.objects.get().department == sales  # the metric's row moved too


def test_our_own_posts_and_unrelated_posts_are_not_conversations(account, arrive, service):
    search = Source.objects.create(
        name="Brand", kind="search", query="brightline", account=account, department=service
    )
    arrive(search, "brightline is a nice word", mentioning=())
    assert not Conversation.objects.exists()
    arrive(search, "hey @brightline", mentioning=("brightline",))
    assert Conversation.objects.count() == 1


# --- Who may see what: the owner (a member of the department), a colleague in another
# department, an admin; and a rep's private list.


@pytest.fixture
def complaint(mentions, arrive):
    arrive(mentions, "@brightline charged twice, refund please")
    return Conversation.objects.get()


def test_pages_three_users(client, complaint, agent, colleague, admin_user):
    for user, code in ((agent, 200), (colleague, 404), (admin_user, 200)):
        client.force_login(user)
        assert client.get(complaint.get_absolute_url()).status_code == code
        page = client.get(f"/inbox/d/{complaint.department.slug}/")
        assert page.status_code == code
        if code == 200:
            assert "charged twice" in page.content.decode()


def test_api_csv_and_search_three_users(client, complaint, agent, colleague, admin_user):
    for user, sees in ((agent, True), (colleague, False), (admin_user, True)):
        client.force_login(user)
        listed = client.get("/api/v1/conversations/?q=charged").json()["results"]
        assert [c["id"] for c in listed] == ([complaint.pk] if sees else [])
        detail = client.get(f"/api/v1/conversations/{complaint.pk}/")
        assert detail.status_code == (200 if sees else 404)
        csv = b"".join(client.get("/inbox/conversations.csv?q=charged").streaming_content).decode()
        assert ("charged twice" in csv) is sees


def test_a_private_list_conversation_is_its_owners_alone(
    client, account, arrive, sales, admin_user
):
    rep = MembershipFactory(department=sales, role="member").user
    other_rep = MembershipFactory(department=sales, role="member").user
    prospects = Source.objects.create(
        name="Prospects", kind="list", x_list_id=5, is_private=True, owner=rep, account=account
    )
    arrive(prospects, "@brightline we are evaluating vendors")
    conversation = Conversation.objects.get()
    for user, sees in ((rep, True), (other_rep, False), (admin_user, False)):
        client.force_login(user)
        assert client.get(conversation.get_absolute_url()).status_code == (200 if sees else 404)
        listed = client.get("/api/v1/conversations/").json()["results"]
        assert bool(listed) is sees
        csv = b"".join(client.get("/inbox/conversations.csv").streaming_content).decode()
        assert ("evaluating" in csv) is sees


def test_api_actions_and_field_errors(client, complaint, agent, colleague):
    client.force_login(agent)
    url = f"/api/v1/conversations/{complaint.pk}/"
    bad = client.post(url + "status/", {"status": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and "status" in bad.json()
    assert client.post(url + "notes/", {}, content_type="application/json").json().keys() == {
        "text"
    }
    done = client.post(
        url + "assign/", {"assignee": agent.username}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["assignee"] == agent.username
    refused = client.post(
        url + "assign/", {"assignee": colleague.username}, content_type="application/json"
    )
    assert refused.status_code == 400 and "assignee" in refused.json()
    note = client.post(url + "notes/", {"text": "Checked billing"}, content_type="application/json")
    assert note.status_code == 201 and note.json()["notes"][0]["text"] == "Checked billing"
    client.force_login(colleague)
    assert (
        client.post(url + "notes/", {"text": "x"}, content_type="application/json").status_code
        == 404
    )


def test_page_actions(client, complaint, agent):
    client.force_login(agent)
    url = complaint.get_absolute_url()
    client.post(url + "assign/", {"assignee": "me"})
    client.post(url + "note/", {"text": "Looking into it"})
    client.post(url + "status/", {"status": "waiting"})
    assert client.post(url + "status/", {"status": "bogus"}).status_code == 400
    complaint.refresh_from_db()
    assert (complaint.assignee, complaint.status) == (agent, "waiting")
    page = client.get(url).content.decode()
    assert "Looking into it" in page and "Assigned" in page
    mine = client.get("/inbox/").content.decode()
    assert "charged twice" in mine


def test_routing_page_is_for_admins(client, agent, admin_user, service):
    client.force_login(agent)
    assert client.get("/inbox/routing/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/inbox/routing/").status_code == 200
    bad = client.post("/inbox/routing/", {"name": "", "position": 1})
    assert bad.status_code == 400
    ok = client.post(
        "/inbox/routing/",
        {"name": "Refunds", "position": 1, "keywords": "refund", "department": service.pk},
    )
    assert ok.status_code == 302 and RoutingRule.objects.get().name == "Refunds"
