from __future__ import annotations

from django.core.management.base import BaseCommand

from departments.demo import DEMO_PASSWORD, demo_is_loaded, demo_load, demo_logins, demo_today


class Command(BaseCommand):
    help = "Load the demo organisation into an empty database, then print the demo logins."

    def handle(self, *args, **options):
        if demo_is_loaded():
            self.stdout.write("The database already has data; the demo is not loaded again.")
        else:
            self.stdout.write("Loading the demo organisation…")
            demo_load(today=demo_today())
            self.stdout.write(self.style.SUCCESS("Demo organisation loaded."))
        logins = demo_logins()
        if logins:
            self.stdout.write("")
            self.stdout.write(f"  Demo logins (password: {DEMO_PASSWORD})")
            for login in logins:
                self.stdout.write(f"    {login.username:<8} {login.description}")
            self.stdout.write("")
