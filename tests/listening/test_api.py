"""The listening API under /api/v1/: accounts (health, never tokens), sources (CRUD through
the services, a run action) and tweets (the stream's filters, cursor pages)."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from listening.models import Source
from socialops.models import AuditEvent
from tests.factories import (
    MembershipFactory,
    SourceFactory,
    SourceTweetFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


@pytest.fixture
def account():
    return XAccountFactory(refresh_token="refresh-secret", token_expires_at=dt.datetime.now(dt.UTC))


def search_payload(x_account, **overrides):
    return {
        "name": "Brand search",
        "kind": "search",
        "account": x_account.pk,
        "query": "brightline -is:retweet",
        "interval": 120,
        **overrides,
    }


# --- Authentication -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["accounts", "sources", "tweets"])
def test_anonymous_gets_401(path, account):
    response = APIClient().get(f"/api/v1/{path}/")
    assert response.status_code == 401


def test_anonymous_cannot_run(account):
    source = SourceFactory(account=account)
    assert APIClient().post(f"/api/v1/sources/{source.pk}/run/").status_code == 401


# --- Accounts -------------------------------------------------------------------------


def test_accounts_show_health_never_tokens(member, account):
    response = client_for(member).get("/api/v1/accounts/")
    assert response.status_code == 200
    (body,) = response.json()["results"]
    assert body["username"] == "brightline"
    assert body["x_user_id"] == "783214"
    assert body["health"]["state"] == "ok"
    assert body["token_expires_soon"] is True
    assert "reconnect" not in body["health"]["token_warning"]  # it has a refresh token
    text = response.content.decode()
    assert "user-token" not in text and "refresh-secret" not in text
    assert "access_token" not in body and "refresh_token" not in body


def test_accounts_are_read_only(admin_user, account):
    client = client_for(admin_user)
    assert client.post("/api/v1/accounts/", {"username": "x"}).status_code == 405
    assert client.delete(f"/api/v1/accounts/{account.pk}/").status_code == 405
    assert client.get(f"/api/v1/accounts/{account.pk}/").json()["auth"] == "user"


# --- Sources: CRUD --------------------------------------------------------------------


def test_create_read_update_delete(member, account, marketing):
    client = client_for(member)

    created = client.post(
        "/api/v1/sources/", search_payload(account, department="marketing"), format="json"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner"] == member.username
    assert body["interval"] == 120
    assert body["department"]["slug"] == "marketing"
    assert body["account"] == {"id": account.pk, "username": "brightline"}
    source = Source.objects.get()
    assert source.interval == dt.timedelta(minutes=2)

    assert client.get(f"/api/v1/sources/{source.pk}/").json()["query"] == source.query

    patched = client.patch(
        f"/api/v1/sources/{source.pk}/", {"enabled": False, "interval": 900}, format="json"
    )
    assert patched.status_code == 200
    assert (patched.json()["enabled"], patched.json()["interval"]) == (False, 900)

    put = client.put(
        f"/api/v1/sources/{source.pk}/",
        {
            "name": "Our list",
            "kind": "list",
            "account": account.pk,
            "x_list_id": "1578516295611748353",
            "is_private": True,
        },
        format="json",
    )
    assert put.status_code == 200, put.json()
    assert put.json()["x_list_id"] == "1578516295611748353"  # a string: 64-bit ids
    assert put.json()["is_private"] is True

    assert client.delete(f"/api/v1/sources/{source.pk}/").status_code == 204
    assert not Source.objects.exists()
    actions = set(
        AuditEvent.objects.filter(object_type="listening.source").values_list("action", flat=True)
    )
    assert actions == {"create", "update", "delete"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"query": ""}, "query"),
        ({"kind": "list", "query": ""}, "x_list_id"),
        ({"is_private": True}, "is_private"),
        ({"interval": 10}, "interval"),
        ({"interval": 0}, "interval"),
        ({"account": 999999}, "account"),
        ({"kind": "podcast"}, "kind"),
        ({"department": "nowhere"}, "department"),
        ({"x_list_id": "not-a-number", "kind": "list"}, "x_list_id"),
    ],
)
def test_bad_input_is_400_with_field_errors(member, account, overrides, field):
    response = client_for(member).post(
        "/api/v1/sources/", search_payload(account, **overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Source.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bad_update_changes_nothing(member, account):
    source = SourceFactory(account=account, owner=member, name="Keep")
    response = client_for(member).patch(
        f"/api/v1/sources/{source.pk}/", {"name": "New", "kind": "search"}, format="json"
    )
    assert response.status_code == 400 and "query" in response.json()
    source.refresh_from_db()
    assert (source.name, source.kind) == ("Keep", "mentions")


def test_only_owner_or_admin_changes_a_source(member, colleague, admin_user, account):
    source = SourceFactory(account=account, owner=member)
    url = f"/api/v1/sources/{source.pk}/"
    assert client_for(colleague).get(url).status_code == 200
    assert client_for(colleague).patch(url, {"name": "x"}, format="json").status_code == 403
    assert client_for(colleague).delete(url).status_code == 403
    assert client_for(admin_user).patch(url, {"name": "y"}, format="json").status_code == 200


def test_viewer_may_not_add(marketing, account):
    viewer = MembershipFactory(department=marketing, role="viewer").user
    response = client_for(viewer).post("/api/v1/sources/", search_payload(account), format="json")
    assert response.status_code == 403


def test_sources_filter(member, account):
    SourceFactory(account=account, kind="mentions", name="M")
    SourceFactory(account=account, kind="search", query="q", name="S")
    response = client_for(member).get("/api/v1/sources/", {"kind": "search"})
    assert [s["name"] for s in response.json()["results"]] == ["S"]


def test_run_action_queues_and_answers_202(
    member, colleague, account, django_capture_on_commit_callbacks
):
    source = SourceFactory(account=account, owner=member)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(member).post(f"/api/v1/sources/{source.pk}/run/")
    assert response.status_code == 202
    assert response.json() == {"queued": True}
    assert len(callbacks) == 1
    assert client_for(colleague).post(f"/api/v1/sources/{source.pk}/run/").status_code == 403
    assert client_for(member).post("/api/v1/sources/999999/run/").status_code == 404


# --- Tweets ---------------------------------------------------------------------------


@pytest.fixture
def posts(account):
    source = SourceFactory(account=account, name="Search", kind="search", query="x")
    author = XUserFactory(username="carol")
    tweets = [TweetFactory(text=f"post {i}", author=author) for i in range(5)]
    for tweet in tweets:
        SourceTweetFactory(source=source, tweet=tweet)
    return source, tweets


def test_tweets_newest_first_in_cursor_pages(member, posts):
    source, tweets = posts
    client = client_for(member)
    first = client.get("/api/v1/tweets/", {"page_size": 2}).json()
    assert [t["id"] for t in first["results"]] == [str(tweets[4].pk), str(tweets[3].pk)]
    assert first["results"][0]["author"]["username"] == "carol"
    assert first["results"][0]["sources"] == [source.pk]
    assert first["results"][0]["url"] == tweets[4].x_url
    seen = [t["id"] for t in first["results"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [t["id"] for t in page["results"]]
    assert seen == [str(t.pk) for t in reversed(tweets)]


def test_tweets_filters_match_the_stream(member, posts, account):
    other = SourceFactory(account=account, name="Mentions")
    SourceTweetFactory(source=other, tweet=TweetFactory(text="hello there", lang="de"))
    client = client_for(member)
    assert [t["text"] for t in client.get("/api/v1/tweets/", {"q": "HELLO"}).json()["results"]] == [
        "hello there"
    ]
    assert len(client.get("/api/v1/tweets/", {"source": posts[0].pk}).json()["results"]) == 5
    assert len(client.get("/api/v1/tweets/", {"lang": "de"}).json()["results"]) == 1
    assert len(client.get("/api/v1/tweets/", {"mentions": "true"}).json()["results"]) == 1
    bad = client.get("/api/v1/tweets/", {"source": 999999})
    assert bad.status_code == 400 and "source" in bad.json()


def test_tweet_retrieve(member, posts):
    tweet = posts[1][0]
    response = client_for(member).get(f"/api/v1/tweets/{tweet.pk}/")
    assert response.status_code == 200
    assert response.json()["text"] == "post 0"
    assert response.json()["inbox"] is None
    assert client_for(member).get("/api/v1/tweets/1/").status_code == 404


def test_tweets_query_count_is_flat(member, account, django_assert_max_num_queries):
    source = SourceFactory(account=account)
    for _ in range(25):
        SourceTweetFactory(source=source)
    with django_assert_max_num_queries(6):
        assert client_for(member).get("/api/v1/tweets/").status_code == 200


def test_listening_endpoints_are_in_the_schema(member):
    schema = client_for(member).get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/sources/{id}/run/"]
    assert "202" in paths["/api/v1/sources/{id}/run/"]["post"]["responses"]
    assert "get" in paths["/api/v1/tweets/"] and "get" in paths["/api/v1/accounts/{id}/"]
    account_fields = schema["components"]["schemas"]["Account"]["properties"]
    assert "access_token" not in account_fields and "refresh_token" not in account_fields
