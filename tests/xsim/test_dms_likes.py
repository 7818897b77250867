"""Direct messages and likes in the simulator: inbound DMs arrive at a steady, configurable
rate like mentions do, DM reads are counted as X bills them, and a like is kept once per
account and post however often it is asked for."""

from __future__ import annotations

from typing import Any

from tests.xsim_server import XsimHandle, run_xsim

START = "2026-03-02T09:00:00Z"
DM_FIELDS = {"dm_event.fields": "created_at,sender_id,dm_conversation_id", "max_results": 100}


def all_dm_events(sim: XsimHandle, token: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    page = sim.get("/2/dm_events", token=token, **DM_FIELDS)
    while page.json["meta"]["result_count"]:
        events += page.json["data"]
        page = sim.get(
            "/2/dm_events",
            token=token,
            pagination_token=page.json["meta"]["next_token"],
            **DM_FIELDS,
        )
    return events


def test_inbound_dms_arrive_at_the_configured_rate(
    xsim: XsimHandle, company: dict[str, str], support: dict[str, str]
) -> None:
    before = {e["id"] for t in (company, support) for e in all_dm_events(xsim, t["token"])}
    assert xsim.config(dm_rate=120)["dm_rate"] == 120
    xsim.advance(3600)
    after = [e for t in (company, support) for e in all_dm_events(xsim, t["token"])]
    new = [e for e in after if e["id"] not in before]
    # A Poisson stream of 120 an hour: far from the default 1 an hour, near 120.
    assert 70 <= len(new) <= 180, len(new)
    ours = {company["id"], support["id"]}
    assert all(e["sender_id"] not in ours for e in new)
    assert xsim.state()["dm_rate"] == 120


def test_the_dm_rate_is_a_command_line_option() -> None:
    with run_xsim(seed=2, start=START, speed=0, dm_rate=600) as sim:
        token = sim.user_token("brightline_help")
        first = len(all_dm_events(sim, token))
        sim.advance(600)
        assert len(all_dm_events(sim, token)) - first >= 20
        assert sim.control("POST", "config", {})["dm_rate"] == 600


def test_dm_reads_are_billed_once_a_day_like_posts(
    xsim: XsimHandle, support: dict[str, str]
) -> None:
    events = all_dm_events(xsim, support["token"])
    all_dm_events(xsim, support["token"])  # the same events again, the same UTC day
    reads = xsim.state()["reads"]
    assert reads["dm_events"] == 2 * len(events)
    assert reads["billable_dm_events"] == len(events)


def test_a_like_is_kept_once_and_can_be_undone(xsim: XsimHandle, company: dict[str, str]) -> None:
    mention = xsim.inject("@brightline love the new export", author="happy_customer")
    for _ in range(3):  # a retried like: X answers the same and keeps one
        answer = xsim.post(
            f"/2/users/{company['id']}/likes", {"tweet_id": mention}, token=company["token"]
        )
        assert answer.status == 200 and answer.json == {"data": {"liked": True}}
    assert xsim.state()["likes"] == [
        {"user_id": company["id"], "tweet_id": mention, "liked_at": xsim.state()["now"]}
    ]
    undone = xsim.request(
        "DELETE", f"/2/users/{company['id']}/likes/{mention}", token=company["token"]
    )
    assert undone.json == {"data": {"liked": False}}
    assert xsim.state()["likes"] == []


def test_a_like_needs_the_like_write_scope(xsim: XsimHandle, company: dict[str, str]) -> None:
    mention = xsim.inject("@brightline hello", author="someone_new")
    token = xsim.user_token("brightline", scopes="tweet.read users.read")
    refused = xsim.post(f"/2/users/{company['id']}/likes", {"tweet_id": mention}, token=token)
    assert refused.status == 403 and "like.write" in refused.json["detail"]
