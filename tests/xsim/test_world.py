"""The synthetic world: deterministic per seed, mentions that keep arriving with a
realistic mix, posts and DMs through the API, injection, reset, and the counters the
cost benchmark reads. Plus the cost of 10,000 mentions in a simulated hour."""

from __future__ import annotations

import time
from typing import Any

from tests.xsim_server import XsimHandle, run_xsim
from xsim.server import App, Options

START = "2026-03-02T09:00:00Z"
FIELDS = {
    "tweet.fields": "created_at,author_id,lang,entities,referenced_tweets,public_metrics",
    "expansions": "author_id",
    "user.fields": "description",
}


def snapshot(sim: XsimHandle) -> dict[str, Any]:
    me = sim.user_id("brightline")
    token = sim.user_token("brightline")
    lists = {xl["name"]: xl["id"] for xl in sim.world()["lists"]}
    return {
        "mentions": sim.request(
            "GET", f"/2/users/{me}/mentions", token=token, params={"max_results": 100, **FIELDS}
        ).json,
        "prospects": sim.request(
            "GET", f"/2/lists/{lists['Key prospects']}/tweets", token=token, params=FIELDS
        ).json,
        "search": sim.request(
            "GET",
            "/2/tweets/search/recent",
            token=token,
            params={"query": "brightline lang:es", **FIELDS},
        ).json,
        "members": sim.request(
            "GET", f"/2/lists/{lists['Customers & partners']}/members", token=token
        ).json,
    }


def test_same_seed_same_world_other_seed_other_world() -> None:
    with run_xsim(seed=3, start=START, speed=0) as first:
        first.advance(1800)
        a = snapshot(first)
    with run_xsim(seed=3, start=START, speed=0) as second:
        second.advance(900)
        second.get("/2/tweets/search/recent", query="brightline")  # asked in between
        second.advance(900)
        b = snapshot(second)
    with run_xsim(seed=4, start=START, speed=0) as other:
        other.advance(1800)
        c = snapshot(other)
    assert a == b
    assert a["mentions"]["data"] != c["mentions"]["data"]
    assert a["members"]["data"] != c["members"]["data"]


def test_injecting_leaves_the_seeded_world_alone(xsim: XsimHandle, company: dict) -> None:
    def generated() -> list[str]:
        page = xsim.get(
            f"/2/users/{company['id']}/mentions", token=company["token"], max_results=100
        )
        return [t["id"] for t in page.json["data"] if t["id"] not in injected]

    injected: set[str] = set()
    xsim.advance(600)
    before = generated()
    xsim.reset()
    injected.add(xsim.inject("hello", author="someone_new", mentioning="brightline"))
    xsim.post("/2/tweets", {"text": "A post of ours"}, token=company["token"])
    xsim.advance(600)
    after = generated()
    assert len(after) == 99  # the injected mention took one place on the page
    assert after == before[:99]


def test_mentions_keep_arriving_at_the_configured_rate(
    xsim: XsimHandle, company: dict, support: dict
) -> None:
    xsim.config(mention_rate=600)
    newest = {
        who: xsim.get(f"/2/users/{u['id']}/mentions", token=u["token"]).json["meta"]["newest_id"]
        for who, u in (("company", company), ("support", support))
    }
    xsim.advance(3600)
    arrived: set[str] = set()
    for who, user in (("company", company), ("support", support)):
        params: dict[str, Any] = {"since_id": newest[who], "max_results": 100}
        while True:
            page = xsim.get(f"/2/users/{user['id']}/mentions", token=user["token"], **params)
            arrived.update(t["id"] for t in page.json.get("data", []))
            if "next_token" not in page.json["meta"]:
                break
            params["pagination_token"] = page.json["meta"]["next_token"]
    assert 500 < len(arrived) < 700  # Poisson: 600 expected, sd ~25


