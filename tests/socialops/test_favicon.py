"""Pages name their icon (a static SVG), so browsers do not ask for a /favicon.ico that
answers 404 on every first visit."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_pages_name_an_icon_that_is_served(client, owner):
    client.force_login(owner)
    page = client.get("/").content.decode()
    match = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert match, "no icon link"
    icon = client.get(match.group(1))
    assert icon.status_code == 200
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert b"<svg" in body
