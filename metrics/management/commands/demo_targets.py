"""The demo's measured KPIs get targets their data is heading for (metrics/demo.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from metrics.demo import demo_targets_set
from socialops.models import User


class Command(BaseCommand):
    help = (
        "Demo only: give the active KPIs measured from data targets that the demo's data is "
        "heading for at mixed paces (green, amber, red)."
    )

    def handle(self, *args, **options):
        actor = User.objects.filter(username="admin").first()
        if actor is None:
            self.stdout.write("No demo admin: nothing to do.")
            return
        changed = demo_targets_set(actor=actor, today=timezone.localdate())
        self.stdout.write(f"Set the targets of {changed} measured demo KPIs.")