def test_mentions_are_a_realistic_mix(xsim: XsimHandle, company: dict) -> None:
    page = xsim.get(
        f"/2/users/{company['id']}/mentions", token=company["token"], max_results=100, **FIELDS
    ).json
    mentions = page["data"]
    langs = {t["lang"] for t in mentions}
    kinds = {r["type"] for t in mentions for r in t.get("referenced_tweets", [])}
    assert "en" in langs and len(langs) >= 3
    assert {"retweeted", "replied_to"} <= kinds
    assert all(
        any(m["username"] in ("brightline", "brightline_help") for m in t["entities"]["mentions"])
        for t in mentions
    )
    assert sum("?" in t["text"] for t in mentions) > 10  # questions
    bios = " ".join(u["description"] for u in page["includes"]["users"])
    assert " at " in bios  # people at customers and target companies


def test_key_prospects_are_ceos_and_cfos_of_target_companies(
    xsim: XsimHandle, company: dict
) -> None:
    key = next(xl["id"] for xl in xsim.world()["lists"] if xl["name"] == "Key prospects")
    members = xsim.get(
        f"/2/lists/{key}/members", token=company["token"], user_fields="description"
    ).json["data"]
    assert len(members) >= 10
    assert all(m["description"].split(" at ")[0] in ("CEO", "CFO", "COO") for m in members)


def test_ids_are_decimal_snowflakes_that_grow_with_time(xsim: XsimHandle, company: dict) -> None:
    page = xsim.get(
        f"/2/users/{company['id']}/mentions",
        token=company["token"],
        max_results=100,
        tweet_fields="created_at",
    ).json["data"]
    assert all(t["id"].isdigit() and len(t["id"]) == 19 for t in page)
    by_time = sorted(page, key=lambda t: t["created_at"])
    assert [t["id"] for t in by_time] == sorted((t["id"] for t in page), key=int)
    # X's snowflake: the creation time is in the top bits.
    ms = (int(page[0]["id"]) >> 22) + 1288834974657
    assert time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) == page[0]["created_at"][:19]


def test_injected_posts_and_replies(xsim: XsimHandle, company: dict) -> None:
    question = xsim.inject(
        "Is there an Italian interface?", author="lucia_fin", mentioning=["brightline"], lang="it"
    )
    reply = xsim.inject("Following, same question", author="marco_ap", in_reply_to=question)
    got = xsim.get(
        "/2/tweets",
        ids=f"{question},{reply}",
        tweet_fields="lang,conversation_id,in_reply_to_user_id,referenced_tweets,author_id",
        expansions="author_id",
    ).json
    q, r = got["data"]
    assert q["text"] == "@brightline Is there an Italian interface?" and q["lang"] == "it"
    assert r["conversation_id"] == q["id"] and r["in_reply_to_user_id"] == q["author_id"]
    assert r["referenced_tweets"] == [{"type": "replied_to", "id": q["id"]}]
    assert {u["username"] for u in got["includes"]["users"]} == {"lucia_fin", "marco_ap"}
    newest = xsim.get(f"/2/users/{company['id']}/mentions", token=company["token"]).json["data"]
    assert newest[0]["id"] == question


def test_posting_replying_and_deleting(xsim: XsimHandle, company: dict, support: dict) -> None:
    mention = xsim.inject(
        "My invoices are stuck!", author="angry_cfo", mentioning="brightline_help"
    )
    created = xsim.post(
        "/2/tweets",
        {
            "text": "Sorry! DM us your account and we'll fix it: https://help.brightline.example/dm",
            "reply": {"in_reply_to_tweet_id": mention},
        },
        token=support["token"],
    )
    assert created.status == 201
    data = created.json["data"]
    assert set(data) == {"id", "text", "edit_history_tweet_ids"} and data[
        "edit_history_tweet_ids"
    ] == [data["id"]]
    assert "https://t.co/" in data["text"]  # X wraps every link
    tweet = xsim.get(
        f"/2/tweets/{data['id']}", tweet_fields="entities,in_reply_to_user_id,conversation_id"
    ).json["data"]
    assert tweet["entities"]["urls"][0]["expanded_url"] == "https://help.brightline.example/dm"
    assert tweet["in_reply_to_user_id"] == xsim.user_id("angry_cfo")
    assert tweet["conversation_id"] == mention

    posts = xsim.state()["posts"]
    assert [(p["id"], p["submitted_text"], p["in_reply_to_tweet_id"]) for p in posts] == [
        (
            data["id"],
            "Sorry! DM us your account and we'll fix it: https://help.brightline.example/dm",
            mention,
        )
    ]
    assert xsim.request("DELETE", f"/2/tweets/{data['id']}", token=support["token"]).json == {
        "data": {"deleted": True}
    }
    assert "errors" in xsim.get(f"/2/tweets/{data['id']}").json
    assert xsim.state()["posts"][0]["deleted"] is True


