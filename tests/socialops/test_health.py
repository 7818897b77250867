"""/healthz: 200 when the database, broker, a worker and beat are fine; 503 naming what is
not. Load balancers and `docker compose` call it without signing in."""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from socialops.celery import app as celery_app
from socialops.models import Heartbeat

pytestmark = pytest.mark.django_db

# Nothing listens on port 1; connecting there fails at once, with no network involved.
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def _record_worker_heartbeat(*, age: timedelta = timedelta(0)) -> None:
    Heartbeat.objects.update_or_create(
        name="worker", defaults={"last_seen": timezone.now() - age, "detail": "test"}
    )


def _record_beat_run(*, age: timedelta = timedelta(0)) -> None:
    every, _ = IntervalSchedule.objects.get_or_create(every=30, period=IntervalSchedule.SECONDS)
    task, _ = PeriodicTask.objects.get_or_create(
        name="heartbeat", defaults={"task": "socialops.tasks.heartbeat", "interval": every}
    )
    # update(), not save(): beat writes last_run_at this way and save() has side effects.
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=timezone.now() - age)


def _stale() -> timedelta:
    return timedelta(seconds=django_settings.HEARTBEAT_INTERVAL * 3 + 60)


@pytest.fixture
def all_fine():
    _record_worker_heartbeat()
    _record_beat_run()


@pytest.fixture
def broker_down(settings):
    """Point the Celery app at a closed port. The app copied the settings when it was
    configured, so both change; the app's copy is restored by hand, `settings` restores
    itself."""
    previous = celery_app.conf.broker_url, celery_app.conf.broker_transport
    settings.CELERY_BROKER_URL = CLOSED_PORT_REDIS
    celery_app.conf.broker_url = CLOSED_PORT_REDIS
    # The transport the settings chose (the embedded one, without REDIS_URL) would win
    # over the URL's scheme: let the URL decide.
    celery_app.conf.broker_transport = None
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_transport = previous
    assert celery_app.conf.broker_url == previous[0]


def _get(client):
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


def test_all_fine_is_200_with_every_check_named(client, all_fine):
    response, body = _get(client)

    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    for check in ("database", "broker", "worker", "beat"):
        assert body[check] == {"ok": True}


def test_needs_no_login_and_is_never_cached(client, all_fine):
    response, _ = _get(client)

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_no_worker_heartbeat_yet_is_503_naming_the_worker_as_starting(client, caplog):
    _record_beat_run()

    with caplog.at_level(logging.DEBUG):
        response, body = _get(client)

    assert response.status_code == 503
    assert body["status"] == "starting"
    assert body["failing"] == ["worker"]
    assert body["worker"]["ok"] is False
    assert body["worker"]["starting"] is True
    assert "heartbeat" in body["worker"]["error"]
    # An expected start-up state: said at DEBUG, no ERROR line per poll.
    assert [r.levelname for r in caplog.records if "healthz" in r.getMessage()] == ["DEBUG"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_real_failure_is_logged_as_a_warning_not_a_server_error(client, caplog):
    _record_beat_run()
    _record_worker_heartbeat(age=_stale())

    with caplog.at_level(logging.INFO):
        response, body = _get(client)

    assert response.status_code == 503
    assert body["status"] == "failing"
    assert "worker" not in body or "starting" not in body["worker"]
    warnings = [r for r in caplog.records if "healthz" in r.getMessage()]
    assert [r.levelname for r in warnings] == ["WARNING"]
    assert "no worker heartbeat" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_beat_that_reported_its_start_counts_as_alive(client):
    _record_worker_heartbeat()
    Heartbeat.objects.create(name="beat", last_seen=timezone.now())

    response, body = _get(client)

    assert response.status_code == 200, body


def test_a_stale_worker_heartbeat_is_503_naming_the_worker(client):
    _record_beat_run()
    _record_worker_heartbeat(age=_stale())

    response, body = _get(client)

    assert response.status_code == 503
    assert body["failing"] == ["worker"]


def test_stale_beat_is_503_naming_beat(client):
    _record_worker_heartbeat()
    _record_beat_run(age=_stale())

    response, body = _get(client)

    assert response.status_code == 503
    assert body["failing"] == ["beat"]
    assert body["beat"]["ok"] is False
    assert body["worker"] == {"ok": True}


def test_beat_that_never_ran_is_503_naming_beat(client):
    _record_worker_heartbeat()

    response, body = _get(client)

    assert response.status_code == 503
    assert body["failing"] == ["beat"]


def test_unreachable_broker_is_503_naming_the_broker(client, all_fine, broker_down):
    response, body = _get(client)

    assert response.status_code == 503
    assert body["failing"] == ["broker"]
    assert "unreachable" in body["broker"]["error"]
    assert body["database"] == {"ok": True}


def test_the_broker_is_reported_again_once_it_is_back(client, all_fine):
    # Runs after the broker-down test in the same process: proves its fixture restored
    # the app, so no later test inherits a broken broker.
    assert celery_app.conf.broker_url == django_settings.CELERY_BROKER_URL
    response, body = _get(client)

    assert response.status_code == 200, body


def test_only_get_is_allowed(client, all_fine):
    assert client.post("/healthz").status_code == 405


# Requests made in a child process, for cases that need different settings from this
# process's: settings are read once, and swapping the database under a running test
# process would break the test database for every test after it.
_CHILD = """
import json, sys, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False)
answers = []
for path in sys.argv[2:]:
    r = client.get(path, HTTP_HOST=sys.argv[1])
    is_json = r.get("Content-Type") == "application/json"
    answers.append({"status": r.status_code, "location": r.get("Location"),
                    "body": r.json() if is_json else None})
print(json.dumps(answers))
"""


def _get_in_child(*paths: str, host: str = "localhost", **env: str) -> list[dict]:
    child_env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "socialops.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, host, *paths],
        cwd=django_settings.BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db(False)
def test_unreachable_database_is_503_not_500():
    # Nothing listens on port 1: a real connection failure, at once.
    [answer] = _get_in_child(
        "/healthz", DATABASE_URL="postgres://postgres@127.0.0.1:1/socialops", DEBUG="true"
    )

    assert answer["status"] == 503
    body = answer["body"]
    assert "database" in body["failing"]
    assert "unreachable" in body["database"]["error"]
    # Worker and beat are read from the database: unknown, not "fine".
    assert body["worker"]["ok"] is False
    assert body["beat"]["ok"] is False


@pytest.mark.django_db(False)
def test_a_database_not_migrated_yet_is_503_not_500(tmp_path):
    [answer] = _get_in_child(
        "/healthz", DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", DEBUG="true"
    )

    assert answer["status"] == 503
    body = answer["body"]
    assert body["database"] == {"ok": True}
    assert {"worker", "beat"} <= set(body["failing"])
    assert "could not check" in body["worker"]["error"]


@pytest.mark.django_db(False)
def test_in_production_healthz_answers_plain_http_while_pages_redirect_to_https(tmp_path):
    # The container health check and load balancers call it over plain HTTP.
    healthz, home = _get_in_child(
        "/healthz",
        "/",
        host="example.com",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        ALLOWED_HOSTS="example.com",
        SITE_URL="https://example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )

    assert healthz["status"] == 503
    assert healthz["body"]["status"] == "failing"
    assert home["status"] == 301
    assert home["location"] == "https://example.com/"
