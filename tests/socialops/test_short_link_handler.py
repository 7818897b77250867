"""The web entry point serves /l/ through a lean handler: every answer is the one the
site's whole middleware chain gives, and the redirect itself skips that chain."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from django.utils.module_loading import import_string

from campaigns.models import Click, TrackedLink
from socialops.handlers import ShortLinkHandler, WebApplication

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
# A visitor behind the TLS proxy, as production sees one.
VISITOR = {"user-agent": BROWSER, "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}


@pytest.fixture
def app(settings) -> WebApplication:
    settings.REDIS_URL = ""  # clicks are written directly: each request's is there at once
    # Production's hardening; middleware read it when the handler is built.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_CONTENT_TYPE_NOSNIFF = True
    return WebApplication()


@pytest.fixture
def code(db) -> str:
    link = TrackedLink.objects.create(
        # Its own code: the redirect's lookup keeps what it found for a minute, per process.
        code=f"s{secrets.token_hex(6)}",
        destination="https://shop.example.com/spring?ref=home#top",
        utm_source="x",
        utm_medium="social",
        utm_campaign="spring",
    )
    return link.code


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    # As Django's test client does: a handler's request signals would close the database
    # connection that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _answer(handler, environ: dict) -> tuple[str, list[str], bytes]:
    """The response, with what differs between two requests by chance (the click id, the
    CSRF token) blanked."""

    def start_response(status, headers, exc_info=None):
        answer.extend([status, headers])

    answer: list = []
    body_parts = handler(environ, start_response)
    body = b"".join(body_parts)
    body_parts.close()
    headers = sorted(
        re.sub(r"(sc_cid=)[0-9a-f]{32}|(csrftoken=)\w+|(expires=)[^;]+", r"\1\2\3…", f"{k}: {v}")
        for k, v in answer[1]
    )
    body = re.sub(rb'("X-CSRFToken": ")\w+', rb"\1[token]", body)
    return answer[0], headers, body


REQUESTS = {
    "a click": ("get", "/l/{code}", VISITOR),
    "a bot": ("get", "/l/{code}", {**VISITOR, "user-agent": "Twitterbot/1.0"}),
    "a HEAD": ("head", "/l/{code}", VISITOR),
    "a query": ("get", "/l/{code}?next=https://evil.example.com", VISITOR),
    "an unknown code": ("get", "/l/nope123", VISITOR),
    "a longer path": ("get", "/l/{code}/https://evil.example.com", VISITOR),
    "a NUL in the path": ("get", "/l/%00", VISITOR),
    "a NUL in the query": ("get", "/l/{code}?a=%00", VISITOR),
    "plain HTTP": ("get", "/l/{code}", {"user-agent": BROWSER}),
    "a host not ours": ("get", "/l/{code}", {**VISITOR, "host": "evil.example.com"}),
    "a POST": ("post", "/l/{code}", VISITOR),
    "an OPTIONS": ("options", "/l/{code}", VISITOR),
}
LEAN = {"a click", "a bot", "a HEAD", "a query", "a NUL in the path", "a NUL in the query"}
LEAN |= {"plain HTTP", "a host not ours"}


@pytest.mark.parametrize("name", REQUESTS)
def test_a_short_link_request_is_answered_as_the_whole_site_answers_it(
    app, code, name, monkeypatch
):
    method, path, headers = REQUESTS[name]

    def environ() -> dict:
        return getattr(RequestFactory(headers=headers), method)(path.format(code=code)).environ

    site_answer = _answer(app.site, environ())
    clicks = Click.objects.count()
    site_chain = []
    site_get_response = app.site.get_response
    monkeypatch.setattr(
        app.site, "get_response", lambda request: site_chain.append(1) or site_get_response(request)
    )
    assert _answer(app, environ()) == site_answer
    redirected = site_answer[0] == "302 Found"
    assert (clicks, Click.objects.count()) == ((1, 2) if redirected else (0, 0))
    # The redirect and whatever the lean chain answers on its own skip the site's chain;
    # a 404 and other methods are the site's.
    assert bool(site_chain) is (name not in LEAN)


def test_a_redirect_stores_one_click_through_the_lean_handler(app, code):
    environ = RequestFactory(headers=VISITOR).get(f"/l/{code}").environ
    started: list[type] = []

    def record(sender, **kwargs):
        started.append(sender)

    request_started.connect(record)
    try:
        status, headers, _ = _answer(app, environ)
    finally:
        request_started.disconnect(record)
    assert (status, started) == ("302 Found", [ShortLinkHandler])
    click = Click.objects.get()
    assert "Location: https://shop.example.com/spring?ref=home&" in "\n".join(headers)
    assert not click.is_bot
    assert click.referrer == ""


def test_the_lean_chain_is_the_sites_own_middleware_in_its_order_with_no_hooks():
    # ShortLinkHandler builds the chain by plain nesting: that is Django's own loader only
    # for synchronous middleware without per-view, exception or template hooks.
    lean = django_settings.SHORT_LINK_MIDDLEWARE
    assert lean == [m for m in django_settings.MIDDLEWARE if m in lean]
    for path in lean:
        middleware = import_string(path)
        for hook in ("process_view", "process_exception", "process_template_response"):
            assert not hasattr(middleware, hook), f"{path} has {hook}"
        assert getattr(middleware, "sync_capable", True)
