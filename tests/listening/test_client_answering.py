"""The client's DM reads and sends, replies, quotes and likes: against real recorded DM
answers and the bundled simulator, with X's failures turned into the client's errors,
and the look-ups a send claimed before a crash uses to learn whether X took it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from listening import client as x
from listening.demo import _authorise
from listening.models import XAccount
from listening.services import account_connect

CONVERSATION = "750362064426721281-1072250532645998596"


def _replayed(replay) -> x.XClient:
    return x.XClient(token="recorded", base_url=replay.url, timeout=(2, 2))


def test_recorded_dm_sends_and_reads(replay):
    replay.add_recording("test_manage_and_lookup_direct_messages")
    c = _replayed(replay)
    first = c.send_dm("Testing 1", participant_id=750362064426721281)
    assert first == x.DmSent(1585800613253812228, CONVERSATION)
    second = c.send_dm("Testing 2", dm_conversation_id=CONVERSATION)
    assert second.dm_event_id == 1585800613752881156
    assert c.dm_events_page(pagination_token=None).events == []
    assert c.dm_events_page(pagination_token=None).next_token is None  # an empty page ends it
    page = c.dm_events_page(pagination_token=None, dm_conversation_id=CONVERSATION)
    assert [(e.id, e.text) for e in page.events] == [
        (1585800613752881156, "Testing 2"),
        (1585800613253812228, "Testing 1"),
    ]
    assert page.next_token  # X hands one out even on the last page
    with_them = c.dm_events_page(pagination_token=None, participant_id=750362064426721281)
    assert with_them.event_ids == page.event_ids
    paths = [path.split("?")[0] for _m, path in replay.requests]
    assert f"/2/dm_conversations/{CONVERSATION}/dm_events" in paths
    assert "/2/dm_conversations/with/750362064426721281/dm_events" in paths


def test_send_dm_needs_exactly_one_target():
    c = x.XClient(token="unused", base_url="http://127.0.0.1:9")
    with pytest.raises(ValueError):
        c.send_dm("hi")
    with pytest.raises(ValueError):
        c.send_dm("hi", participant_id=1, dm_conversation_id="1-2")


@pytest.fixture
def sim_client(xsim, settings) -> x.XClient:
    settings.X_API_BASE_URL = xsim.url
    return x.XClient(token=xsim.user_token("brightline_help"))


def _all_events(c: x.XClient, **kwargs) -> list[x.DmEventRecord]:
    events, token = [], None
    while True:
        page = c.dm_events_page(pagination_token=token, **kwargs)
        events += page.events
        token = page.next_token
        if not token:
            return events


def test_dm_events_read_to_the_end_with_senders(xsim, sim_client):
    customer = xsim.world()["people"]["customer"][0]
    xsim.inject_dm(customer["username"], "brightline_help", "I was charged twice this month")
    events = _all_events(sim_client)
    assert len(events) == len({e.id for e in events}) > 5
    assert events == sorted(events, key=lambda e: e.id, reverse=True)
    newest = events[0]
    assert newest.text == "I was charged twice this month"
    assert newest.sender_id == int(customer["id"])
    assert newest.recipient_id == int(xsim.user_id("brightline_help"))
    assert newest.created_at is not None and newest.dm_conversation_id
    page = sim_client.dm_events_page(pagination_token=None, max_results=5)
    assert {u.id for u in page.users} >= {e.sender_id for e in page.events}


def test_a_dm_sent_is_found_again_after_a_crash(xsim, sim_client):
    customer = xsim.world()["people"]["customer"][1]
    me = int(xsim.user_id("brightline_help"))
    claimed_at = timezone.now()
    text = "Sorry about that! Refund is on its way: https://brightline.example/help/refunds"
    assert (
        sim_client.find_sent_dm(
            sender_id=me, text=text, after=claimed_at, participant_id=int(customer["id"])
        )
        is None
    )
    sent = sim_client.send_dm(text, participant_id=int(customer["id"]))
    # The worker died before storing sent.dm_event_id; the retry looks first.
    found = sim_client.find_sent_dm(
        sender_id=me, text=text, after=claimed_at, participant_id=int(customer["id"])
    )
    assert found == sent
    again = sim_client.find_sent_dm(
        sender_id=me, text=text, after=claimed_at, dm_conversation_id=sent.dm_conversation_id
    )
    assert again == sent
    assert [d["text"] for d in xsim.state()["dms_sent"]] == [text]
    sim_client.send_dm("And a follow-up", dm_conversation_id=sent.dm_conversation_id)
    assert len(xsim.state()["dms_sent"]) == 2


def test_reply_quote_and_like_then_find_them(xsim, sim_client):
    me = int(xsim.user_id("brightline_help"))
    mention = int(xsim.inject("@brightline_help is it down? export fails", author="ops_anna"))
    claimed_at = timezone.now()
    reply = sim_client.create_post("@ops_anna Not down: a fix ships today.", in_reply_to=mention)
    quote = sim_client.create_post(
        "Status: exports are back https://status.example/1", quote_tweet_id=mention
    )
    assert (
        sim_client.find_own_post(
            me, text="Not down: a fix ships today.", after=claimed_at, in_reply_to=mention
        )
        == reply
    )
    assert (
        sim_client.find_own_post(
            me,
            text="Status: exports are back https://status.example/1",
            after=claimed_at,
            quote_tweet_id=mention,
        )
        == quote
    )
    assert (
        sim_client.find_own_post(
            me, text="Not down: a fix ships today.", after=claimed_at, quote_tweet_id=mention
        )
        is None
    )
    posted = {p["id"]: p for p in xsim.state()["posts"]}
    assert posted[str(reply)]["in_reply_to_tweet_id"] == str(mention)
    sim_client.like(mention)
    sim_client.like(mention)  # a retried like: X keeps one
    assert [like["tweet_id"] for like in xsim.state()["likes"]] == [str(mention)]
    sim_client.unlike(mention)
    assert xsim.state()["likes"] == []
    with pytest.raises(x.Permanent):
        sim_client.like(1)  # a post that is not there


@pytest.mark.parametrize(
    ("call", "method", "path"),
    [
        (lambda c, who: c.dm_events_page(pagination_token=None), "GET", "/2/dm_events"),
        (
            lambda c, who: c.send_dm("hello", participant_id=who),
            "POST",
            "/2/dm_conversations/with/",
        ),
        (lambda c, who: c.create_post("hi there", in_reply_to=None), "POST", "/2/tweets"),
        (lambda c, who: c.like(who), "POST", "/2/users/"),
    ],
    ids=["dm_events", "send_dm", "reply", "like"],
)
def test_x_failures_become_the_clients_errors(xsim, sim_client, call, method, path):
    customer = int(xsim.world()["people"]["customer"][0]["id"])
    target = customer
    if path == "/2/users/":
        target = int(xsim.inject("@brightline_help thanks!", author="kind_carl"))
        sim_client.me()  # tweepy reads users/me before a like; keep it out of the failure
    xsim.fail(429, method=method, path=path, reset_in=90)
    with pytest.raises(x.RateLimited) as limited:
        call(sim_client, target)
    wait = limited.value.reset_at - dt.datetime.now(dt.UTC)
    assert dt.timedelta(seconds=1) <= wait <= x.MAX_RATE_LIMIT_WAIT
    xsim.fail(503, method=method, path=path)
    with pytest.raises(x.Transient):
        call(sim_client, target)
    xsim.fail(401, method=method, path=path)
    with pytest.raises(x.AuthRevoked):
        call(sim_client, target)
    assert xsim.state()["dms_sent"] == [] and xsim.state()["likes"] == []


@pytest.mark.django_db
def test_a_refused_token_is_refreshed_once_for_a_send(xsim, settings, admin_user):
    settings.X_API_BASE_URL = xsim.url
    tokens = _authorise(xsim.url, "brightline_help")
    me = x.XClient(token=tokens.access_token).me()
    account = account_connect(actor=admin_user, tokens=tokens, me=me)
    xsim.request("POST", "/2/oauth2/revoke", form={"token": account.access_token})
    customer = int(xsim.world()["people"]["customer"][2]["id"])
    sent = x.with_fresh_token(account, lambda c: c.send_dm("Hi!", participant_id=customer))
    account.refresh_from_db()
    assert account.status == XAccount.Status.OK and sent.dm_event_id
    assert len(xsim.state()["dms_sent"]) == 1
