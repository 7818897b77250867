"""Reads for campaigns and tracked links."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from campaigns.models import TrackedLink
from socialops.models import User

log = logging.getLogger(__name__)

CACHE_SECONDS = 24 * 60 * 60
# A per-process copy in front of the shared cache: Django's Redis cache builds a client
# per call (~0.2 ms), too slow for the redirect. A change to a link (or its campaign's
# tags) reaches every process within LOCAL_SECONDS.
LOCAL_SECONDS = 60
LOCAL_MAX = 10_000
_local: dict[str, tuple[float, LinkTarget]] = {}


@dataclass(frozen=True)
class LinkTarget:
    """Where a short link sends a visitor: `head + click_id + tail`."""

    link_id: int
    head: str
    tail: str

    def url(self, click_id: str) -> str:
        return f"{self.head}{click_id}{self.tail}"


def _cache_key(code: str) -> str:
    return f"campaigns:link:{code}"


def link_tags(link: TrackedLink) -> dict[str, str]:
    """The link's UTM tags, each falling back to its campaign's default."""
    campaign = link.campaign
    tags = {
        "utm_source": link.utm_source or (campaign.utm_source if campaign else ""),
        "utm_medium": link.utm_medium or (campaign.utm_medium if campaign else ""),
        "utm_campaign": link.utm_campaign or (campaign.utm_campaign if campaign else ""),
        "utm_content": link.utm_content,
    }
    return {name: value for name, value in tags.items() if value}


def link_target_build(link: TrackedLink) -> LinkTarget:
    """The stored destination with its own query kept, our UTM tags set (they replace
    same-named ones) and `sc_cid=` last, before any #fragment."""
    parts = urlsplit(link.destination)
    tags = link_tags(link)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in tags and k != "sc_cid"
    ]
    query += list(tags.items())
    encoded = urlencode(query)
    head = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    head += f"?{encoded}&sc_cid=" if encoded else "?sc_cid="
    tail = f"#{parts.fragment}" if parts.fragment else ""
    return LinkTarget(link_id=link.pk, head=head, tail=tail)


def link_target_get(*, code: str) -> LinkTarget | None:
    """The redirect's lookup: from the cache when warm (no database query), else from the
    database, then cached. A cache that is down costs a query, never the redirect."""
    now = time.monotonic()
    local = _local.get(code)
    if local is not None and local[0] > now:
        return local[1]
    target = _shared_get(code)
    if target is not None:
        if len(_local) >= LOCAL_MAX:
            _local.clear()
        _local[code] = (now + LOCAL_SECONDS, target)
    return target


def _shared_get(code: str) -> LinkTarget | None:
    key = _cache_key(code)
    try:
        cached = cache.get(key)
    except Exception:  # the cache is Redis; an outage must not break redirects
        log.warning("link cache unavailable", exc_info=True)
        cached = None
    if cached is not None:
        return LinkTarget(*cached)
    link = TrackedLink.objects.select_related("campaign").filter(code=code).first()
    if link is None:
        return None
    target = link_target_build(link)
    try:
        cache.set(key, (target.link_id, target.head, target.tail), CACHE_SECONDS)
    except Exception:
        log.warning("link cache unavailable", exc_info=True)
    return target


def link_target_forget(*, code: str) -> None:
    _local.pop(code, None)
    try:
        cache.delete(_cache_key(code))
    except Exception:
        log.warning("link cache unavailable", exc_info=True)


def links_visible_to(*, user: User) -> QuerySet[TrackedLink]:
    """Links with their counted (non-bot) and unique clicks. Link statistics are open to
    every signed-in member, like goals."""
    if not (user.is_authenticated and user.is_active):
        return TrackedLink.objects.none()
    return (
        TrackedLink.objects.select_related("campaign", "campaign__department", "created_by")
        .annotate(
            click_count=Count("clicks", filter=Q(clicks__is_bot=False)),
            unique_visitors=Count(
                "clicks__visitor_key", filter=Q(clicks__is_bot=False), distinct=True
            ),
        )
        .order_by("-created_at")
    )
