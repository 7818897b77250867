"""The demo's click traffic goes through the real /l/ endpoint of a running server."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from campaigns.links.tasks import flush_clicks
from campaigns.models import Click

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_clicks_are_served_and_stored(live_server, link):
    call_command("demo_clicks", base=live_server.url, every=0.001, count=12, seed=3)
    flush_clicks()  # with Redis the clicks wait in the buffer; without, they are stored
    clicks = Click.objects.filter(link=link)
    assert clicks.count() == 12
    # Some are X's card fetcher, stored but flagged, so they never count as clicks.
    assert clicks.filter(is_bot=False).count() >= 9
    assert clicks.values("visitor_key").distinct().count() > 1
