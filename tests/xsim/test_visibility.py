"""Who may see what: private lists only for their owner; non-public metrics only for the
author's own posts of the last 30 days, in a user context."""

from __future__ import annotations

import pytest

from tests.xsim_server import XsimHandle

PRIVATE = "non_public_metrics,organic_metrics"


def lists_by_name(xsim: XsimHandle) -> dict[str, str]:
    return {xl["name"]: xl["id"] for xl in xsim.world()["lists"]}


def callers(xsim: XsimHandle, company: dict, support: dict, outsider: dict) -> dict[str, str]:
    return {
        "owner": company["token"],
        "colleague": support["token"],  # our other account: not the owner either
        "outsider": outsider["token"],
        "app": xsim.app_bearer,
    }


def test_owned_lists_show_private_lists_to_their_owner_only(
    xsim: XsimHandle, company: dict, support: dict, outsider: dict
) -> None:
    path = f"/2/users/{company['id']}/owned_lists"
    seen = {
        who: {xl["name"] for xl in xsim.get(path, token=token, list_fields="private").json["data"]}
        for who, token in callers(xsim, company, support, outsider).items()
    }
    assert seen["owner"] == {"Key prospects", "Industry press", "Customers & partners"}
    for who in ("colleague", "outsider", "app"):
        assert seen[who] == {"Industry press", "Customers & partners"}, who


@pytest.mark.parametrize("suffix", ["", "/members", "/tweets"])
def test_a_private_list_answers_only_its_owner(
    xsim: XsimHandle, company: dict, support: dict, outsider: dict, suffix: str
) -> None:
    key_prospects = lists_by_name(xsim)["Key prospects"]
    for who, token in callers(xsim, company, support, outsider).items():
        response = xsim.get(f"/2/lists/{key_prospects}{suffix}", token=token)
        assert response.status == 200
        if who == "owner":
            assert response.json["data"], response.text
        else:
            assert "data" not in response.json, who
            error = response.json["errors"][0]
            assert error["type"] == "https://api.twitter.com/2/problems/not-authorized-for-resource"
            assert error["resource_id"] == key_prospects


def test_prospects_on_the_private_list_post_now_and_then(xsim: XsimHandle, company: dict) -> None:
    key_prospects = lists_by_name(xsim)["Key prospects"]
    members = xsim.get(f"/2/lists/{key_prospects}/members", token=company["token"]).json["data"]
    member_ids = {m["id"] for m in members}
    first = xsim.get(
        f"/2/lists/{key_prospects}/tweets", token=company["token"], tweet_fields="author_id"
    )
    assert {t["author_id"] for t in first.json["data"]} <= member_ids
    newest = first.json["data"][0]["id"]
    xsim.advance(6 * 3600)
    later = xsim.get(f"/2/lists/{key_prospects}/tweets", token=company["token"], max_results=20)
    assert int(later.json["data"][0]["id"]) > int(newest)


def test_the_owner_sees_private_metrics_of_recent_own_posts(
    xsim: XsimHandle, company: dict
) -> None:
    response = xsim.get(
        f"/2/users/{company['id']}/tweets",
        token=company["token"],
        max_results=20,
        tweet_fields=f"public_metrics,{PRIVATE},created_at",
    )
    posts = response.json["data"]
    assert len(posts) == 20 and "errors" not in response.json
    with_links = [p for p in posts if "url_link_clicks" in p["non_public_metrics"]]
    assert with_links, "our posts carry links, and their clicks"
    for post in with_links:
        assert {"impression_count", "url_link_clicks", "user_profile_clicks", "engagements"} <= set(
            post["non_public_metrics"]
        )
        assert "url_link_clicks" in post["organic_metrics"]
        assert (
            post["organic_metrics"]["impression_count"]
            == post["public_metrics"]["impression_count"]
        )


def test_metrics_of_own_posts_grow_over_time(xsim: XsimHandle, company: dict) -> None:
    posted = xsim.post(
        "/2/tweets",
        {"text": "Spring release notes: https://brightline.example/spring"},
        token=company["token"],
    ).json["data"]["id"]

    def metrics() -> dict:
        tweet = xsim.get(f"/2/tweets/{posted}", token=company["token"], tweet_fields=PRIVATE)
        return tweet.json["data"]["non_public_metrics"]

    at_once = metrics()
    xsim.advance(3 * 3600)
    later = metrics()
    xsim.advance(2 * 24 * 3600)
    much_later = metrics()
    assert at_once["impression_count"] == 0
    assert 0 < later["impression_count"] < much_later["impression_count"]
    assert later["url_link_clicks"] <= much_later["url_link_clicks"]
    assert much_later["url_link_clicks"] > 0


def test_private_metrics_stop_after_30_days(xsim: XsimHandle, company: dict) -> None:
    path = f"/2/users/{company['id']}/tweets"
    everything = xsim.get(path, token=company["token"], max_results=100)
    oldest = everything.json["data"][-1]
    response = xsim.get(path, token=company["token"], max_results=100, tweet_fields=PRIVATE)
    errors = response.json["errors"]
    assert errors, "posts older than 30 days have no private metrics"
    field_error = "https://api.twitter.com/2/problems/not-authorized-for-field"
    assert {e["type"] for e in errors} == {field_error}
    refused = {e["resource_id"] for e in errors}
    assert oldest["id"] in refused
    assert refused.isdisjoint(t["id"] for t in response.json["data"])
    assert len(response.json["data"]) + len(refused) == 100
    assert len(errors) == 2 * len(refused)  # one error per post and refused field


def test_private_metrics_of_someone_else_are_refused(
    xsim: XsimHandle, company: dict, support: dict
) -> None:
    path = f"/2/users/{company['id']}/tweets"
    as_colleague = xsim.get(path, token=support["token"], tweet_fields="non_public_metrics")
    assert "data" not in as_colleague.json
    assert as_colleague.json["errors"][0]["field"] == "non_public_metrics"
    as_app = xsim.get(path, tweet_fields="organic_metrics")
    assert as_app.status == 403
    assert as_app.json["title"] == "Unsupported Authentication"
    public = xsim.get(path, tweet_fields="public_metrics")
    assert all("public_metrics" in t for t in public.json["data"])
