"""Recompute the daily rollup from the raw rows."""

from __future__ import annotations

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from metrics.management.progress import Bar
from metrics.models import DailyRollup
from metrics.rollups import rebuild


class Command(BaseCommand):
    help = (
        "Recompute every metric's daily rollup from the raw rows (clicks, conversions, posts, "
        "mentions, followers, the time log, spend), from --since or from the first row."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, since: date | None, quiet: bool, **options):
        if since is not None and not date(2000, 1, 1) <= since <= date(2100, 1, 1):
            raise CommandError("--since must be a date between 2000 and 2100.")
        started = time.monotonic()
        written = rebuild(since=since, progress=None if quiet else Bar("rebuild"))
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Rebuilt the metrics rollup{f' since {since}' if since else ''}: {written:,} rows "
            f"in {seconds:.1f} s ({written / max(seconds, 1e-9):,.0f} rows/s); "
            f"{DailyRollup.objects.count():,} rows in all."
        )
