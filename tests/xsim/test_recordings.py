"""Replaying X's real recorded requests (tweepy's cassettes, ../shared/xapi/recordings)
against xsim gives answers of the same shape: same status, same top-level keys, same
keys in data items, includes and meta.

The recorded ids name real accounts, lists and posts; each is mapped to xsim's
counterpart so the request keeps its shape: the authenticated account (TweepyDev) and
@Twitter become @brightline, @TwitterDev becomes @brightline_help, the big public list
becomes "Customers & partners", the looked-up posts become our own posts, DM partners
become customers, and the search query "Tweepy" becomes "brightline".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.xsim.xapi import recordings, xapi_dir
from tests.xsim_server import XsimHandle

RECORDED_HOST = "https://api.twitter.com"
RATE_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")
AUTHENTICATED = "1072250532645998596"  # TweepyDev, the account tweepy's tests ran as


def _interactions() -> list[Any]:
    params = []
    for path in recordings():
        for index, interaction in enumerate(json.loads(path.read_text())):
            params.append(pytest.param(path, index, interaction, id=f"{path.stem}[{index}]"))
    if not params:
        params.append(pytest.param(None, 0, None, id="no-recordings"))
    return params


@dataclass
class Mapping:
    ids: dict[str, str]
    words: dict[str, str]
    token: str
    app_bearer: str
    no_dms_token: str

    def value(self, value: str) -> str:
        if "-" in value and all(part.isdigit() for part in value.split("-")):
            # A one-to-one DM conversation id: both user ids, the smaller first.
            parts = sorted((self.value(p) for p in value.split("-")), key=int)
            return "-".join(parts)
        if value.isdigit() and len(value) >= 5:  # not the "2" of /2/
            if value not in self.ids:
                raise AssertionError(f"recorded id {value} has no xsim counterpart; map it")
            return self.ids[value]
        if "," in value:
            return ",".join(self.value(v) for v in value.split(","))
        return self.words.get(value, value)

    def body(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {k: self.body(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.body(v) for v in node]
        if isinstance(node, str) and re.fullmatch(r"\d{5,}", node):
            return self.value(node)
        return node


@pytest.fixture(scope="module")
def mapping(xsim_server: XsimHandle) -> Mapping:
    xapi_dir()  # skips (outside CI) when ../shared is absent
    sim = xsim_server
    sim.reset()
    world = sim.world()
    me, support = world["accounts"]["brightline"], world["accounts"]["brightline_help"]
    lists = {xl["name"]: xl["id"] for xl in world["lists"]}
    customers = world["people"]["customer"]
    token = sim.user_token("brightline")
    own = sim.request("GET", f"/2/users/{me}/tweets", token=token).json["data"]
    quiet = world["people"]["public"][5]["username"]  # nobody writes them DMs
    return Mapping(
        ids={
            AUTHENTICATED: me,
            "783214": me,  # @Twitter
            "2244994945": support,  # @TwitterDev
            "84839422": lists["Customers & partners"],
            "1293593516040269825": own[0]["id"],
            "1293595870563381249": own[1]["id"],
            "750362064426721281": customers[0]["id"],
            "145336962": customers[1]["id"],
        },
        words={"Twitter": "brightline", "TwitterDev": "brightline_help", "Tweepy": "brightline"},
        token=token,
        app_bearer=sim.app_bearer,
        no_dms_token=sim.user_token(quiet),
    )


def _key_set(value: Any) -> set[str] | None:
    if isinstance(value, dict):
        return set(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return set().union(*(set(v) for v in value))
    return None


def _shape(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        return {"body": type(body).__name__}
    shape: dict[str, Any] = {"top": set(body)}
    for key in ("data", "meta", "errors"):
        if key in body:
            shape[key] = _key_set(body[key])
    for kind, items in body.get("includes", {}).items():
        shape[f"includes.{kind}"] = _key_set(items)
    return shape


def _replay_request(
    mapping: Mapping, interaction: dict[str, Any]
) -> tuple[str, str, Any, str, str]:
    request = interaction["request"]
    recorded = interaction["response"]["json"]
    parts = urlsplit(request["uri"].replace(RECORDED_HOST, ""))
    path = "/".join(mapping.value(segment) for segment in parts.path.split("/"))
    query = [(k, mapping.value(v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    target = path + ("?" + urlencode(query) if query else "")
    body = request.get("body") or None
    if isinstance(body, str | bytes):
        body = json.loads(body)
    body = mapping.body(body) if body is not None else None
    if path == "/2/tweets/counts/recent":
        token = mapping.app_bearer  # X serves counts to app-only tokens
    elif isinstance(recorded, dict) and recorded.get("meta", {}).get("result_count") == 0:
        # The recorded account had nothing there; compare the empty shape, as an account
        # that has nothing either.
        token = mapping.no_dms_token
    else:
        token = mapping.token
    return request["method"], target, body, token, path


@pytest.mark.parametrize(("path", "index", "interaction"), _interactions())
def test_replayed_request_answers_in_the_recorded_shape(
    xsim_server: XsimHandle,
    mapping: Mapping,
    path: Path | None,
    index: int,
    interaction: dict[str, Any] | None,
) -> None:
    if interaction is None:
        xapi_dir()
        pytest.fail(f"no recordings in {xapi_dir() / 'recordings'}")
    method, target, body, token, _ = _replay_request(mapping, interaction)
    response = xsim_server.request(method, target, token=token, json=body)
    recorded = interaction["response"]

    assert response.status == recorded["status"]["code"], response.text
    assert _shape(response.json) == _shape(recorded["json"]), (
        f"{method} {target}\n xsim: {response.text[:600]}\n   X: {json.dumps(recorded['json'])[:600]}"  # noqa: E501
    )
    for header in RATE_HEADERS:
        assert header in recorded["headers"]
        assert response.headers[header].isdigit()
