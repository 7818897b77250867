"""Reads for campaigns and tracked links."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from campaigns.models import Click, ScheduledPost, TrackedLink
from listening.models import Tweet
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


# --- Pages and API: clicks, per day, referrers, X's own count -------------------------
# Everything below counts real clicks only (is_bot=False) unless it says otherwise.


def link_get_for_page(*, user: User, pk: int) -> TrackedLink | None:
    """One link with its counts and the post (and campaign) it belongs to."""
    return (
        links_visible_to(user=user)
        .select_related("post", "campaign__department")
        .annotate(bot_count=Count("clicks", filter=Q(clicks__is_bot=True)))
        .filter(pk=pk)
        .first()
    )


def clicks_visible_to(*, user: User) -> QuerySet[Click]:
    """Every click, bots included (flagged): open to signed-in members like the links."""
    if not (user.is_authenticated and user.is_active):
        return Click.objects.none()
    return Click.objects.select_related("link")


MAX_CHART_DAYS = 366


def clicks_per_day(
    *, clicks: QuerySet[Click], start: date | None = None, end: date | None = None
) -> list[tuple[date, int]]:
    """Real clicks per day in the current (organisation's) time zone, every day from
    `start` to `end` present (zero where nobody clicked). Days with clicks outside the
    range widen it; at most MAX_CHART_DAYS, the latest kept."""
    tz = timezone.get_current_timezone()
    rows = (
        clicks.filter(is_bot=False)
        .annotate(day=TruncDate("clicked_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    counts = {row["day"]: row["n"] for row in rows}
    days = sorted(counts)
    start = min([d for d in [start, *days[:1]] if d is not None], default=None)
    end = max([d for d in [end, *days[-1:]] if d is not None], default=None)
    if start is None or end is None:
        return []
    start = max(start, end - timedelta(days=MAX_CHART_DAYS - 1))
    return [
        (start + timedelta(days=i), counts.get(start + timedelta(days=i), 0))
        for i in range((end - start).days + 1)
    ]


def click_referrers(*, clicks: QuerySet[Click], limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent referrers of real clicks ("" is a click without one: an app,
    a bookmark, or a browser that keeps it private)."""
    rows = (
        clicks.filter(is_bot=False)
        .values("referrer")
        .annotate(n=Count("id"))
        .order_by("-n", "referrer")[:limit]
    )
    return [(row["referrer"], row["n"]) for row in rows]


@dataclass(frozen=True)
class XLinkReport:
    """X's own count of link clicks on one of our published posts, beside ours. X counts
    every link of the post together; `our_clicks` adds up all its tracked links."""

    post_id: int
    x_post_id: int
    x_clicks: int | None  # None: the post's metrics have not been read from X yet
    our_clicks: int
    link_count: int


def x_link_reports(*, links: QuerySet[TrackedLink]) -> list[XLinkReport]:
    """One report per published post that carries any of `links` (in post order)."""
    posts = list(
        ScheduledPost.objects.filter(
            pk__in=links.filter(post__isnull=False).values("post_id"), x_post_id__isnull=False
        )
        .order_by("published_at", "pk")
        .values_list("pk", "x_post_id")
    )
    if not posts:
        return []
    x_clicks = dict(
        Tweet.objects.filter(pk__in=[x_id for _, x_id in posts]).values_list(
            "pk", "url_link_clicks"
        )
    )
    ours = {
        row["post_id"]: row
        for row in TrackedLink.objects.filter(post_id__in=[pk for pk, _ in posts])
        .values("post_id")
        .annotate(
            clicks=Count("clicks", filter=Q(clicks__is_bot=False)),
            links=Count("id", distinct=True),
        )
    }
    return [
        XLinkReport(
            post_id=pk,
            x_post_id=x_id,
            x_clicks=x_clicks.get(x_id),
            our_clicks=ours.get(pk, {}).get("clicks", 0),
            link_count=ours.get(pk, {}).get("links", 0),
        )
        for pk, x_id in posts
    ]
