"""Production settings refuse to start misconfigured, and pass Django's deploy checks when
configured. Each case runs in a child process: settings are read once, at import."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

# Variables the parent may have set that would hide what a case is about (conftest sets
# DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which the deploy checks rightly reject).
_SCRUBBED = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "DEBUG",
    "SOCIALOPS_TESTING",
    "DJANGO_SETTINGS_MODULE",
}


def strong_secret_key() -> str:
    return secrets.token_urlsafe(50)


def fernet_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_secret_key_refuses_to_start():
    result = manage("check", DEBUG="false", FIELD_ENCRYPTION_KEY=fernet_key())

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    "weak",
    [
        "changeme",
        "django-insecure-" + "x" * 60,
        "ab" * 40,
        "abcde" * 10,
        "password1234" * 5,
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ],
)
def test_production_with_weak_secret_key_says_how_to_make_one(weak):
    result = manage("check", DEBUG="false", SECRET_KEY=weak, FIELD_ENCRYPTION_KEY=fernet_key())

    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr


def test_random_secret_keys_of_every_usual_kind_are_accepted():
    from django.core.management.utils import get_random_secret_key

    from socialops.settings import _why_not_random

    makers = [
        lambda: secrets.token_urlsafe(50),
        lambda: secrets.token_hex(25),
        lambda: secrets.token_hex(32),
        get_random_secret_key,
    ]
    refused = [key for make in makers for _ in range(2000) if _why_not_random(key := make())]

    assert refused == []


@pytest.mark.parametrize("debug", ["false", "true"], ids=["production", "development-when-given"])
@pytest.mark.parametrize(
    "key",
    ["not-a-fernet-key", "x" * 44, secrets.token_urlsafe(50), fernet_key()[:-2]],
    ids=["short", "wrong-length", "not-base64-of-32", "truncated"],
)
def test_a_malformed_field_encryption_key_refuses_to_start(debug, key):
    # It used to pass check and start-up; the first request that read an X token was a 500.
    result = manage(
        "check",
        DEBUG=debug,
        SECRET_KEY=strong_secret_key(),
        FIELD_ENCRYPTION_KEY=key,
        ALLOWED_HOSTS="example.com",
        SITE_URL="https://social.example.com",
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not a Fernet key" in result.stderr
    assert "Fernet.generate_key()" in result.stderr


def test_a_malformed_field_encryption_key_stops_the_web_process_too():
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(DJANGO_SETTINGS_MODULE="socialops.settings", FIELD_ENCRYPTION_KEY="x" * 44)
    result = subprocess.run(
        [sys.executable, "-c", "from socialops.wsgi import application"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is not a Fernet key" in result.stderr


def test_production_refuses_a_made_up_fernet_key():
    # Valid base64 of 32 bytes, so Fernet takes it, but nobody drew it at random.
    result = manage(
        "check",
        DEBUG="false",
        SECRET_KEY=strong_secret_key(),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(b"abcd" * 8).decode(),
    )

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is too weak" in result.stderr


def test_production_without_site_url_refuses_to_start():
    # Every short link in a published post is built on it.
    result = manage(
        "check", DEBUG="false", SECRET_KEY=strong_secret_key(), FIELD_ENCRYPTION_KEY=fernet_key()
    )

    assert result.returncode != 0
    assert "SITE_URL must be set when DEBUG is off" in result.stderr


def test_production_without_field_encryption_key_refuses_to_start():
    result = manage("check", DEBUG="false", SECRET_KEY=strong_secret_key())

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_named():
    result = manage("check", DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_configured_production_passes_the_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=strong_secret_key(),
        FIELD_ENCRYPTION_KEY=fernet_key(),
        ALLOWED_HOSTS="example.com",
        SITE_URL="https://social.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_needs_no_configuration():
    # `make run` on a bare machine: no secrets set, DEBUG defaults to on.
    result = manage("check")

    assert result.returncode == 0, result.stderr


def test_readme_documents_every_environment_variable_settings_reads():
    source = (BASE_DIR / "socialops" / "settings.py").read_text()
    read = set(re.findall(r"\benv_(?:str|bool|int|list)\(\s*\"([A-Z0-9_]+)\"", source)) | set(
        re.findall(r"os\.environ(?:\.get)?[\[(]\s*\"([A-Z0-9_]+)\"", source)
    )
    readme = (BASE_DIR / "README.md").read_text()

    assert read, "found no environment variables in settings.py: has the helper changed?"
    undocumented = sorted(name for name in read if f"`{name}`" not in readme)
    assert undocumented == [], f"add these to the configuration table in README.md: {undocumented}"
