"""DMs in the inbox: read by ingestion into DM conversations (by X's dm_conversation_id),
routed like posts, answered by DM through the exactly-once path (a crash after X took
it is reconciled from X's DM events), likes that are one like however often, prospects
told of replies and DMs — and DM conversations seen by their department and admins
only, on pages, API, CSV and search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from listening import client as x
from listening.inbox import sending, services
from listening.inbox.models import Conversation, Message, Reply, ResponseTime
from listening.ingest import source_run
from listening.models import Source, XAccount, XUser
from prospects import services as prospects
from prospects.models import Interaction
from tests.factories import DirectMessageFactory, XUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def help_account(xsim, settings):
    settings.X_API_BASE_URL = xsim.url
    return XAccount.objects.create(
        username="brightline_help",
        x_user_id=int(xsim.user_id("brightline_help")),
        access_token=xsim.user_token("brightline_help"),
    )


@pytest.fixture
def dms(help_account, service):
    return Source.objects.create(name="DMs", kind="dms", account=help_account, department=service)


@pytest.fixture
def customer(xsim):
    """Someone who never wrote to us before (the simulated world's customers have)."""
    xsim.control("POST", "inject", {"users": [{"username": "dana_first_dm"}]})
    return {"username": "dana_first_dm", "id": xsim.user_id("dana_first_dm")}


def _read(xsim, source: Source) -> None:
    xsim.advance(900)  # a fresh window: X allows 15 DM reads in 15 minutes
    assert source_run(source_id=source.pk).status == "ok"


def _sent_dms(xsim, text: str) -> list[dict]:
    return [d for d in xsim.state()["dms_sent"] if d["text"] == text]


def test_a_dm_thread_in_the_inbox_answered_once(xsim, help_account, dms, customer, agent):
    xsim.inject_dm(customer["username"], "brightline_help", "Is it down? I can't log in")
    _read(xsim, dms)
    conversation = Conversation.objects.get(kind="dm", messages__text__startswith="Is it down")
    assert conversation.department.name == "Customer service"
    assert conversation.routed_by == "source"
    assert conversation.author_id == int(customer["id"]) and conversation.status == "open"
    assert conversation.awaiting_since is not None
    (theirs,) = conversation.messages.all()
    assert theirs.kind == "dm" and theirs.direction == "in" and theirs.dm_event_id

    reply = sending.reply_create(
        actor=agent,
        conversation=conversation,
        message=theirs,
        text="Not down: try again now?",
        version=conversation.version,
        kind="dm",
    )
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    assert sending.reply_send(reply_id=reply.pk) == "sent"  # a duplicate task sends nothing
    (sent,) = _sent_dms(xsim, "Not down: try again now?")
    assert sent["dm_conversation_id"] == conversation.dm_conversation_id
    reply.refresh_from_db()
    assert reply.dm_event_id == sent["id"]
    conversation.refresh_from_db()
    assert conversation.status == "waiting" and conversation.first_response_seconds is not None
    assert ResponseTime.objects.get(conversation=conversation).responder == agent

    # Ingestion reads our DM back: the same message, not a second one.
    _read(xsim, dms)
    assert conversation.messages.count() == 2
    ours = conversation.messages.get(direction="out")
    assert ours.dm_event_id == sent["id"] and ours.sent_by == agent

    # They answer: open again, waiting for us.
    xsim.inject_dm(customer["username"], "brightline_help", "Works now, thanks")
    _read(xsim, dms)
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.awaiting_since is not None
    assert conversation.messages.count() == 3

    # Someone answers from x.com: ours, by nobody here, and the wait ends.
    help_client = x.XClient(token=help_account.access_token)
    help_client.send_dm("Glad it works!", dm_conversation_id=conversation.dm_conversation_id)
    _read(xsim, dms)
    conversation.refresh_from_db()
    last = conversation.messages.last()
    assert (last.direction, last.text, last.sent_by) == ("out", "Glad it works!", None)
    assert conversation.status == "waiting" and conversation.awaiting_since is None
    assert list(conversation.response_times.values_list("kind", flat=True)) == ["first", "next"]

    _read(xsim, dms)  # nothing new: nothing twice
    assert conversation.messages.count() == 4
    assert len(_sent_dms(xsim, "Not down: try again now?")) == 1


def test_dm_routing_rule_and_reply_from_page_and_api(
    xsim, dms, customer, sales, colleague, admin_user, client
):
    rep = colleague  # a member of Sales
    services.routing_rule_create(
        actor=admin_user,
        name="DMs about pricing to Sales",
        message_kind="dm",
        keywords="pricing",
        department=sales,
    )
    xsim.inject_dm(customer["username"], "brightline_help", "What is your pricing for 50 seats?")
    _read(xsim, dms)
    conversation = Conversation.objects.get(messages__text__startswith="What is your pricing")
    assert conversation.department == sales and conversation.routed_by == "rule"

    client.force_login(rep)
    page = client.get(conversation.get_absolute_url())
    body = page.content.decode()
    assert page.status_code == 200 and "Direct messages" in body and "Send DM" in body
    message = conversation.messages.get()
    answer = client.post(
        f"/inbox/c/{conversation.pk}/reply/",
        {"message": message.pk, "text": "From 9 € a seat", "version": 0, "kind": "dm"},
    )
    assert answer.status_code == 409  # an old version: refused, shown
    answer = client.post(
        f"/inbox/c/{conversation.pk}/reply/",
        {
            "message": message.pk,
            "text": "From 9 € a seat",
            "version": conversation.version,
            "kind": "dm",
        },
    )
    assert answer.status_code == 302
    reply = Reply.objects.get(kind="dm")
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    assert len(_sent_dms(xsim, "From 9 € a seat")) == 1

    api = APIClient()
    api.force_authenticate(rep)
    conversation.refresh_from_db()
    bad = api.post(
        f"/api/v1/conversations/{conversation.pk}/reply/",
        {"message": message.pk, "kind": "dm"},
        format="json",
    )
    assert bad.status_code == 400 and {"text", "version"} <= bad.json().keys()
    followup = conversation.messages.get(direction="out")
    ok = api.post(
        f"/api/v1/conversations/{conversation.pk}/reply/",
        {
            "message": followup.pk,
            "text": "A demo this week?",
            "version": conversation.version,
            "kind": "dm",
        },
        format="json",
    )
    assert ok.status_code == 202, ok.content
    assert [r["kind"] for r in ok.json()["replies"]] == ["dm", "dm"]


def test_a_dm_x_took_before_the_crash_is_adopted_not_sent_again(xsim, dms, customer, agent):
    xsim.inject_dm(customer["username"], "brightline_help", "Where is my refund?")
    _read(xsim, dms)
    conversation = Conversation.objects.get(messages__text="Where is my refund?")
    reply = sending.reply_create(
        actor=agent,
        conversation=conversation,
        message=conversation.messages.get(),
        text="It left today.",
        version=conversation.version,
        kind="dm",
    )
    # A worker claimed it and X took it; the worker died before storing the event id.
    token = sending._claim(reply.pk)
    x.client_for(dms.account).send_dm(
        "It left today.", dm_conversation_id=conversation.dm_conversation_id
    )
    long_ago = reply.created_at - timedelta(days=1)
    Reply.objects.filter(pk=reply.pk, claim_token=token).update(
        claimed_at=long_ago, first_claimed_at=long_ago
    )
    assert sending.replies_stale_reclaim() == [reply.pk]
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    reply.refresh_from_db()
    (sent,) = _sent_dms(xsim, "It left today.")
    assert reply.reconciled and reply.attempts == 2 and reply.dm_event_id == sent["id"]
    assert conversation.messages.filter(direction="out").count() == 1


def _mention(xsim, service, account, text: str, author: str = "") -> Message:
    mentions, _ = Source.objects.get_or_create(
        name="Mentions", kind="mentions", account=account, defaults={"department": service}
    )
    spec = {"text": text, "mentioning": "brightline"}
    if author:
        spec["author"] = author
    xsim.inject_many([spec])
    assert source_run(source_id=mentions.pk).status == "ok"
    return Message.objects.get(direction="in", text=text)


def test_like_from_the_page_twice_is_one_like(xsim, brightline_account, service, agent, client):
    message = _mention(xsim, service, brightline_account, "@brightline love the new release")
    conversation = message.conversation
    client.force_login(agent)
    for _ in range(2):
        response = client.post(f"/inbox/c/{conversation.pk}/like/", {"message": message.pk})
        assert response.status_code == 302
    like = Reply.objects.get(kind="like")
    version = conversation.version
    assert sending.reply_send(reply_id=like.pk) == "sent"
    # A retry after a crash likes it again on X: still one like.
    Reply.objects.filter(pk=like.pk).update(state="queued")
    assert sending.reply_send(reply_id=like.pk) == "sent"
    likes = [lk for lk in xsim.state()["likes"] if lk["tweet_id"] == str(message.tweet_id)]
    assert len(likes) == 1
    conversation.refresh_from_db()
    assert conversation.version == version and conversation.first_response_at is None
    page = client.get(conversation.get_absolute_url()).content.decode()
    assert "Liked" in page
    bad = client.post(f"/inbox/c/{conversation.pk}/like/", {"message": "x"})
    assert bad.status_code == 400


def test_older_dms_read_later_are_history(service, agent):
    account = XAccount.objects.create(username="brightline_help", x_user_id=42, access_token="t")
    source = Source.objects.create(name="DMs", kind="dms", account=account, department=service)
    them = XUserFactory()
    now = timezone.now()
    newest = DirectMessageFactory(account=account, sender=them, created_at=now, text="Hello?")
    services.dms_ingest(source=source, messages=[newest], now=now)
    conversation = Conversation.objects.get()
    assert conversation.awaiting_since == now
    # X reads newest first: an older page brings their first message, then our answer.
    ours = DirectMessageFactory(
        account=account, sender=XUserFactory(id=42), recipient_id=them.pk, direction="out",
        dm_conversation_id=newest.dm_conversation_id, created_at=now - timedelta(hours=1),
        text="We are here",
    )  # fmt: skip
    first = DirectMessageFactory(
        account=account, sender=them, created_at=now - timedelta(hours=2), text="Hi"
    )
    services.dms_ingest(source=source, messages=[ours, first], now=now)
    conversation.refresh_from_db()
    assert conversation.first_message_at == now - timedelta(hours=2)
    assert conversation.awaiting_since == now  # our answer came between
    assert conversation.status == "open" and not conversation.response_times.exists()
    assert [m.text for m in conversation.messages.all()] == ["Hi", "We are here", "Hello?"]
    services.dms_ingest(source=source, messages=[first], now=now)  # replayed: once
    assert conversation.messages.count() == 3


def test_prospects_hear_of_dms_and_replies(xsim, brightline_account, service, agent, colleague):
    rep = colleague  # a sales rep
    mention = _mention(xsim, service, brightline_account, "@brightline does it do SSO?", "ceo_ann")
    them = XUser.objects.get(username="ceo_ann")
    plist = prospects.prospect_list_create(actor=rep, name="Targets")
    prospect = prospects.prospect_add(actor=rep, prospect_list=plist, handle="@ceo_ann").prospect
    account = XAccount.objects.create(username="brightline_help", x_user_id=42, access_token="t")
    source = Source.objects.create(name="DMs", kind="dms", account=account, department=service)
    now = timezone.now()
    theirs = DirectMessageFactory(account=account, sender=them, created_at=now, text="Pricing?")
    ours = DirectMessageFactory(
        account=account, sender=XUserFactory(id=42), recipient_id=them.pk, direction="out",
        dm_conversation_id=theirs.dm_conversation_id, created_at=now + timedelta(minutes=5),
        text="Sent you the deck",
    )  # fmt: skip
    services.dms_ingest(source=source, messages=[theirs, ours], now=now)
    kinds = sorted(prospect.interactions.filter(kind__startswith="dm").values_list("kind", "ref"))
    assert kinds == [("dm_received", f"dm:{theirs.pk}"), ("dm_sent", f"dm:{ours.pk}")]
    prospect.refresh_from_db()
    assert prospect.stage.key == "conversation"
    services.dms_ingest(source=source, messages=[theirs], now=now)
    assert prospect.interactions.filter(kind__startswith="dm").count() == 2
    assert Interaction.objects.filter(kind="dm_received").count() == 1

    # A public reply to them: on the prospect's timeline, as the agent's.
    reply = sending.reply_create(
        actor=agent,
        conversation=mention.conversation,
        message=mention,
        text="It does: SAML and OIDC.",
        version=mention.conversation.version,
    )
    assert sending.reply_send(reply_id=reply.pk) == "sent"
    reply.refresh_from_db()
    touch = prospect.interactions.get(kind="our_reply")
    assert touch.ref == f"tweet:{reply.x_post_id}" and touch.actor == agent


# --- Who may see a DM conversation: its department (the owner, a member) and admins; a
# colleague in another department does not, on pages, API, CSV and search.

SECRET = "My account number is 99-1234, refund the double charge"


@pytest.fixture
def dm_conversation(marketing):
    account = XAccount.objects.create(username="brightline_help", x_user_id=42, access_token="t")
    source = Source.objects.create(name="DMs", kind="dms", account=account, department=marketing)
    dm = DirectMessageFactory(account=account, text=SECRET)
    services.dms_ingest(source=source, messages=[dm], now=timezone.now())
    conversation = Conversation.objects.get()
    assert conversation.department == marketing and conversation.kind == "dm"
    return conversation


@pytest.mark.parametrize("who", ["owner", "colleague", "admin"])
def test_dm_conversations_three_users(client, dm_conversation, owner, colleague, admin_user, who):
    user, sees = {
        "owner": (owner, True),
        "colleague": (colleague, False),
        "admin": (admin_user, True),
    }[who]
    client.force_login(user)
    code = 200 if sees else 404
    page = client.get(dm_conversation.get_absolute_url())
    assert page.status_code == code and (SECRET in page.content.decode()) is sees
    inbox = client.get(f"/inbox/d/{dm_conversation.department.slug}/")
    assert inbox.status_code == code and (SECRET[:40] in inbox.content.decode()) is sees
    for url in ("/inbox/", "/inbox/?q=refund&kind=dm"):
        assert SECRET[:40] not in client.get(url).content.decode() or sees
    listed = client.get("/api/v1/conversations/?q=refund&kind=dm").json()["results"]
    assert [c["id"] for c in listed] == ([dm_conversation.pk] if sees else [])
    detail = client.get(f"/api/v1/conversations/{dm_conversation.pk}/")
    assert detail.status_code == code
    if sees:
        assert detail.json()["messages"][0]["text"] == SECRET
    csv = b"".join(client.get("/inbox/conversations.csv?q=refund").streaming_content).decode()
    assert ("99-1234" in csv) is sees
    answer = client.post(
        f"/inbox/c/{dm_conversation.pk}/reply/",
        {
            "message": dm_conversation.messages.get().pk,
            "text": "Hi",
            "version": dm_conversation.version,
            "kind": "dm",
        },
    )
    assert answer.status_code == (302 if sees else 404)
    assert Reply.objects.count() == (1 if sees else 0)
