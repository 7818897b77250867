"""Listening tests' shared fixtures: the loopback replay of real X answers, and our X
account connected to the bundled simulator."""

import pytest

from listening.models import XAccount
from tests.recordings import replay  # noqa: F401 — the loopback replay of real X answers
from tests.xsim_server import xsim, xsim_server  # noqa: F401


@pytest.fixture
def brightline_account(xsim, settings):  # noqa: F811
    """@brightline, connected with the simulator's user token, the client pointed at it."""
    settings.X_API_BASE_URL = xsim.url
    return XAccount.objects.create(
        username="brightline",
        x_user_id=int(xsim.user_id("brightline")),
        access_token=xsim.user_token("brightline"),
    )
