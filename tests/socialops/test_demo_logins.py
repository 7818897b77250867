"""make run prints the demo logins again once /healthz says the product is up (its start-up
logs had scrolled them away)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from socialops.models import Heartbeat, User

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_users():
    for username in ("admin", "mark", "maria"):
        User.objects.create_user(username=username, password="x")


def _logins(live_server, **options) -> str:
    out = io.StringIO()
    call_command("demo_logins", base=live_server.url, once=True, every=0.1, stdout=out, **options)
    return out.getvalue()


def test_the_logins_are_printed_once_the_product_is_healthy(live_server, demo_users):
    for name in ("worker", "beat"):
        Heartbeat.objects.create(name=name, last_seen=timezone.now())

    printed = _logins(live_server, patience=120)

    assert f"SocialOps is up: {live_server.url}/" in printed
    assert "Demo logins (password: socialops-demo)" in printed
    for username in ("admin", "mark", "maria"):
        assert f"    {username}" in printed


def test_a_product_that_stays_unhealthy_gets_its_logins_printed_anyway(live_server, demo_users):
    printed = _logins(live_server, patience=0.5)  # no worker, no beat: 503 "starting"

    assert f"SocialOps is not healthy yet (see {live_server.url}/healthz)" in printed
    assert "    mark" in printed
