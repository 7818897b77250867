"""Listening pages: accounts (with the OAuth 2.0 PKCE connect flow), sources and their
forms, the stream and a post's page, through the test client; X is the loopback replay
of real recorded answers."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from listening import views
from listening.models import InboxItem, Source, XAccount
from socialops.fields import decrypt
from tests.factories import (
    MembershipFactory,
    SourceFactory,
    SourceRunFactory,
    SourceTweetFactory,
    TweetFactory,
    XAccountFactory,
    XUserFactory,
)
from tests.recordings import Answer, load

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def member(marketing):
    return MembershipFactory(department=marketing, role="member").user


@pytest.fixture
def account():
    return XAccountFactory()


@pytest.fixture
def x_api(replay, settings):
    settings.X_API_BASE_URL = replay.url
    settings.X_CLIENT_ID = "socialops-test"
    settings.X_CLIENT_SECRET = ""
    settings.X_OAUTH_AUTHORIZE_URL = ""
    return replay


def signed_in(client, user):
    client.force_login(user)
    return client


def source_data(x_account, **overrides):
    return {
        "name": "Brand search",
        "kind": "search",
        "account": x_account.pk,
        "query": "brightline -is:retweet",
        "interval": "5",
        "enabled": "on",
        **overrides,
    }


# --- Every page, for a plain member -----------------------------------------------------


def test_every_page_answers_a_member(client, member, account, marketing):
    source = SourceFactory(account=account, department=marketing, name="Mentions of us")
    tweet = TweetFactory(text="Love the new release")
    SourceTweetFactory(source=source, tweet=tweet)
    SourceRunFactory(source=source)
    c = signed_in(client, member)
    for url in [
        reverse("listening:stream"),
        reverse("listening:sources"),
        reverse("listening:source_create"),
        source.get_absolute_url(),
        tweet.get_absolute_url(),
        reverse("listening:accounts"),
        account.get_absolute_url(),
    ]:
        response = c.get(url)
        assert response.status_code == 200, url
        assert b"<html" in response.content


def test_anonymous_is_sent_to_sign_in(client, account):
    for url in [reverse("listening:stream"), reverse("listening:sources")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_navigation_links_listening(client, member):
    response = signed_in(client, member).get(reverse("listening:stream"))
    html = response.content.decode()
    for name in ["stream", "sources", "accounts"]:
        assert f'href="{reverse(f"listening:{name}")}"' in html


# --- Empty states say what to do next -----------------------------------------------------


def test_empty_states_without_an_account(client, member, admin_user):
    response = signed_in(client, member).get(reverse("listening:sources"))
    assert b"No X account yet" in response.content
    assert b"An organisation admin connects it" in response.content
    response = signed_in(client, member).get(reverse("listening:stream"))
    assert b"No sources yet" in response.content
    assert b"Add a source" in response.content
    response = signed_in(client, admin_user).get(reverse("listening:accounts"))
    assert b"No X accounts yet" in response.content
    assert reverse("listening:account_connect").encode() in response.content


def test_empty_states_with_an_account(client, member, account):
    c = signed_in(client, member)
    assert b"No sources yet" in c.get(reverse("listening:sources")).content
    source = SourceFactory(account=account)
    assert b"No posts yet" in c.get(reverse("listening:stream")).content
    detail = c.get(source.get_absolute_url()).content
    assert b"Nothing read yet" in detail and b"Not run yet" in detail
    filtered = c.get(reverse("listening:stream"), {"q": "nothing like this"}).content
    assert b"No posts match these filters" in filtered


def test_usage_says_no_data_yet_until_a_run_and_then_links_to_the_runs(client, member, account):
    """A source that has not run has no figure (not "0 posts"); once it has, the figure
    links to the source's page, where its runs are listed."""
    c = signed_in(client, member)
    source = SourceFactory(account=account)
    row = c.get(reverse("listening:sources")).content.decode()
    assert row.count("No data yet") == 2 and "0 posts" not in row
    SourceRunFactory(source=source, posts_read=0, cost=0)
    row = c.get(reverse("listening:sources")).content.decode()
    assert "No data yet" not in row
    assert row.count(f'<a href="{source.get_absolute_url()}" title="From 1 run') == 2
    assert "0 posts" in row


