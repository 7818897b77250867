"""Journeys in a real headless Chromium (Debian's package; Playwright drives it)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def signed_in(page, live_server):
    """A function that signs a user in through the real sign-in form."""
    from tests.factories import PASSWORD

    def sign_in(user):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return sign_in


# Reported by Chromium on the console, and by the page as a securitypolicyviolation event
# (the init script is injected by the browser itself, so the policy does not block it).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  const what = `${e.violatedDirective} blocked ${e.blockedURI || "inline"}`;
  console.error(`securitypolicyviolation: ${what} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def _is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text or text.startswith("securitypolicyviolation:")


@pytest.fixture
def csp_violations(request):
    """What the Content-Security-Policy refused on any page of this test, as the browser
    said it; every browser test fails at teardown if anything was refused."""
    violations: list[str] = []
    if "page" in request.fixturenames:
        page = request.getfixturevalue("page")
        page.add_init_script(_REPORT_VIOLATIONS)
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if _is_csp_violation(message.text)
                else None
            ),
        )
    return violations


@pytest.fixture(autouse=True)
def _fail_on_csp_violations(request, csp_violations):
    yield
    assert csp_violations == [], "the Content-Security-Policy refused:\n" + "\n".join(
        csp_violations
    )


@pytest.fixture
def demo_prospects(organisation, xsim, settings):
    """The demo organisation with Sofia's and Sam's prospect lists, loaded from the
    simulator (the test module imports the `xsim` fixture); Sofia's list."""

    from departments.demo import demo_load, demo_today
    from listening.models import XAccount
    from prospects.demo import demo_prospects_load
    from prospects.models import ProspectList

    settings.X_API_BASE_URL = xsim.url
    demo_load(today=demo_today())
    account = XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
    assert demo_prospects_load(account=account, out=lambda *_: None) > 0
    return ProspectList.objects.get(owner__username="sofia")
