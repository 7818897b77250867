"""Pagination as X does it: since_id/until_id, next_token/previous_token, how far back a
timeline reaches, and the max_results bounds of every endpoint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.xsim_server import XsimHandle, XsimResponse


def mentions(xsim: XsimHandle, user: dict[str, str], **params: object) -> XsimResponse:
    response = xsim.get(f"/2/users/{user['id']}/mentions", token=user["token"], **params)
    assert response.status == 200, response.text
    return response


def ids_of(response: XsimResponse) -> list[str]:
    return [t["id"] for t in response.json.get("data", [])]


def test_since_id_polling_reads_every_mention_exactly_once_while_new_ones_arrive(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    """The rule from X's docs: keep the same since_id while following next_token; the
    next since_id is the first page's newest_id."""
    xsim.config(mention_rate=900)
    start = mentions(xsim, company, max_results=5).json["meta"]["newest_id"]
    since_id, seen = start, []
    for _ in range(5):
        xsim.advance(120)
        page = mentions(xsim, company, since_id=since_id, max_results=5)
        newest = page.json["meta"].get("newest_id")
        seen += ids_of(page)
        while "next_token" in page.json["meta"]:
            xsim.advance(7)  # mentions keep arriving while we page backwards
            page = mentions(
                xsim,
                company,
                since_id=since_id,
                max_results=5,
                pagination_token=page.json["meta"]["next_token"],
            )
            seen += ids_of(page)
        since_id = newest or since_id
    seen += ids_of(mentions(xsim, company, since_id=since_id, max_results=100))

    everything, page = [], mentions(xsim, company, since_id=start, max_results=100)
    everything += ids_of(page)
    while "next_token" in page.json["meta"]:
        page = mentions(
            xsim,
            company,
            since_id=start,
            max_results=100,
            pagination_token=page.json["meta"]["next_token"],
        )
        everything += ids_of(page)
    assert len(seen) > 50
    assert len(seen) == len(set(seen)), "a mention was read twice"
    assert sorted(seen, key=int) == sorted(everything, key=int), "a mention was missed"


