"""manage.py x_sync, x_backfill and x_import, against real recorded X answers replayed on
loopback (tests/recordings.py)."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from listening.models import InboxItem, Source, SourceRun, SourceTweet, Tweet
from tests.factories import SourceFactory, XAccountFactory
from tests.recordings import Answer, load

pytestmark = pytest.mark.django_db

MENTIONS = "/2/users/783214/mentions"
LAST_PAGE = {"meta": {"result_count": 0}}
LEASE_AHEAD = dt.timedelta(minutes=2)


@pytest.fixture
def x_api(replay, settings):
    settings.X_API_BASE_URL = replay.url
    return replay


def recorded(name: str) -> dict:
    return copy.deepcopy(load(name)[0]["response"]["json"])


def run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- x_sync -----------------------------------------------------------------------------


def test_x_sync_runs_due_sources_and_reports_each(x_api):
    body = recorded("test_client_get_users_mentions")
    x_api.add("GET", MENTIONS, Answer(200, body), Answer(200, LAST_PAGE))
    due = SourceFactory(name="Our mentions", next_run_at=timezone.now() - dt.timedelta(seconds=1))
    SourceFactory(kind="search", query="later", next_run_at=timezone.now() + dt.timedelta(hours=1))

    out, _ = run("x_sync")

    assert f"#{due.pk} Our mentions" in out
    assert "2 pages, 10 posts read, 10 new — ok" in out
    assert Tweet.objects.count() == 10
    assert SourceTweet.objects.filter(source=due).count() == 10
    assert [path for _, path in x_api.requests if "search" in path] == []  # not due
    due.refresh_from_db()
    assert due.next_run_at > timezone.now()  # the scheduler will not queue it again at once
    assert due.since_id == int(body["meta"]["newest_id"])

    out, _ = run("x_sync")
    assert out.strip() == "No source is due."


def test_x_sync_leaves_held_and_disconnected_sources_alone(x_api):
    past = timezone.now() - dt.timedelta(minutes=1)
    SourceFactory(next_run_at=past, lease_token="x", lease_until=timezone.now() + LEASE_AHEAD)
    revoked = XAccountFactory(username="revoked", x_user_id=1, status="needs_reconnection")
    SourceFactory(account=revoked, next_run_at=past)
    out, _ = run("x_sync")
    assert out.strip() == "No source is due."
    assert x_api.requests == []


def test_x_sync_runs_named_sources_due_or_not(x_api):
    x_api.add("GET", MENTIONS, Answer(200, LAST_PAGE))
    later = SourceFactory(next_run_at=timezone.now() + dt.timedelta(hours=1))
    out, _ = run("x_sync", str(later.pk))
    assert "1 page, 0 posts read, 0 new — ok" in out
    assert SourceRun.objects.get().status == "ok"


def test_x_sync_unknown_source():
    with pytest.raises(CommandError, match="No source with id 4242"):
        run("x_sync", "4242")


def test_x_sync_reports_failures_and_carries_on(x_api):
    x_api.add("GET", MENTIONS, Answer(503, {"title": "Service Unavailable"}))
    x_api.add("GET", "/2/tweets/search/recent", Answer(200, LAST_PAGE))
    failing = SourceFactory(name="Failing")
    fine = SourceFactory(name="Fine", kind="search", query="brightline")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 sources failed"):
        call_command("x_sync", str(failing.pk), str(fine.pk), stdout=out)
    assert "Failing (mentions): error — X answered 503" in out.getvalue()
    assert "Fine (search): 1 page, 0 posts read, 0 new — ok" in out.getvalue()


def test_x_sync_says_when_rate_limited(x_api):
    reset = int((timezone.now() + dt.timedelta(minutes=3)).timestamp())
    x_api.add(
        "GET",
        MENTIONS,
        Answer(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(reset)}),
    )
    source = SourceFactory()
    out, _ = run("x_sync", str(source.pk))
    assert "rate_limited" in out


# --- x_backfill -------------------------------------------------------------------------


def _dated(body: dict, when: dt.datetime) -> dict:
    for i, post in enumerate(body["data"]):
        post["created_at"] = (when - dt.timedelta(minutes=i)).isoformat().replace("+00:00", "Z")
    return body


def test_x_backfill_reads_back_without_moving_the_cursor(x_api, marketing):
    first = recorded("test_client_get_users_mentions")
    x_api.add("GET", MENTIONS, Answer(200, first), Answer(200, LAST_PAGE))
    source = SourceFactory(department=marketing, since_id=5, page_token="")

    out, err = run("x_backfill", str(source.pk), "--since", "2020-01-01")

    assert "2 pages, 10 posts read, 10 new" in out
    assert "[" in err and "pages" in err  # the progress bar
    assert all("since_id" not in path for _, path in x_api.requests)
    source.refresh_from_db()
    assert (source.since_id, source.page_token, source.pending_since_id) == (5, "", None)
    assert SourceTweet.objects.filter(source=source).count() == 10
    assert not InboxItem.objects.exists()  # history, not work for the inbox
    run_row = SourceRun.objects.get()
    assert (run_row.status, run_row.pages, run_row.posts_new) == ("ok", 2, 10)
    assert run_row.cost > 0


def test_x_backfill_stops_once_posts_are_older_than_the_date(x_api):
    since = timezone.now() - dt.timedelta(days=2)
    old_page = _dated(recorded("test_client_search_recent_tweets"), since - dt.timedelta(hours=1))
    x_api.add("GET", "/2/tweets/search/recent", Answer(200, old_page))  # has a next_token
    source = SourceFactory(kind="search", query="Tweepy")

    out, err = run("x_backfill", str(source.pk), "--since", since.isoformat())

    assert len(x_api.requests) == 1
    assert "1 page, 10 posts read" in out
    assert "100%" in err


def test_x_backfill_refuses_what_it_cannot_do(x_api):
    followers = SourceFactory(kind="followers")
    with pytest.raises(CommandError, match="no history"):
        run("x_backfill", str(followers.pk), "--since", "2026-01-01")
    source = SourceFactory()
    with pytest.raises(CommandError, match="not a date"):
        run("x_backfill", str(source.pk), "--since", "last tuesday")
    with pytest.raises(CommandError, match="No source with id 777"):
        run("x_backfill", "777", "--since", "2026-01-01")


def test_x_backfill_auth_failure_is_a_clear_error(x_api):
    x_api.add("GET", MENTIONS, Answer(401, {"title": "Unauthorized"}))
    source = SourceFactory()
    with pytest.raises(CommandError, match="reconnect it"):
        run("x_backfill", str(source.pk), "--since", "2020-01-01")
    assert SourceRun.objects.get().status == "auth"


# --- x_import ---------------------------------------------------------------------------

RECORDED_PAGES = [
    "test_client_get_users_mentions",
    "test_client_get_list_tweets",
    "test_client_search_recent_tweets",
    "test_client_get_users_tweets",
]


@pytest.fixture
def twarc_jsonl(tmp_path) -> Path:
    """A twarc2-style JSONL file: one v2 response page per line, from real recordings."""
    path = tmp_path / "tweets.jsonl"
    path.write_text("\n".join(json.dumps(recorded(name)) for name in RECORDED_PAGES) + "\n")
    return path


def _unique_ids() -> set[int]:
    return {int(post["id"]) for name in RECORDED_PAGES for post in recorded(name)["data"]}


def test_x_import_twarc_jsonl_is_idempotent(twarc_jsonl):
    ids = _unique_ids()

    out, _ = run("x_import", str(twarc_jsonl), "--batch-size", "25")
    assert f"({len(ids)} new)" in out
    assert set(Tweet.objects.values_list("pk", flat=True)) == ids

    again, _ = run("x_import", str(twarc_jsonl))
    assert "(0 new)" in again
    assert Tweet.objects.count() == len(ids)


def test_x_import_links_posts_to_a_source(twarc_jsonl):
    source = SourceFactory(kind="list", x_list_id=84839422)
    run("x_import", str(twarc_jsonl), "--source", str(source.pk))
    assert SourceTweet.objects.filter(source=source).count() == len(_unique_ids())
    with pytest.raises(CommandError, match="No source with id 999"):
        run("x_import", str(twarc_jsonl), "--source", "999")


def test_x_import_raw_pages_with_users(tmp_path):
    page = {
        "data": [
            {"id": "20", "text": "first", "author_id": "7", "created_at": "2026-01-02T10:00:00Z"},
            {"id": "21", "text": "second", "author_id": "7"},
        ],
        "includes": {"users": [{"id": "7", "name": "Seven", "username": "seven"}]},
        "meta": {"result_count": 2},
    }
    one = tmp_path / "page.json"
    one.write_text(json.dumps(page, indent=2))  # pretty-printed, over many lines
    many = tmp_path / "pages.json"
    many.write_text(json.dumps([page, {"data": {"id": "22", "text": "lookup", "author_id": "7"}}]))

    out, _ = run("x_import", str(one), str(many))

    assert f"{one}: 2 posts (2 new), 1 users" in out
    assert f"{many}: 3 posts (1 new), 1 users" in out
    assert "Total: 5 posts (3 new)" in out
    assert Tweet.objects.get(pk=20).author.username == "seven"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"data": []}\n{not json\n', "line 2: not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"hello": "world"}', "not an X API v2 answer"),
        ("", "no X API answer"),
    ],
)
def test_x_import_bad_files_are_clear_errors_and_write_nothing(tmp_path, content, message):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(recorded("test_client_get_users_mentions")) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("x_import", str(good), str(bad))
    assert not Tweet.objects.exists()  # the good file was not imported either


def test_x_import_missing_file():
    with pytest.raises(CommandError, match="cannot read it"):
        run("x_import", "/nonexistent/tweets.jsonl")


def test_x_import_error_has_no_traceback_on_the_command_line(tmp_path):
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    env = {**os.environ, "SOCIALOPS_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(manage), "x_import", str(tmp_path / "missing.jsonl")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1
    assert "CommandError" in result.stderr and "cannot read it" in result.stderr
    assert "Traceback" not in result.stderr


def test_source_model_unchanged_by_import(twarc_jsonl):
    source = SourceFactory(since_id=99)
    run("x_import", str(twarc_jsonl), "--source", str(source.pk))
    assert Source.objects.get(pk=source.pk).since_id == 99
