from __future__ import annotations

from django.core.management.base import BaseCommand

from listening.demo import demo_x_setup


class Command(BaseCommand):
    help = (
        "Connect the demo organisation's X account to the bundled simulator (waiting for it "
        "to start) and add the demo sources. Does nothing unless X_API_BASE_URL is loopback."
    )

    def handle(self, *args, **options):
        demo_x_setup(out=self.stdout.write)
