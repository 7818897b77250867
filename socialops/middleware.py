from __future__ import annotations

from django.http import HttpResponseBadRequest


class RefuseNulMiddleware:
    """A NUL byte anywhere in the address answers 400. PostgreSQL refuses NUL in text, so
    any lookup by a path or query value holding one raised instead of finding nothing
    (/l/%00, a feed token, ?department=%00). First in the chain and two substring
    checks, so the short-link redirect pays nothing measurable for it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path_info or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest(
                "The address holds a NUL character.", content_type="text/plain"
            )
        return self.get_response(request)
