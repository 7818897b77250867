"""The site's URLs plus the redirect benchmark's baseline: /l/-/<code> answers the same
302 as a short link (same headers, same middleware, which skips /l/ paths) to a fixed
destination, with no lookup and no click capture. It sits just before the short links'
include, so resolving it walks the same patterns as resolving /l/<code>."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.views.decorators.http import require_safe

from socialops.urls import urlpatterns as site_patterns

DESTINATION = (
    "https://shop.example.com/spring?ref=bench&utm_source=x&utm_medium=social"
    "&utm_campaign=spring&sc_cid=00000000000000000000000000000000"
)


@require_safe
def untracked_redirect(request: HttpRequest, code: str) -> HttpResponse:
    response = HttpResponseRedirect(DESTINATION)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


_short_links = next(i for i, p in enumerate(site_patterns) if str(p.pattern) == "l/")
urlpatterns = [
    *site_patterns[:_short_links],
    path("l/-/", include([path("<str:code>", untracked_redirect)])),
    *site_patterns[_short_links:],
]
