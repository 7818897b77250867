"""Print the demo logins once SocialOps is healthy, then stay (make run's last word).

demo_setup prints the logins before the processes start, and their start-up logs scrolled
them away; this prints them again, with the address, when a person can use them. It
stays alive afterwards because make run's process runner stops everything when one
process exits.
"""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand

from departments.demo import DEMO_PASSWORD, demo_logins


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False  # a 503 (HTTPError) or nothing listening yet


class Command(BaseCommand):
    help = "Wait until /healthz answers 200, print the demo logins and the address, then stay."

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000", help="the web server")
        parser.add_argument(
            "--patience", type=float, default=300, help="seconds to wait before printing anyway"
        )
        parser.add_argument("--every", type=float, default=2.0, help="seconds between checks")
        parser.add_argument("--once", action="store_true", help="exit after printing")

    def handle(self, *args, base: str, patience: float, every: float, once: bool, **options):
        base = base.rstrip("/")
        deadline = time.monotonic() + patience
        healthy = _healthy(f"{base}/healthz")
        while not healthy and time.monotonic() < deadline:
            time.sleep(every)
            healthy = _healthy(f"{base}/healthz")
        logins = demo_logins()
        lines = [""]
        if healthy:
            lines.append(f"  SocialOps is up: {base}/")
        else:
            lines.append(f"  SocialOps is not healthy yet (see {base}/healthz): {base}/")
        if logins:
            lines.append(f"  Demo logins (password: {DEMO_PASSWORD})")
            lines += [f"    {login.username:<8} {login.description}" for login in logins]
        lines.append("")
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
        if not once:
            signal.pause()  # until make run stops us
