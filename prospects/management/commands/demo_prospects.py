from __future__ import annotations

from django.core.management.base import BaseCommand

from listening.models import XAccount
from prospects.demo import demo_prospects_load


class Command(BaseCommand):
    help = "Load the demo's prospect lists for Sofia and Sam (needs the demo X account)."

    def handle(self, *args, **options):
        account = XAccount.objects.filter(username="brightline").first()
        if account is None:
            self.stdout.write("No demo X account connected: nothing to load.")
            return
        demo_prospects_load(account=account, out=self.stdout.write)
