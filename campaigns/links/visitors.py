"""Who is clicking: bot detection and the privacy-safe visitor key."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from functools import lru_cache

from django.conf import settings

# Crawlers and link unfurlers fetch a link to index it or draw a preview card; a person
# did not click. X's card fetcher is Twitterbot. Generic HTTP libraries (curl, wget,
# python-requests, Go's client...) are flagged too: no one clicks a link in a post with
# them. All are still redirected (an unfurler must see the real page) and stored with
# is_bot set, so they can be audited but are never counted.
BOT_PATTERN = re.compile(
    r"bot\b|crawler|spider|slurp|twitterbot|facebookexternalhit|facebookcatalog|slackbot"
    r"|slack-imgproxy|linkedinbot|googlebot|bingbot|discordbot|whatsapp|telegrambot"
    r"|skypeuripreview|applebot|embedly|pinterest|redditbot|mastodon|iframely|preview"
    r"|^curl/|^wget/|python-requests|python-urllib|httpx|aiohttp|go-http-client|okhttp"
    r"|headlesschrome|^java/|libwww-perl",
    re.IGNORECASE,
)


def is_bot(user_agent: str, method: str = "GET") -> bool:
    # No browser sends an empty user agent, or a HEAD request, when a person clicks.
    return not user_agent or method == "HEAD" or _agent_is_bot(user_agent)


@lru_cache(maxsize=4096)
def _agent_is_bot(user_agent: str) -> bool:
    # The pattern costs 25-45 µs a search, on every redirect; clicks come from a few
    # hundred distinct user agents a day, so a cache answers in ~0.1 µs (bench redirects).
    return BOT_PATTERN.search(user_agent) is not None


@lru_cache(maxsize=4)
def _daily_salt(day: date) -> str:
    # Derived, not stored: the same on every web process without coordination. Someone
    # with SECRET_KEY could recompute it; a stored random salt discarded daily would not
    # allow that (a possible hardening).
    return hashlib.sha256(f"{settings.SECRET_KEY}:clicks:{day.isoformat()}".encode()).hexdigest()


def visitor_key(*, ip: str, user_agent: str, day: date) -> str:
    return hashlib.sha256(f"{_daily_salt(day)}|{ip}|{user_agent}".encode()).hexdigest()
