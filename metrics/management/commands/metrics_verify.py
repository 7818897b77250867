"""Recompute the rollup from the raw rows in memory and compare it with what is stored."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from metrics.management.progress import Bar
from metrics.models import DailyRollup
from metrics.rollups import first_raw_day, organisation_today, organisation_zone, verify
from socialops.models import DirtyDay

SHOWN = 200  # differences printed; the count is always exact


class Command(BaseCommand):
    help = (
        "Recompute every rollup cell of the last --days days (default: all of them) from the "
        "raw rows, print each cell that differs from the stored one, and exit with status 1 "
        "if any does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Only the last N days (N ≥ 1).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, days: int | None, quiet: bool, **options):
        if days is not None and not 1 <= days <= 36500:
            raise CommandError("--days must be between 1 and 36500.")
        today = organisation_today()
        stored_first = DailyRollup.objects.order_by("day").values_list("day", flat=True).first()
        first = today - timedelta(days=days - 1) if days else (stored_first or today)
        # Without --days: from the earliest raw row too, so rows never rolled up show.
        if not days:
            raw_first = first_raw_day(organisation_zone())
            first = min(d for d in (first, raw_first) if d is not None)
        stored_last = DailyRollup.objects.order_by("-day").values_list("day", flat=True).first()
        last = max(today, stored_last or today)
        differences = verify(first, last, progress=None if quiet else Bar("verify"))
        for d in differences[:SHOWN]:
            self.stdout.write(
                f"{d.day} {d.metric} {d.dim}:{d.dim_id}: stored {d.stored}, raw rows say "
                f"{d.computed}"
            )
        if len(differences) > SHOWN:
            self.stdout.write(f"… and {len(differences) - SHOWN:,} more")
        if differences:
            pending = DirtyDay.objects.count()
            waiting = (
                f" {pending:,} marked days wait for the next pass of the rollup task (every "
                f"{settings.METRICS_ROLLUP_INTERVAL} s): cells on them differ until it runs."
                if pending
                else ""
            )
            raise CommandError(
                f"{len(differences):,} rollup cells differ from the raw rows.{waiting}"
            )
        self.stdout.write(f"The rollup matches the raw rows from {first} to {last}.")
