"""Every response carries the Content-Security-Policy, and no template relies on what it
refuses (inline script, on…= handlers, htmx's eval'd hx-on, <style> elements)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/healthz", "/api/v1/goals/", "/l/nosuchcode", "/static/css/app.css"],
)
def test_every_kind_of_response_carries_the_policy(client, path):
    response = client.get(path)

    assert directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_pages_and_admin_of_a_signed_in_user_carry_it(client, admin_user):
    client.force_login(admin_user)
    for path in ["/", "/calendar/", "/admin/", "/admin/campaigns/campaign/"]:
        response = client.get(path)

        assert response.status_code == 200, path
        assert directives(response["Content-Security-Policy"]) == POLICY, path


@pytest.mark.django_db
def test_swagger_ui_may_show_its_data_url_icons_and_nothing_more(client):
    page = client.get("/api/v1/docs/")
    script = client.get("/api/v1/docs/?script=")

    assert directives(page["Content-Security-Policy"]) == {**POLICY, "img-src": "'self' data:"}
    # Its start-up script comes from our origin, not inline.
    html = page.content.decode()
    assert re.search(r'<script src="[^"]*\?script=', html)
    assert not re.search(r"<script>", html) and "<style" not in html
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def _project_files(*suffixes: str) -> list[Path]:
    """The project's own files (not the tests, which hold bad markup on purpose)."""
    skip = {".venv", ".git", "node_modules", "staticfiles", "var", "tests", "__pycache__"}
    found = []
    for folder, subfolders, files in os.walk(BASE_DIR):
        subfolders[:] = [name for name in subfolders if name not in skip]
        found += [Path(folder, name) for name in files if name.endswith(suffixes)]
    return found


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"""\s(on[a-z]+|hx-on[:\w-]*)\s*=\s*["']""", re.I)
JS_URL = re.compile(r"""href\s*=\s*["']\s*javascript:""", re.I)


def test_no_template_relies_on_what_the_policy_refuses():
    found = []
    for path in _project_files(".html"):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL, re.compile(r"<style", re.I)):
            found += [f"{path.relative_to(BASE_DIR)}: {m.group(0)}" for m in pattern.finditer(text)]

    assert found == []


def test_no_form_widget_adds_an_inline_handler():
    found = [
        f"{path.relative_to(BASE_DIR)}: {m.group(0)}"
        for path in _project_files(".py")
        for m in re.finditer(r"""["'](on[a-z]+|hx-on[:\w-]*)["']\s*:""", path.read_text())
    ]

    assert found == []