def test_pages_are_newest_first_disjoint_and_reach_back_800_mentions(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    collected: list[str] = []
    page = mentions(xsim, company, max_results=100)
    while True:
        ids = ids_of(page)
        meta = page.json["meta"]
        assert meta["result_count"] == len(ids)
        assert ids == sorted(ids, key=int, reverse=True)
        assert (meta["newest_id"], meta["oldest_id"]) == (ids[0], ids[-1])
        collected += ids
        if "next_token" not in meta:
            break
        page = mentions(xsim, company, max_results=100, pagination_token=meta["next_token"])
    assert len(collected) == len(set(collected)) == 800  # X's mention timeline reach


def test_previous_token_leads_back_to_the_newer_page(
    xsim: XsimHandle, company: dict[str, str]
) -> None:
    first = mentions(xsim, company, max_results=10)
    second = mentions(
        xsim, company, max_results=10, pagination_token=first.json["meta"]["next_token"]
    )
    assert "previous_token" not in first.json["meta"]
    back = mentions(
        xsim, company, max_results=10, pagination_token=second.json["meta"]["previous_token"]
    )
    assert ids_of(back) == ids_of(first)
    assert set(ids_of(second)).isdisjoint(ids_of(first))
    assert int(ids_of(second)[0]) < int(ids_of(first)[-1])


def test_until_id_and_time_bounds(xsim: XsimHandle, company: dict[str, str]) -> None:
    newest = mentions(xsim, company, max_results=20, tweet_fields="created_at").json["data"]
    until = newest[10]["id"]
    assert all(int(i) < int(until) for i in ids_of(mentions(xsim, company, until_id=until)))

    start, end = newest[15]["created_at"], newest[5]["created_at"]
    bounded = mentions(xsim, company, start_time=start, end_time=end, tweet_fields="created_at")
    for tweet in bounded.json["data"]:
        assert start <= tweet["created_at"] < end
    # since_id wins over start_time, as X documents.
    both = mentions(xsim, company, since_id=newest[2]["id"], start_time=start)
    assert ids_of(both) == [t["id"] for t in newest[:2]]


def test_nothing_new_is_meta_only(xsim: XsimHandle, company: dict[str, str]) -> None:
    newest = mentions(xsim, company).json["meta"]["newest_id"]
    assert mentions(xsim, company, since_id=newest).json == {"meta": {"result_count": 0}}


def test_list_timeline_meta_has_no_newest_or_oldest_id(xsim: XsimHandle) -> None:
    press = next(xl["id"] for xl in xsim.world()["lists"] if xl["name"] == "Industry press")
    first = xsim.get(f"/2/lists/{press}/tweets", max_results=5)
    assert set(first.json["meta"]) == {"result_count", "next_token"}
    second = xsim.get(
        f"/2/lists/{press}/tweets", max_results=5, pagination_token=first.json["meta"]["next_token"]
    )
    assert set(second.json["meta"]) == {"result_count", "next_token", "previous_token"}
    assert set(ids_of(first)).isdisjoint(ids_of(second))


def test_a_list_timeline_read_in_growing_pages_is_the_same_timeline(xsim: XsimHandle) -> None:
    """Ingestion reads a list in pages of 1, 1, 2, 4, … posts, following each next_token
    with another max_results: the posts and their order are those of pages of 100."""
    press = next(xl["id"] for xl in xsim.world()["lists"] if xl["name"] == "Industry press")
    growing, token, size = [], None, 1
    while len(growing) < 150:
        page = xsim.get(f"/2/lists/{press}/tweets", max_results=size, pagination_token=token)
        assert page.status == 200 and page.json["meta"]["result_count"] == size
        growing += ids_of(page)
        token, size = page.json["meta"]["next_token"], min(100, size * 2)
    first = xsim.get(f"/2/lists/{press}/tweets", max_results=100)
    second = xsim.get(
        f"/2/lists/{press}/tweets",
        max_results=100,
        pagination_token=first.json["meta"]["next_token"],
    )
    assert len(growing) >= 200 and growing[:200] == ids_of(first) + ids_of(second)


def test_offset_pages_for_lists_and_members(xsim: XsimHandle, company: dict[str, str]) -> None:
    path = f"/2/users/{company['id']}/owned_lists"
    names = []
    page = xsim.get(path, token=company["token"], max_results=1)
    while True:
        names += [xl["name"] for xl in page.json["data"]]
        if "next_token" not in page.json["meta"]:
            break
        token = page.json["meta"]["next_token"]
        page = xsim.get(path, token=company["token"], max_results=1, pagination_token=token)
    assert sorted(names) == ["Customers & partners", "Industry press", "Key prospects"]


def test_dm_pages_carry_tokens_until_an_empty_page(
    xsim: XsimHandle, support: dict[str, str]
) -> None:
    """X's DM timelines give next_token even on the last page; the end is an empty page."""
    seen: list[str] = []
    page = xsim.get("/2/dm_events", token=support["token"], max_results=100)
    while page.json["meta"]["result_count"]:
        assert "next_token" in page.json["meta"] and "previous_token" in page.json["meta"]
        seen += ids_of(page)
        page = xsim.get(
            "/2/dm_events",
            token=support["token"],
            max_results=100,
            pagination_token=page.json["meta"]["next_token"],
        )
    assert page.json == {"meta": {"result_count": 0}}
    assert len(seen) == len(set(seen)) > 10


def test_search_pages_with_next_token(xsim: XsimHandle) -> None:
    first = xsim.get("/2/tweets/search/recent", query="brightline", max_results=10)
    token = first.json["meta"]["next_token"]
    second = xsim.get(
        "/2/tweets/search/recent", query="brightline", max_results=10, next_token=token
    )
    alias = xsim.get(
        "/2/tweets/search/recent", query="brightline", max_results=10, pagination_token=token
    )
    assert ids_of(second) == ids_of(alias)
    assert int(ids_of(second)[0]) < int(ids_of(first)[-1])


def test_a_token_from_elsewhere_is_refused(xsim: XsimHandle, company: dict[str, str]) -> None:
    response = xsim.get(f"/2/users/{company['id']}/mentions", pagination_token="n0000000001abcdef")
    assert response.status == 400
    assert response.json["errors"][0]["parameters"] == {"pagination_token": ["n0000000001abcdef"]}


Path = Callable[[dict[str, str], dict[str, str]], str]
BOUNDS: list[tuple[str, Path, int, int]] = [
    ("mentions", lambda ids, _: f"/2/users/{ids['me']}/mentions", 5, 100),
    ("own posts", lambda ids, _: f"/2/users/{ids['me']}/tweets", 5, 100),
    ("search", lambda ids, _: "/2/tweets/search/recent?query=brightline", 10, 100),
    ("list tweets", lambda ids, _: f"/2/lists/{ids['press']}/tweets", 1, 100),
    ("list members", lambda ids, _: f"/2/lists/{ids['press']}/members", 1, 100),
    ("owned lists", lambda ids, _: f"/2/users/{ids['me']}/owned_lists", 1, 100),
    ("followers", lambda ids, _: f"/2/users/{ids['me']}/followers", 1, 1000),
    ("dm events", lambda ids, _: "/2/dm_events", 1, 100),
    ("home", lambda ids, _: f"/2/users/{ids['me']}/timelines/reverse_chronological", 1, 100),
]


@pytest.mark.parametrize(("name", "path", "low", "high"), BOUNDS, ids=[b[0] for b in BOUNDS])
def test_max_results_bounds(
    xsim: XsimHandle, company: dict[str, str], name: str, path: Path, low: int, high: int
) -> None:
    ids = {
        "me": company["id"],
        "press": next(xl["id"] for xl in xsim.world()["lists"] if xl["name"] == "Industry press"),
    }
    url = path(ids, company)
    sep = "&" if "?" in url else "?"
    for bad in (low - 1, high + 1):
        response = xsim.request("GET", f"{url}{sep}max_results={bad}", token=company["token"])
        assert response.status == 400, (bad, response.text)
        error = response.json["errors"][0]
        assert error["parameters"] == {"max_results": [str(bad)]}
        assert error["message"] == (
            f"The `max_results` query parameter value [{bad}] is not between {low} and {high}"
        )
    ok = xsim.request("GET", f"{url}{sep}max_results={low}", token=company["token"])
    assert ok.status == 200, ok.text
    assert ok.json["meta"]["result_count"] <= low
