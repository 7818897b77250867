from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from campaigns.demo import demo_campaigns_load, demo_campaigns_loaded
from listening.demo import demo_inbox_answers, demo_x_setup


class Command(BaseCommand):
    help = (
        "Connect the demo organisation's X account to the bundled simulator (waiting for it "
        "to start) and add the demo sources. Does nothing unless X_API_BASE_URL is loopback."
    )

    def handle(self, *args, **options):
        account = demo_x_setup(out=self.stdout.write)
        # The inbox's first conversations answered on the simulator (once), before the
        # rebuild below so their reads' figures are in it.
        if account is not None:
            demo_inbox_answers(account=account, out=self.stdout.write)
        # The calendar needs the connected account, so the campaigns come here, once.
        if account is not None:
            first = not demo_campaigns_loaded()
            if first:
                demo_campaigns_load(account=account)
                self.stdout.write("Loaded the demo campaigns, calendar, links, offer and time log.")
            # Sofia's and Sam's prospect lists, mirrored with private X lists (before the
            # rebuild: their leads, touches and pipeline are figures too). By name: metrics
            # and prospects' commands sit above or beside this one.
            call_command("demo_prospects", stdout=self.stdout)
            if first:
                # Their figures at once, not at the next minute's pass over the marked days.
                call_command("metrics_rebuild", "--quiet", stdout=self.stdout)
                call_command("demo_targets", stdout=self.stdout)
        # The steering committee's last two weeks, once the figures (and the demo's
        # targets) are there to review. By name, as above.
        call_command("demo_reviews", stdout=self.stdout)