# --- Sources: forms with errors in place, nothing half-written ----------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"query": ""}, "query", "A search needs a query"),
        ({"kind": "list", "query": ""}, "x_list_id", "Pick the X list"),
        ({"is_private": "on"}, "is_private", "Only lists can be private"),
        ({"interval": "0.2"}, "interval", "Pull at most every 15 seconds"),
        ({"account": "999999"}, "account", "Select a valid choice"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_source_is_a_field_error(client, member, account, overrides, field, message):
    response = signed_in(client, member).post(
        reverse("listening:source_create"), source_data(account, **overrides)
    )
    assert response.status_code == 422
    html = response.content.decode()
    errors = html.split(f'id="errors-{field}"')[1].split("</ul>")[0]
    assert message in errors
    assert not Source.objects.exists()


def test_bad_source_over_htmx_swaps_only_the_form(client, member, account):
    response = signed_in(client, member).post(
        reverse("listening:source_create"), source_data(account, query=""), **HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert "A search needs a query" in html
    assert 'value="Brand search"' in html  # what was typed is kept


def test_member_adds_a_search(client, member, account, marketing):
    response = signed_in(client, member).post(
        reverse("listening:source_create"),
        source_data(account, department=marketing.pk, interval="0.5"),
    )
    source = Source.objects.get()
    assert response.status_code == 302
    assert response["Location"] == source.get_absolute_url()
    assert (source.kind, source.query, source.owner, source.department) == (
        "search",
        "brightline -is:retweet",
        member,
        marketing,
    )
    assert source.interval == dt.timedelta(seconds=30)
    assert source.enabled


def test_a_list_keeps_only_its_own_fields(client, member, account):
    signed_in(client, member).post(
        reverse("listening:source_create"),
        source_data(account, kind="list", x_list_id="84839422", is_private="on"),
    )
    source = Source.objects.get()
    assert (source.x_list_id, source.is_private, source.query) == (84839422, True, "")


def test_htmx_create_redirects_the_whole_page(client, member, account):
    response = signed_in(client, member).post(
        reverse("listening:source_create"), source_data(account), **HTMX
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == Source.objects.get().get_absolute_url()


def test_viewer_may_not_add_sources(client, marketing, account):
    viewer = MembershipFactory(department=marketing, role="viewer").user
    c = signed_in(client, viewer)
    assert c.get(reverse("listening:source_create")).status_code == 403
    assert c.post(reverse("listening:source_create"), source_data(account)).status_code == 403
    assert b"Add a source" not in c.get(reverse("listening:sources")).content


def test_edit_shows_minutes_and_saves(client, member, account):
    source = SourceFactory(account=account, owner=member, interval=dt.timedelta(seconds=90))
    c = signed_in(client, member)
    form = c.get(reverse("listening:source_edit", args=[source.pk])).content.decode()
    assert 'value="1.5"' in form
    response = c.post(
        reverse("listening:source_edit", args=[source.pk]),
        {"name": "Renamed", "kind": "mentions", "account": account.pk, "interval": "10"},
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert (source.name, source.interval, source.enabled) == (
        "Renamed",
        dt.timedelta(minutes=10),
        False,
    )


def test_edit_with_errors_changes_nothing(client, member, account):
    source = SourceFactory(account=account, owner=member, name="Keep me")
    response = signed_in(client, member).post(
        reverse("listening:source_edit", args=[source.pk]),
        {"name": "Changed", "kind": "search", "account": account.pk, "interval": "5"},
    )
    assert response.status_code == 422
    assert b"A search needs a query" in response.content
    source.refresh_from_db()
    assert (source.name, source.kind) == ("Keep me", "mentions")


def test_only_owner_or_admin_edits(client, member, colleague, admin_user, account):
    source = SourceFactory(account=account, owner=member)
    url = reverse("listening:source_edit", args=[source.pk])
    assert signed_in(client, colleague).get(url).status_code == 403
    assert signed_in(client, admin_user).get(url).status_code == 200
    # The colleague sees the source, without its controls.
    page = signed_in(client, colleague).get(reverse("listening:sources")).content.decode()
    assert source.name in page and "Run now" not in page


def test_toggle_over_htmx_answers_the_row(client, member, account):
    source = SourceFactory(account=account, owner=member, enabled=True)
    response = signed_in(client, member).post(
        reverse("listening:source_toggle", args=[source.pk]), **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="source-{source.pk}"')
    assert "Enable" in html
    source.refresh_from_db()
    assert not source.enabled


def test_toggle_without_javascript_goes_back(client, member, account):
    source = SourceFactory(account=account, owner=member, enabled=False)
    c = signed_in(client, member)
    url = reverse("listening:source_toggle", args=[source.pk])
    assert c.post(url, {"back": "source"})["Location"] == source.get_absolute_url()
    assert c.post(url)["Location"] == reverse("listening:sources")


def test_run_now_queues_once_and_says_so(
    client, member, account, django_capture_on_commit_callbacks
):
    source = SourceFactory(account=account, owner=member)
    with django_capture_on_commit_callbacks() as callbacks:
        response = signed_in(client, member).post(
            reverse("listening:source_run", args=[source.pk]), **HTMX
        )
    assert response.status_code == 200
    assert "Queued" in response.content.decode()
    assert len(callbacks) == 1


def test_delete_keeps_posts(client, member, account):
    source = SourceFactory(account=account, owner=member)
    tweet = SourceTweetFactory(source=source).tweet
    response = signed_in(client, member).post(reverse("listening:source_delete", args=[source.pk]))
    assert response.status_code == 302
    assert not Source.objects.exists()
    assert type(tweet).objects.filter(pk=tweet.pk).exists()


def test_sources_list_adds_up_reads_and_cost(client, member, account):
    source = SourceFactory(account=account, name="Counted")
    now = timezone.now()
    SourceRunFactory(source=source, started_at=now, posts_read=10, cost="0.0500")
    SourceRunFactory(source=source, started_at=now - dt.timedelta(days=3), posts_read=7)
    SourceRunFactory(source=source, started_at=now - dt.timedelta(days=9), posts_read=1000)
    source.last_run_at, source.last_result = now, "rate_limited"
    source.last_error = "X answered 429"
    source.save()
    html = signed_in(client, member).get(reverse("listening:sources")).content.decode()
    assert "10 posts" in html and "17 posts" in html and "1017" not in html
    assert "US$0.050" in html
    assert "Rate-limited" in html and "X answered 429" in html


def test_source_page_lists_its_runs(client, member, account):
    source = SourceFactory(account=account)
    SourceRunFactory(source=source, status="error", error="X answered 503", posts_new=4)
    html = signed_in(client, member).get(source.get_absolute_url()).content.decode()
    assert "Last runs" in html and "X answered 503" in html


@pytest.fixture
def memory_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}
    }
    cache.clear()
    yield
    cache.clear()


def test_owned_lists_are_offered_for_a_connected_account(
    client, member, account, x_api, memory_cache
):
    x_api.add_recording("test_client_get_owned_lists")
    c = signed_in(client, member)
    url = reverse("listening:source_owned_lists")
    html = c.get(url, {"account": account.pk}, **HTMX).content.decode()
    assert "Official Twitter Accounts" in html and 'value="84839422"' in html
    c.get(url, {"account": account.pk}, **HTMX)
    assert len(x_api.requests) == 1  # X allows 15 a window: the answer is kept


def test_owned_lists_fall_back_to_the_id_when_x_fails(client, member, account, x_api, memory_cache):
    x_api.add("GET", f"/2/users/{account.x_user_id}/owned_lists", Answer(503, {"title": "x"}))
    html = signed_in(client, member).get(
        reverse("listening:source_owned_lists"), {"account": account.pk}, **HTMX
    )
    assert b"enter the list" in html.content


# --- Stream and posts -------------------------------------------------------------------


@pytest.fixture
def stream(account, marketing):
    mentions = SourceFactory(account=account, name="Mentions", kind="mentions")
    search = SourceFactory(account=account, name="Search", kind="search", query="brightline")
    alice = XUserFactory(username="alice", name="Alice Ng")
    posts = {
        "mention": TweetFactory(author=alice, text="@brightline my export fails", lang="en"),
        "found": TweetFactory(text="brightline est super", lang="fr", like_count=9),
    }
    SourceTweetFactory(source=mentions, tweet=posts["mention"])
    SourceTweetFactory(source=search, tweet=posts["found"])
    InboxItem.objects.create(
        tweet=posts["mention"],
        account=account,
        department=marketing,
        received_at=timezone.now(),
    )
    return {"mentions": mentions, "search": search, **posts}


def test_stream_shows_posts_newest_first(client, member, stream):
    html = signed_in(client, member).get(reverse("listening:stream")).content.decode()
    assert html.index("brightline est super") < html.index("my export fails")
    assert "Alice Ng" in html and "@alice" in html
    assert "9 likes" in html and "120 impressions" in html
    assert "Inbox: New · Marketing" in html
    assert stream["found"].x_url in html


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"q": "EXPORT"}, "my export fails", "est super"),
        ({"lang": "fr"}, "est super", "my export fails"),
        ({"inbox": "true"}, "my export fails", "est super"),
        ({"mentions": "true"}, "my export fails", "est super"),
        ({"author": "@Alice"}, "my export fails", "est super"),
    ],
)
def test_stream_filters(client, member, stream, params, shown, hidden):
    html = signed_in(client, member).get(reverse("listening:stream"), params).content.decode()
    assert shown in html and hidden not in html