def test_reposting_once_and_undoing_it(xsim: XsimHandle, company: dict) -> None:
    source = xsim.inject(
        "Our 2026 finance survey is out: https://press.example/survey", author="fin_reporter"
    )
    path = f"/2/users/{company['id']}/retweets"
    first = xsim.post(path, {"tweet_id": source}, token=company["token"])
    assert first.status == 200
    repost_id = first.json["data"]["id"]
    assert first.json == {"data": {"id": repost_id, "retweeted": True}}
    # Asked again (a retried publish): the same repost, not a second one.
    assert xsim.post(path, {"tweet_id": source}, token=company["token"]).json == first.json

    own = xsim.get(
        f"/2/users/{company['id']}/tweets",
        token=company["token"],
        tweet_fields="referenced_tweets,entities,public_metrics",
    ).json["data"]
    assert own[0]["id"] == repost_id
    assert own[0]["referenced_tweets"] == [{"type": "retweeted", "id": source}]
    assert own[0]["text"].startswith("RT @fin_reporter: Our 2026 finance survey is out: ")
    assert own[0]["public_metrics"]["like_count"] == 0
    without = xsim.get(
        f"/2/users/{company['id']}/tweets", token=company["token"], exclude="retweets"
    ).json["data"]
    assert repost_id not in {t["id"] for t in without}
    (sent,) = xsim.state()["posts"]  # counted with the posts the account sent
    assert (sent["id"], sent["reposted_tweet_id"], sent["submitted_text"]) == (
        repost_id,
        source,
        "",
    )

    undo = xsim.request("DELETE", f"{path}/{source}", token=company["token"])
    assert undo.json == {"data": {"retweeted": False}}
    assert "errors" in xsim.get(f"/2/tweets/{repost_id}").json
    assert xsim.state()["posts"][0]["deleted"] is True
    again = xsim.post(path, {"tweet_id": source}, token=company["token"]).json["data"]
    assert again["id"] != repost_id  # undone, it can be reposted anew


def test_reposts_are_refused_for_missing_posts_and_other_users(
    xsim: XsimHandle, company: dict, support: dict
) -> None:
    source = xsim.inject("Worth sharing", author="fin_reporter")
    gone = xsim.post("/2/tweets", {"text": "Soon deleted"}, token=support["token"]).json
    xsim.request("DELETE", f"/2/tweets/{gone['data']['id']}", token=support["token"])
    path = f"/2/users/{company['id']}/retweets"

    deleted = xsim.post(path, {"tweet_id": gone["data"]["id"]}, token=company["token"])
    assert deleted.status == 403 and "deleted or not visible" in deleted.json["detail"]
    assert xsim.post(path, {"tweet_id": "nope"}, token=company["token"]).status == 400
    other = xsim.post(path, {"tweet_id": source}, token=support["token"])
    assert other.status == 403 and "another user" in other.json["detail"]
    app = xsim.post(path, {"tweet_id": source})
    assert app.status == 403 and app.json["title"] == "Unsupported Authentication"
    assert [p["id"] for p in xsim.state()["posts"]] == [gone["data"]["id"]]  # no repost


