"""The web entry point's two Django handlers: the site's, and a lean one for short links.

A short-link redirect is the one response served at a visitor's pace rather than a
member's, and it needs none of what the site's middleware does for a page: no session,
no signed-in user, no CSRF token, no messages, no organisation time zone. Django builds
one middleware chain per handler, so `/l/` gets a handler of its own whose chain is
settings.SHORT_LINK_MIDDLEWARE and whose URL resolver holds the short-link route alone.

Anything but the redirect itself is answered by the site's handler, so it stays exactly
what it was: other methods than GET and HEAD (a POST meets the CSRF check first), and
every 404 (an unknown code renders a page whose CSRF token sets a cookie).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.http import HttpResponseBase
from django.urls import URLPattern, URLResolver, set_urlconf
from django.urls.resolvers import RegexPattern, ResolverMatch
from django.utils.log import log_response
from django.utils.module_loading import import_string

SHORT_LINK_PREFIX = "/l/"
SHORT_LINK_METHODS = frozenset({"GET", "HEAD"})


def short_link_route() -> URLResolver | URLPattern:
    """The site's own `l/` entry of the root URLconf, so both handlers resolve a short
    link to the same view."""
    urlconf = import_string(f"{settings.ROOT_URLCONF}.urlpatterns")
    return next(p for p in urlconf if str(p.pattern) == SHORT_LINK_PREFIX.lstrip("/"))


class ShortLinkHandler(WSGIHandler):
    """Serves GET and HEAD on /l/ through settings.SHORT_LINK_MIDDLEWARE; hands a 404 to
    `site` before anything of it is logged or sent."""

    def __init__(self, site: WSGIHandler) -> None:
        self.site = site
        # The root resolver Django would build, over the one route: no walk over the
        # site's patterns, the same view, kwargs and namespace.
        self.resolver = URLResolver(RegexPattern(r"^/"), [short_link_route()])
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        # Django's loader reads settings.MIDDLEWARE only. These are plain synchronous
        # middleware (settings.py says why each is there); none hooks process_view,
        # process_exception or process_template_response (tests/socialops/
        # test_short_link_handler.py holds that), so the chain is the bare nesting.
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(settings.SHORT_LINK_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self._middleware_chain = handler

    def resolve_request(self, request: WSGIRequest) -> ResolverMatch:
        match = self.resolver.resolve(request.path_info)
        request.resolver_match = match
        return match

    def get_response(self, request: WSGIRequest) -> HttpResponseBase:
        # reverse() anywhere below still sees the whole site.
        set_urlconf(settings.ROOT_URLCONF)
        response = self._middleware_chain(request)
        if response.status_code == 404:
            # Not a link: the site's page, cookies and log line, as if we never looked.
            # This response is dropped unclosed: closing it would announce a second
            # request_finished for the one request.
            return self.site.get_response(self.site.request_class(request.environ))
        response._resource_closers.append(request.close)
        if response.status_code >= 400:
            log_response(
                "%s: %s", response.reason_phrase, request.path, response=response, request=request
            )
        return response


class WebApplication:
    """The WSGI application: short-link redirects to the lean handler, everything else
    (and any other method on /l/) to the site's."""

    def __init__(self) -> None:
        self.site = WSGIHandler()
        self.short_links = ShortLinkHandler(self.site)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO", "").startswith(SHORT_LINK_PREFIX)
            and environ.get("REQUEST_METHOD") in SHORT_LINK_METHODS
        ):
            return self.short_links(environ, start_response)
        return self.site(environ, start_response)
