"""Recent search: the query language (unit tests on the parser) and the endpoint (the
7-day window, posts found as they arrive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.xsim_server import XsimHandle
from xsim.query import QueryError, SearchDoc, compile_query


def doc(
    text: str,
    *,
    author: str = "maya",
    lang: str = "en",
    mentions: tuple[str, ...] = (),
    urls: tuple[str, ...] = (),
    retweet: bool = False,
    reply_to: str = "",
) -> SearchDoc:
    return SearchDoc.build(
        text=text,
        author=author,
        lang=lang,
        mentions=list(mentions),
        urls=list(urls),
        is_retweet=retweet,
        is_reply=bool(reply_to),
        is_quote=False,
        conversation_id="42",
        in_reply_to=reply_to,
    )


PRAISE = doc("Closed the month in two days thanks to @brightline. #FinOps rocks")
RT = doc("RT @brightline: New in Brightline Flow: SSO", retweet=True, mentions=("brightline",))
GERMAN = doc("Der Export nach SAP funktioniert nicht, @brightline_help", lang="de")
LINK = doc("Read this https://t.co/abc", urls=("https://brightline.example/blog/flow-sso",))
REPLY = doc("@brightline is this on every plan?", reply_to="brightline", author="tom_k")


@pytest.mark.parametrize(
    ("query", "matching"),
    [
        ("brightline", {"PRAISE", "RT", "REPLY"}),  # tokens: "@brightline" counts, "_help" not
        ("BRIGHTLINE", {"PRAISE", "RT", "REPLY"}),
        ("brightline_help", {"GERMAN"}),
        ("month", {"PRAISE"}),
        ("mon", set()),  # whole tokens only
        ('"two days thanks"', {"PRAISE"}),
        ('"days two"', set()),
        ("@brightline", {"PRAISE", "RT", "REPLY"}),
        ("@brightline_help", {"GERMAN"}),
        ("#finops", {"PRAISE"}),
        ("finops", {"PRAISE"}),
        ("brightline -is:retweet", {"PRAISE", "REPLY"}),
        ("brightline is:retweet", {"RT"}),
        ("brightline is:reply", {"REPLY"}),
        ("sap OR sso", {"RT", "GERMAN"}),
        ("month OR plan every", {"PRAISE", "REPLY"}),  # AND binds tighter than OR
        ("(month OR plan) every", {"REPLY"}),
        ("brightline -(month OR plan)", {"RT"}),
        ("brightline or plan", set()),  # lower-case "or" is a keyword
        ("lang:de export", {"GERMAN"}),
        ("from:tom_k plan", {"REPLY"}),
        ("to:brightline plan", {"REPLY"}),
        ("url:brightline.example", {"LINK"}),
        ("read has:links", {"LINK"}),
        ("brightline -has:mentions", set()),
        ('"new in brightline flow"', {"RT"}),
        ("conversation_id:42 plan", {"REPLY"}),
    ],
)
def test_query_language(query: str, matching: set[str]) -> None:
    docs = {"PRAISE": PRAISE, "RT": RT, "GERMAN": GERMAN, "LINK": LINK, "REPLY": REPLY}
    match = compile_query(query)
    assert {name for name, d in docs.items() if match(d)} == matching


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "No rule was provided"),
        ("(brightline", "Missing closing parenthesis"),
        ("brightline)", "Unexpected ')'"),
        ("-brightline", "non-negation term"),
        ("is:retweet", "non-negation term"),
        ("lang:en", "non-negation term"),
        ("brightline OR", "needs a term on both sides"),
        ("near:Amsterdam brightline", "Reference to invalid operator 'near'"),
        ("brightline is:verified", "Reference to invalid operator 'is:verified'"),
        ("brightline " * 60, "Rule length exceeds the max allowed of 512"),
    ],
)
def test_invalid_queries(query: str, message: str) -> None:
    with pytest.raises(QueryError, match=r"There were errors processing your request") as err:
        compile_query(query)
    assert message in str(err.value)


def search(xsim: XsimHandle, query: str, **params: object) -> list[dict]:
    response = xsim.get("/2/tweets/search/recent", query=query, **params)
    assert response.status == 200, response.text
    return response.json.get("data", [])


def test_search_finds_brand_terms_in_the_synthetic_world(xsim: XsimHandle) -> None:
    found = search(
        xsim, "brightline -is:retweet", max_results=100, tweet_fields="lang,referenced_tweets"
    )
    assert len(found) == 100
    assert not any(r["type"] == "retweeted" for t in found for r in t.get("referenced_tweets", []))
    german = search(xsim, "brightline lang:de", tweet_fields="lang")
    assert german and {t["lang"] for t in german} == {"de"}
    chatter = search(xsim, '"brightline flow" -@brightline -@brightline_help')
    assert chatter, "posts about the brand that do not mention us are searchable too"


def test_new_posts_are_found_and_old_ones_leave_the_7_day_window(xsim: XsimHandle) -> None:
    now = datetime.fromisoformat(xsim.state()["now"].replace("Z", "+00:00"))
    fresh = xsim.inject("Brightline Flow saved our quarter close", author="gwen_ops")
    old = xsim.inject(
        "Brightline Flow saved our quarter close (last month)",
        author="gwen_ops",
        created_at=(now - timedelta(days=8)).isoformat(),
    )
    found = [t["id"] for t in search(xsim, "from:gwen_ops quarter")]
    assert found == [fresh] and old not in found

    xsim.advance(7 * 24 * 3600 + 60)
    assert search(xsim, "from:gwen_ops quarter") == []
    # The post itself still exists; only search's window moved on.
    assert xsim.get(f"/2/tweets/{fresh}").json["data"]["id"] == fresh


def test_start_time_outside_the_window_is_refused(xsim: XsimHandle) -> None:
    now = datetime.fromisoformat(xsim.state()["now"].replace("Z", "+00:00"))
    too_old = (now - timedelta(days=8)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = xsim.get("/2/tweets/search/recent", query="brightline", start_time=too_old)
    assert response.status == 400
    assert "'start_time' must be on or after" in response.json["errors"][0]["message"]
    future = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = xsim.get("/2/tweets/search/recent", query="brightline", end_time=future)
    assert response.status == 400


def test_recent_counts_add_up(xsim: XsimHandle) -> None:
    counts = xsim.get("/2/tweets/counts/recent", query="lang:fr brightline", granularity="day")
    assert counts.status == 200
    total = counts.json["meta"]["total_tweet_count"]
    assert total == sum(bucket["tweet_count"] for bucket in counts.json["data"]) > 0
