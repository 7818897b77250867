"""The short-link redirect: where it sends people, what it records, and what it refuses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.links.selectors import link_target_get
from campaigns.links.services import link_create
from campaigns.models import Click

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)


@pytest.fixture(autouse=True)
def _no_redis(settings):
    settings.REDIS_URL = ""  # the embedded default: clicks are written directly


def _get(client, code, **headers):
    return client.get(f"/l/{code}", headers={"user-agent": BROWSER, **headers})


def test_redirects_with_utm_tags_and_a_click_id_keeping_the_destinations_query(client, link):
    response = _get(client, link.code, referer="https://x.com/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "shop.example.com",
        "/spring",
    )
    assert location.fragment == "top"
    query = parse_qs(location.query)
    click = Click.objects.get()
    assert query == {
        "ref": ["home"],
        "utm_source": ["x"],  # the campaign's defaults
        "utm_medium": ["social"],
        "utm_campaign": ["spring-launch"],
        "utm_content": ["hero"],
        "sc_cid": [click.click_id],
    }
    assert len(click.click_id) == 32
    assert click.link == link
    assert click.referrer == "https://x.com/"
    assert not click.is_bot
    assert len(click.visitor_key) == 64


def test_every_click_gets_its_own_id_and_the_same_visitor_key(client, link):
    for _ in range(3):
        _get(client, link.code)
    clicks = list(Click.objects.all())
    assert len({c.click_id for c in clicks}) == 3
    assert len({c.visitor_key for c in clicks}) == 1
    other = _get(client, link.code, **{"x-forwarded-for": "203.0.113.9"})
    assert other.status_code == 302
    assert Click.objects.values("visitor_key").distinct().count() == 2


def test_no_raw_ip_is_stored(client, link):
    _get(client, link.code, **{"x-forwarded-for": "203.0.113.77"})
    stored = " ".join(str(v) for v in Click.objects.values().get().values())
    assert "203.0.113.77" not in stored


def test_link_tags_replace_same_named_ones_in_the_destination(client, owner, campaign):
    link = link_create(
        actor=owner,
        destination="http://example.com/?utm_source=old&sc_cid=forged&a=1&a=2",
        campaign=campaign,
    )
    query = parse_qs(urlsplit(_get(client, link.code)["Location"]).query)
    assert query["utm_source"] == ["x"]
    assert query["a"] == ["1", "2"]
    assert query["sc_cid"] == [Click.objects.get().click_id]


def test_an_unknown_code_gets_a_friendly_404_page(client, db):
    response = _get(client, "nope123")
    assert response.status_code == 404
    assert b"This link does not exist" in response.content
    assert not Click.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/l/{code}?next=https://evil.example.com",
        "/l/{code}?url=//evil.example.com&sc_cid=x",
        "/l/{code}/https://evil.example.com",
        "/l/https://evil.example.com",
        "/l//evil.example.com",
    ],
)
def test_never_an_open_redirect(client, link, path):
    response = client.get(path.format(code=link.code), headers={"user-agent": BROWSER})
    if response.status_code == 302:
        assert urlsplit(response["Location"]).netloc == "shop.example.com"
    else:
        assert response.status_code == 404
    assert "evil" not in response.get("Location", "")


@pytest.mark.parametrize(
    "user_agent",
    [
        "Twitterbot/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "curl/8.5.0",
        "",
    ],
)
def test_bots_are_redirected_but_flagged(client, link, user_agent):
    response = client.get(f"/l/{link.code}", headers={"user-agent": user_agent})
    assert response.status_code == 302
    assert Click.objects.get().is_bot


def test_a_head_request_is_not_a_click(client, link):
    assert client.head(f"/l/{link.code}", headers={"user-agent": BROWSER}).status_code == 302
    assert Click.objects.get().is_bot


def test_a_long_user_agent_is_truncated(client, link):
    _get(client, link.code, **{"user-agent": "Mozilla/5.0 " + "x" * 1000})
    assert len(Click.objects.get().user_agent) == 300


def test_without_redis_each_click_is_written_directly(client, link):
    for served in range(1, 4):
        assert _get(client, link.code).status_code == 302
        assert Click.objects.count() == served


def test_with_redis_unreachable_the_click_is_written_directly(client, link, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    for _ in range(3):
        assert _get(client, link.code).status_code == 302
    assert Click.objects.count() == 3


def test_a_warm_lookup_does_not_touch_the_database(link):
    link_target_get(code=link.code)
    with CaptureQueriesContext(connection) as queries:
        target = link_target_get(code=link.code)
    assert len(queries) == 0
    assert target.link_id == link.pk
    assert target.url("abc").startswith("https://shop.example.com/spring?ref=home&")
    assert target.url("abc").endswith("&sc_cid=abc#top")


def test_the_visitor_still_arrives_when_the_click_cannot_be_stored(client, link, monkeypatch):
    from django.db import DatabaseError

    from campaigns.links import services

    def broken(*, events):
        raise DatabaseError("database is down")

    monkeypatch.setattr(services, "clicks_store", broken)
    response = _get(client, link.code)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).netloc == "shop.example.com"


def test_the_flush_task_has_nothing_to_do_without_redis(link):
    from campaigns.links.tasks import flush_clicks

    assert flush_clicks() == 0


def test_link_counts_leave_bots_out(client, link, owner, colleague):
    from campaigns.links.selectors import links_visible_to

    _get(client, link.code)
    _get(client, link.code)
    _get(client, link.code, **{"x-forwarded-for": "198.51.100.4"})
    client.get(f"/l/{link.code}", headers={"user-agent": "Twitterbot/1.0"})
    for user in (owner, colleague):
        counted = links_visible_to(user=user).get(pk=link.pk)
        assert (counted.click_count, counted.unique_visitors) == (3, 2)
