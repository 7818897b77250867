"""Demo traffic: visitors clicking the demo's short links, through the real /l/ endpoint of
the running web process, so click counts move while `make run` is up."""

from __future__ import annotations

import random
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand

from campaigns.models import TrackedLink

BROWSERS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.0 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
]
# X fetches every link once to draw its card: the product must not count it.
UNFURLER = "Twitterbot/1.0"
REFERRERS = ["https://t.co/", "https://x.com/", "", "https://www.linkedin.com/"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Stop at our 302: the demo destinations are not ours to load."""

    def redirect_request(self, *args, **kwargs):
        return None


class Command(BaseCommand):
    help = "Click the demo short links now and then, through the running web server."

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000", help="the web server")
        parser.add_argument("--every", type=float, default=3.0, help="mean seconds between clicks")
        parser.add_argument("--count", type=int, default=0, help="stop after N clicks (0: never)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, base: str, every: float, count: int, seed: int | None, **options):
        rng = random.Random(seed)
        opener = urllib.request.build_opener(_NoRedirect)
        done = 0
        while not count or done < count:
            codes = list(TrackedLink.objects.values_list("code", flat=True)[:200])
            if not codes:
                time.sleep(5)
                continue
            code = rng.choice(codes)
            bot = rng.random() < 0.05
            headers = {
                "User-Agent": UNFURLER if bot else rng.choice(BROWSERS),
                # Documentation addresses (RFC 5737): a few hundred distinct visitors.
                "X-Forwarded-For": f"198.51.100.{rng.randint(1, 250)}",
            }
            referrer = rng.choice(REFERRERS)
            if referrer:
                headers["Referer"] = referrer
            request = urllib.request.Request(f"{base.rstrip('/')}/l/{code}", headers=headers)
            try:
                opener.open(request, timeout=5)
            except urllib.error.HTTPError:
                pass  # the 302 (not followed) arrives here; a 404 too
            except OSError:
                time.sleep(2)  # the web process is not up yet
                continue
            done += 1
            if count and done >= count:
                break
            time.sleep(rng.expovariate(1 / every))
