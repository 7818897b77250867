"""docker-compose.yml describes the production-like set (ARCHITECTURE.md, "Processes").
Docker is not needed: the file is read as YAML, as compose reads it before interpolation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SECRETS = ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "POSTGRES_PASSWORD")
# ${NAME} or ${NAME:?message} or ${NAME?message}: the value can only come from outside.
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(?::?\?[^}]*)?\}$")
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|KEY$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the "NAME=value" form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _command(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def test_the_production_like_set_is_there(services):
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_data_services_are_the_agreed_versions_with_volumes(compose, services):
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:7")
    volumes = set(compose.get("volumes") or {})
    for name in ("postgres", "redis"):
        mounted = {str(v).split(":", 1)[0] for v in services[name].get("volumes", [])}
        assert mounted & volumes, f"{name} keeps its data in a named volume"


@pytest.mark.parametrize(
    ("name", "probe"), [("postgres", "pg_isready"), ("redis", "ping"), ("web", "/healthz")]
)
def test_healthchecks(services, name, probe):
    test = services[name]["healthcheck"]["test"]
    assert probe in (" ".join(test) if isinstance(test, list) else test)


def test_app_processes_wait_for_healthy_data_services(services):
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        for dependency in ("postgres", "redis"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)


def test_web_migrates_collects_static_and_serves_with_gunicorn(services):
    web = services["web"]
    assert web["build"]
    command = _command(web)
    assert command.index("migrate") < command.index("collectstatic") < command.index("gunicorn")
    assert "socialops.wsgi" in command


def test_worker_consumes_every_queue_and_beat_schedules(services):
    worker = _command(services["worker"])
    assert "celery -A socialops worker" in worker
    assert "-Q ingest,publish,default" in worker
    assert "celery -A socialops beat" in _command(services["beat"])
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas", 1) == 1


def test_every_long_running_process_is_restarted_when_it_exits(services):
    for name in ("postgres", "redis", "web", "worker", "beat", "xsim"):
        assert services[name]["restart"] == "unless-stopped", name
    worker = _command(services["worker"])
    assert "--without-gossip" in worker and "--without-mingle" in worker


def test_the_simulator_only_starts_under_the_demo_profile(services):
    xsim = services["xsim"]
    assert xsim["profiles"] == ["demo"]
    assert "python -m xsim --host 0.0.0.0 --port 8765 --seed 1" in _command(xsim)
    for name, service in services.items():
        if name != "xsim":
            assert "profiles" not in service, f"{name} must start by default"


def test_app_processes_run_in_production_mode_against_postgres_and_redis(services):
    for name in ("web", "worker", "beat"):
        env = _environment(services[name])
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert REQUIRED.match(env["ALLOWED_HOSTS"]), "ALLOWED_HOSTS must be set by the operator"
        assert REQUIRED.match(env["SITE_URL"]), "SITE_URL must be set by the operator"


def test_secrets_are_required_from_the_environment(services):
    app_env = _environment(services["web"])
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        match = REQUIRED.match(app_env[name])
        assert match and match["name"] == name, f"{name} must be ${{{name}:?...}}"
    match = REQUIRED.match(_environment(services["postgres"])["POSTGRES_PASSWORD"])
    assert match and match["name"] == "POSTGRES_PASSWORD"


def test_no_secret_value_is_hard_coded(services):
    for service_name, service in services.items():
        for key, value in _environment(service).items():
            if SECRETISH.search(key) and value:
                # Either required from outside, or an optional pass-through with no default.
                assert REQUIRED.match(value) or re.fullmatch(r"\$\{[A-Z0-9_]+:?-\}", value), (
                    f"{service_name}: {key} has a value in the file: {value!r}"
                )
            for userinfo_password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", value):
                assert REQUIRED.match(userinfo_password), (
                    f"{service_name}: {key} embeds a literal password"
                )


def test_the_file_itself_holds_no_secret_looking_literals():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in SECRETS:
        # As a mapping key ("NAME: value") or a list item ("- NAME=value").
        for value in re.findall(rf"^\s*-?\s*{name}\s*[:=]\s*(\S+)", text, re.MULTILINE):
            assert value.startswith("${"), f"{name} = {value} is written in the file"
    # Long random-looking tokens (a pasted key) do not belong in the file at all.
    assert not re.search(r"[A-Za-z0-9_\-]{40,}={0,2}", text)


def test_the_image_runs_as_a_non_root_user_and_collects_static_at_build():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "pip install ." in dockerfile
    assert "collectstatic" in dockerfile
    # The build's key is generated on the spot, never a literal.
    assert not re.search(r"SECRET_KEY=['\"]?[A-Za-z0-9]", dockerfile)


def test_docker_context_leaves_out_secrets_and_local_state():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv", "var"} <= ignored