def test_dms_in_and_out(xsim: XsimHandle, support: dict) -> None:
    customer = xsim.world()["people"]["customer"][3]
    event = xsim.inject_dm(customer["username"], "brightline_help", "Can you reset my 2FA?")
    inbox = xsim.get(
        "/2/dm_events", token=support["token"], dm_event_fields="sender_id,dm_conversation_id"
    ).json
    assert inbox["data"][0] == {
        "id": event,
        "event_type": "MessageCreate",
        "text": "Can you reset my 2FA?",
        "sender_id": customer["id"],
        "dm_conversation_id": inbox["data"][0]["dm_conversation_id"],
    }
    sent = xsim.post(
        f"/2/dm_conversations/with/{customer['id']}/messages",
        {"text": "Done, try again."},
        token=support["token"],
    ).json["data"]
    assert sent["dm_conversation_id"] == inbox["data"][0]["dm_conversation_id"]
    their_view = xsim.get("/2/dm_events", token=xsim.user_token(customer["username"])).json
    assert [e["text"] for e in their_view["data"][:2]] == [
        "Done, try again.",
        "Can you reset my 2FA?",
    ]
    assert xsim.state()["dms_sent"][0]["text"] == "Done, try again."


def test_reset_goes_back_to_the_initial_state(xsim: XsimHandle, company: dict) -> None:
    first = xsim.get(f"/2/users/{company['id']}/mentions", token=company["token"]).json
    start = xsim.state()["now"]
    xsim.advance(7200)
    xsim.post("/2/tweets", {"text": "Something"}, token=company["token"])
    xsim.reset()
    state = xsim.state()
    assert state["now"] == start and state["posts"] == [] and state["requests"] == {}
    assert xsim.get(f"/2/users/{company['id']}/mentions", token=company["token"]).json == first


def test_state_counts_requests_and_reads(xsim: XsimHandle, company: dict) -> None:
    path = f"/2/users/{company['id']}/mentions"
    for _ in range(2):
        xsim.get(path, token=company["token"], max_results=10)
    xsim.get("/2/tweets/search/recent", query="brightline", max_results=10, expansions="author_id")
    state = xsim.state()
    assert state["requests"]["GET /2/users/:id/mentions"] == 2
    assert state["requests"]["GET /2/tweets/search/recent"] == 1
    reads = state["reads"]
    assert state["posts_read"] == reads["posts"] == 30
    assert reads["owned_posts"] == 20 and reads["billable_owned_posts"] == 10  # once a day
    assert reads["billable_posts"] == 10 and reads["users"] >= 1
    assert reads["estimated_cost_usd"] > 0
    counts = state["counts"]
    assert counts["tweets"] > 1000 and counts["users"] > 400 and counts["lists"] == 4


def test_speed_runs_the_clock(xsim: XsimHandle) -> None:
    before = xsim.state()["now_unix"]
    xsim.config(speed=3600)
    time.sleep(0.3)
    xsim.config(speed=0)
    assert 900 < xsim.state()["now_unix"] - before < 3600


def test_ten_thousand_mentions_in_a_simulated_hour_are_cheap() -> None:
    """The benchmark's load: 10,000 mentions arrive in one simulated hour; a poller
    reads them all with since_id every simulated minute, 100 per page, each once. (How
    fast is for `bench api_economy` to say: a time limit here failed on a busy machine.)"""
    app = App(Options(seed=1, start=1_772_442_000.0, speed=0, mention_rate=10_000))
    headers = {"Authorization": "Bearer xsim-app-bearer"}
    me = app.world.company.id

    def get(query: str) -> dict[str, Any]:
        import json

        response = app.handle("GET", f"/2/users/{me}/mentions?{query}", headers, b"")
        assert response.status == 200, response.body
        return json.loads(response.body)

    since_id = get("max_results=5")["meta"]["newest_id"]
    seen: list[str] = []
    for _ in range(60):
        app.clock.advance(60)
        query = f"since_id={since_id}&max_results=100"
        newest = None
        while True:
            page = get(query)
            newest = newest or page["meta"].get("newest_id")
            seen += [t["id"] for t in page.get("data", [])]
            if "next_token" not in page["meta"]:
                break
            query = (
                f"since_id={since_id}&max_results=100&pagination_token={page['meta']['next_token']}"
            )
        since_id = newest or since_id
    assert len(seen) == len(set(seen))
    assert 6_000 < len(seen) < 9_000  # the share of 10,000 that mentions @brightline
