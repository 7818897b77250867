"""Who sees a private list and its posts: its owner (a sales rep) and nobody else — not a
colleague in another department, not an organisation admin — in pages, the API, exports
and filters alike. A post that a shared source read as well is everyone's; the private
list that also read it stays hidden."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from rest_framework.test import APIClient

from listening import selectors
from tests.factories import (
    MembershipFactory,
    SourceFactory,
    SourceRunFactory,
    SourceTweetFactory,
    TweetFactory,
    XAccountFactory,
)

pytestmark = pytest.mark.django_db

PRIVATE_TEXT = "Prospect Dana is evaluating vendors"
SHARED_TEXT = "Brightline support answered in minutes"


@pytest.fixture
def rep(sales):
    """A sales rep: a plain member of Sales, owner of the private list."""
    return MembershipFactory(department=sales, role="member").user


@pytest.fixture
def world(rep):
    account = XAccountFactory()
    private = SourceFactory(
        account=account,
        name="Dana prospects Q3",
        kind="list",
        x_list_id=1234,
        is_private=True,
        owner=rep,
    )
    public = SourceFactory(account=account, name="Mentions", kind="mentions")
    secret = TweetFactory(text=PRIVATE_TEXT)
    shared = TweetFactory(text=SHARED_TEXT)
    reply = TweetFactory(text="Private reply in the thread", conversation_id=shared.pk)
    SourceTweetFactory(source=private, tweet=secret)
    SourceTweetFactory(source=private, tweet=shared)
    SourceTweetFactory(source=public, tweet=shared)
    SourceTweetFactory(source=private, tweet=reply)
    SourceRunFactory(source=private)
    return {"private": private, "public": public, "secret": secret, "shared": shared}


@pytest.fixture(params=["colleague", "admin"])
def outsider(request, owner, admin_user):
    """A lead of another department (Marketing), and an organisation admin."""
    return owner if request.param == "colleague" else admin_user


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Selectors: the one place -------------------------------------------------------------


def test_selectors_give_the_owner_everything(rep, world):
    assert world["private"] in selectors.source_list(user=rep)
    assert world["secret"] in selectors.tweet_list(user=rep)
    assert world["secret"] in selectors.tweet_list(user=rep, source=world["private"])
    assert selectors.run_list(user=rep, source=world["private"]).count() == 1
    assert selectors.tweet_get(user=rep, tweet_id=world["secret"].pk) is not None


def test_selectors_hide_it_from_everyone_else(outsider, world):
    assert world["private"] not in selectors.source_list(user=outsider)
    visible = selectors.tweet_list(user=outsider)
    assert world["secret"] not in visible
    assert world["shared"] in visible
    assert not selectors.tweet_list(user=outsider, source=world["private"]).exists()
    assert not selectors.run_list(user=outsider, source=world["private"]).exists()
    assert selectors.tweet_get(user=outsider, tweet_id=world["secret"].pk) is None
    shared = selectors.tweet_get(user=outsider, tweet_id=world["shared"].pk)
    assert [read.source for read in shared.visible_reads] == [world["public"]]
    assert list(selectors.conversation_list(user=outsider, tweet=shared)) == [shared]


def test_selectors_show_anonymous_nothing(world):
    nobody = AnonymousUser()
    assert not selectors.source_list(user=nobody).exists()
    assert not selectors.tweet_list(user=nobody).exists()
    assert not selectors.account_list(user=nobody).exists()


# --- Pages ------------------------------------------------------------------------------


def test_owner_sees_the_list_on_every_page(client, rep, world):
    private, secret = world["private"], world["secret"]
    assert private.name in page(client, rep, reverse("listening:sources")).content.decode()
    detail = page(client, rep, private.get_absolute_url())
    assert detail.status_code == 200 and PRIVATE_TEXT in detail.content.decode()
    assert PRIVATE_TEXT in page(client, rep, reverse("listening:stream")).content.decode()
    filtered = page(client, rep, reverse("listening:stream"), source=private.pk)
    assert PRIVATE_TEXT in filtered.content.decode()
    assert page(client, rep, secret.get_absolute_url()).status_code == 200
    thread = page(client, rep, world["shared"].get_absolute_url()).content.decode()
    assert "Private reply in the thread" in thread and private.name in thread
    assert page(client, rep, reverse("listening:source_edit", args=[private.pk])).status_code == 200
    export = page(client, rep, reverse("listening:stream_export"))
    assert PRIVATE_TEXT in b"".join(export.streaming_content).decode()


def test_others_get_404_on_its_pages(client, outsider, world):
    private = world["private"]
    for url in [
        private.get_absolute_url(),
        reverse("listening:source_edit", args=[private.pk]),
        world["secret"].get_absolute_url(),
    ]:
        assert page(client, outsider, url).status_code == 404, url
    client.force_login(outsider)
    for name in ["source_toggle", "source_run", "source_delete"]:
        response = client.post(reverse(f"listening:{name}", args=[private.pk]))
        assert response.status_code == 404, name
    private.refresh_from_db()
    assert private.enabled


def test_others_do_not_see_its_posts_in_lists_and_filters(client, outsider, world):
    private = world["private"]
    sources = page(client, outsider, reverse("listening:sources")).content.decode()
    assert private.name not in sources
    stream = page(client, outsider, reverse("listening:stream")).content.decode()
    assert SHARED_TEXT in stream and PRIVATE_TEXT not in stream
    assert private.name not in stream  # neither as a filter choice nor as "via"
    by_source = page(client, outsider, reverse("listening:stream"), source=private.pk)
    html = by_source.content.decode()
    assert PRIVATE_TEXT not in html and SHARED_TEXT not in html
    assert "Select a valid choice" in html  # as for a source that does not exist
    by_account = page(client, outsider, reverse("listening:stream"), account=private.account_id)
    assert PRIVATE_TEXT not in by_account.content.decode()
    shared = page(client, outsider, world["shared"].get_absolute_url()).content.decode()
    assert "Mentions" in shared and private.name not in shared
    assert "Private reply in the thread" not in shared
    export = page(client, outsider, reverse("listening:stream_export"))
    body = b"".join(export.streaming_content).decode()
    assert SHARED_TEXT in body and PRIVATE_TEXT not in body
    account = page(client, outsider, private.account.get_absolute_url()).content.decode()
    assert private.name not in account


def test_the_admin_site_keeps_it_private_too(client, admin_user, world):
    client.force_login(admin_user)
    sources = client.get("/admin/listening/source/")
    assert sources.status_code == 200
    assert world["public"].name in sources.content.decode()
    assert world["private"].name not in sources.content.decode()
    tweets = client.get("/admin/listening/tweet/").content.decode()
    assert str(world["shared"].pk) in tweets and str(world["secret"].pk) not in tweets
    assert client.get(f"/admin/listening/source/{world['private'].pk}/change/").status_code == 302
    account = client.get(f"/admin/listening/xaccount/{world['private'].account_id}/change/")
    assert account.status_code == 200 and b"user-token" not in account.content


def test_the_admin_cannot_aim_a_source_at_a_private_list(client, admin_user, world):
    """Sources are added on the sources pages, whose services keep a private list its
    owner's; in the admin a source can be renamed or paused, not re-aimed at another list
    or a `list:` search."""
    client.force_login(admin_user)
    assert client.get("/admin/listening/source/add/").status_code == 403
    public = world["public"]
    form = client.get(f"/admin/listening/source/{public.pk}/change/").content.decode()
    assert 'name="name"' in form
    for field in ("query", "x_list_id", "is_private", "owner", "kind", "account"):
        assert f'name="{field}"' not in form, field


# --- API --------------------------------------------------------------------------------


def test_owner_sees_it_in_the_api(rep, world):
    private, secret = world["private"], world["secret"]
    client = api(rep)
    assert private.pk in [s["id"] for s in client.get("/api/v1/sources/").json()["results"]]
    assert client.get(f"/api/v1/sources/{private.pk}/").status_code == 200
    tweets = client.get("/api/v1/tweets/").json()["results"]
    assert str(secret.pk) in [t["id"] for t in tweets]
    by_source = client.get("/api/v1/tweets/", {"source": private.pk}).json()["results"]
    assert {t["id"] for t in by_source} == {
        str(secret.pk),
        str(world["shared"].pk),
        str(TweetFactory._meta.model.objects.get(text="Private reply in the thread").pk),
    }
    assert client.get(f"/api/v1/tweets/{secret.pk}/").status_code == 200


def test_others_do_not_see_it_in_the_api(outsider, world):
    private, secret = world["private"], world["secret"]
    client = api(outsider)
    assert private.pk not in [s["id"] for s in client.get("/api/v1/sources/").json()["results"]]
    assert client.get(f"/api/v1/sources/{private.pk}/").status_code == 404
    assert client.patch(f"/api/v1/sources/{private.pk}/", {"name": "x"}).status_code == 404
    assert client.delete(f"/api/v1/sources/{private.pk}/").status_code == 404
    assert client.post(f"/api/v1/sources/{private.pk}/run/").status_code == 404
    tweets = client.get("/api/v1/tweets/").json()["results"]
    assert [t["text"] for t in tweets] == [SHARED_TEXT]
    assert tweets[0]["sources"] == [world["public"].pk]  # not the private list that read it
    assert client.get(f"/api/v1/tweets/{secret.pk}/").status_code == 404
    hidden = client.get("/api/v1/tweets/", {"source": private.pk})
    missing = client.get("/api/v1/tweets/", {"source": 999999})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()  # no way to probe for a private list
    by_account = client.get("/api/v1/tweets/", {"account": private.account_id}).json()
    assert [t["text"] for t in by_account["results"]] == [SHARED_TEXT]
