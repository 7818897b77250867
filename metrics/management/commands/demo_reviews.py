from __future__ import annotations

from django.core.management.base import BaseCommand

from metrics.reviews.demo import demo_reviews_load, demo_reviews_loaded
from metrics.reviews.selectors import organisation_today


class Command(BaseCommand):
    help = (
        "Load the demo's steering reviews (last week's closed, this week's open) once the "
        "demo organisation is there and no review exists yet."
    )

    def handle(self, *args, **options):
        if demo_reviews_loaded():
            return
        demo_reviews_load(today=organisation_today())
        self.stdout.write("Loaded the steering reviews: last week's closed, this week's open.")