def test_stream_filter_by_source_and_dates(client, member, stream):
    c = signed_in(client, member)
    html = c.get(reverse("listening:stream"), {"source": stream["search"].pk}).content.decode()
    assert "est super" in html and "my export fails" not in html
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    html = c.get(reverse("listening:stream"), {"created_before": yesterday}).content.decode()
    assert "No posts match these filters" in html


def test_stream_filter_over_htmx_answers_the_results(client, member, stream):
    response = signed_in(client, member).get(
        reverse("listening:stream"), {"q": "export"}, HTTP_HX_TARGET="stream-results", **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="stream-results">') and "<html" not in html


def test_load_more_pages_by_keyset(client, member, account, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    source = SourceFactory(account=account)
    posts = [TweetFactory(text=f"post-{i}-end") for i in range(5)]
    for post in posts:
        SourceTweetFactory(source=source, tweet=post)
    c = signed_in(client, member)
    first = c.get(reverse("listening:stream")).content.decode()
    assert "post-4-end" in first and "post-3-end" in first and "post-2-end" not in first
    assert f"before={posts[3].pk}" in first
    more = c.get(reverse("listening:stream"), {"before": posts[3].pk}, **HTMX)
    html = more.content.decode()
    assert "<html" not in html and html.lstrip().startswith("<tr")
    assert "post-2-end" in html and "post-1-end" in html and "post-4-end" not in html
    assert f"before={posts[1].pk}" in html
    last = c.get(reverse("listening:stream"), {"before": posts[1].pk}, **HTMX).content.decode()
    assert "post-0-end" in last and "Load more" not in last


def test_stream_query_count_is_flat(
    client, member, account, django_assert_max_num_queries, monkeypatch
):
    source = SourceFactory(account=account)
    for _ in range(30):
        SourceTweetFactory(source=source)
    c = signed_in(client, member)
    with django_assert_max_num_queries(14):
        assert c.get(reverse("listening:stream")).status_code == 200


def test_stream_export_is_csv_of_the_filtered_posts(client, member, stream):
    response = signed_in(client, member).get(reverse("listening:stream_export"), {"lang": "fr"})
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "brightline est super" in body and "export fails" not in body
    assert body.splitlines()[0].startswith("id,created_at,author_username")


def test_tweet_page_shows_conversation_sources_and_inbox(client, member, stream, account):
    root = stream["mention"]
    reply = TweetFactory(text="Sorry! DM us your account", conversation_id=root.pk)
    SourceTweetFactory(source=stream["mentions"], tweet=reply)
    html = signed_in(client, member).get(root.get_absolute_url()).content.decode()
    assert html.index("my export fails") < html.index("Sorry! DM us your account")
    assert "Mentions" in html and "Read by" in html
    assert "Marketing" in html and "New" in html
    assert root.x_url in html


def test_times_are_in_the_organisation_zone(client, member, account, organisation):
    organisation.time_zone = "Pacific/Auckland"
    organisation.save()
    source = SourceFactory(account=account)
    tweet = TweetFactory(created_at=dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC))
    SourceTweetFactory(source=source, tweet=tweet)
    html = signed_in(client, member).get(reverse("listening:stream")).content.decode()
    assert "5 Jan 2026, 22:30" in html  # UTC+13 in January


def test_unknown_post_is_404(client, member):
    assert signed_in(client, member).get(reverse("listening:tweet", args=[123])).status_code == 404


# --- Accounts ---------------------------------------------------------------------------


def test_accounts_show_health(client, member):
    now = timezone.now()
    XAccountFactory(
        username="limited",
        x_user_id=1,
        status="rate_limited",
        rate_limited_until=now + dt.timedelta(minutes=5),
    )
    XAccountFactory(
        username="revoked", x_user_id=2, status="needs_reconnection", last_error="X said 401"
    )
    XAccountFactory(
        username="expiring", x_user_id=3, token_expires_at=now + dt.timedelta(minutes=3)
    )
    XAccountFactory(
        username="over",
        x_user_id=4,
        status="rate_limited",
        rate_limited_until=now - dt.timedelta(minutes=1),
    )
    html = signed_in(client, member).get(reverse("listening:accounts")).content.decode()
    assert "Rate-limited" in html and "until" in html
    assert "Needs reconnection" in html and "X said 401" in html
    assert "cannot be renewed: reconnect" in html
    row = html.split("@over")[1].split("</tr>")[0]
    assert "OK" in row  # a rate limit whose reset has passed is over
    assert "Connect an X account" not in html  # members read, admins manage


def test_members_may_not_connect_accounts(client, member):
    c = signed_in(client, member)
    assert c.get(reverse("listening:account_connect")).status_code == 403
    assert c.get(reverse("listening:account_add_read_only")).status_code == 403


def test_read_only_account_form(client, admin_user, x_api):
    x_api.add_recording("test_client_get_user")  # /2/users/by/username/Twitter
    c = signed_in(client, admin_user)
    empty = c.post(reverse("listening:account_add_read_only"), {"username": "", "bearer_token": ""})
    assert empty.status_code == 422 and b"This field is required" in empty.content
    response = c.post(
        reverse("listening:account_add_read_only"),
        {"username": "@Twitter", "bearer_token": "app-bearer"},
    )
    assert response.status_code == 302
    account = XAccount.objects.get()
    assert (account.username, account.auth, account.access_token) == (
        "Twitter",
        "app",
        "app-bearer",
    )


def test_read_only_account_with_a_refused_token(client, admin_user, x_api):
    x_api.add("GET", "/2/users/by/username/brightline", Answer(401, {"title": "Unauthorized"}))
    response = signed_in(client, admin_user).post(
        reverse("listening:account_add_read_only"),
        {"username": "brightline", "bearer_token": "wrong"},
    )
    assert response.status_code == 422
    errors = response.content.decode().split('id="errors-bearer_token"')[1].split("</ul>")[0]
    assert "X refused this bearer token" in errors
    assert not XAccount.objects.exists()


def test_connect_with_pkce(client, admin_user, x_api):
    x_api.add(
        "POST",
        "/2/oauth2/token",
        Answer(
            200,
            {
                "token_type": "bearer",
                "access_token": "user-access-token-123",
                "refresh_token": "user-refresh-token-456",
                "expires_in": 7200,
                "scope": "tweet.read users.read offline.access",
            },
        ),
    )
    x_api.add("GET", "/2/users/me", Answer(200, load("test_client_get_me")[0]["response"]["json"]))
    c = signed_in(client, admin_user)

    start = c.get(reverse("listening:account_connect"))
    assert start.status_code == 302
    to_x = urlsplit(start["Location"])
    assert f"{to_x.scheme}://{to_x.netloc}{to_x.path}" == f"{x_api.url}/i/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(to_x.query).items()}
    assert query["code_challenge_method"] == "S256" and query["client_id"] == "socialops-test"
    assert "offline.access" in query["scope"]
    verifier = c.session[views.OAUTH_SESSION_KEY]["verifier"]

    back = c.get(query["redirect_uri"], {"code": "the-code", "state": query["state"]})
    assert back.status_code == 302 and back["Location"] == reverse("listening:accounts")

    token_request = parse_qs(x_api.bodies[x_api.requests.index(("POST", "/2/oauth2/token"))])
    assert token_request["code_verifier"] == [verifier]
    assert token_request["code"] == ["the-code"]
    assert token_request["redirect_uri"] == [query["redirect_uri"]]
    account = XAccount.objects.get()
    assert (account.username, account.x_user_id, account.connected_by) == (
        "TweepyDev",
        1072250532645998596,
        admin_user,
    )
    assert account.access_token == "user-access-token-123"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {XAccount._meta.db_table} WHERE id = %s",
            [account.pk],
        )
        raw_access, raw_refresh = cursor.fetchone()
    assert "user-access-token-123" not in raw_access
    assert "user-refresh-token-456" not in raw_refresh
    assert decrypt(raw_access) == "user-access-token-123"
    assert views.OAUTH_SESSION_KEY not in c.session  # a code is traded once
    page = c.get(reverse("listening:accounts")).content.decode()
    assert "@TweepyDev is connected" in page


def test_connect_refuses_a_foreign_state(client, admin_user, x_api):
    c = signed_in(client, admin_user)
    c.get(reverse("listening:account_connect"))
    response = c.get(reverse("listening:account_callback"), {"code": "c", "state": "forged"})
    assert response.status_code == 302
    assert not XAccount.objects.exists()
    assert ("POST", "/2/oauth2/token") not in x_api.requests


def test_connect_when_x_refuses_the_code(client, admin_user, x_api):
    x_api.add("POST", "/2/oauth2/token", Answer(400, {"error": "invalid_request"}))
    c = signed_in(client, admin_user)
    state = parse_qs(urlsplit(c.get(reverse("listening:account_connect"))["Location"]).query)
    response = c.get(
        reverse("listening:account_callback"), {"code": "c", "state": state["state"][0]}
    )
    assert response.status_code == 302
    assert not XAccount.objects.exists()
    assert b"X did not connect the account" in c.get(reverse("listening:accounts")).content
