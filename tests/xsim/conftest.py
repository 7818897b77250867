"""Fixtures for the simulator's own tests: the shared simulator (reset per test), user
tokens for our two accounts and an outsider, and X's published material in ../shared."""

from __future__ import annotations

import pytest

from tests import xsim_server as _xsim_fixtures
from tests.xsim.xapi import xapi_dir
from tests.xsim_server import XsimHandle

xsim_server = _xsim_fixtures.xsim_server
xsim = _xsim_fixtures.xsim


@pytest.fixture
def shared_xapi():
    """``../shared/xapi`` (skips, outside CI only, when the folder is absent)."""
    return xapi_dir()


@pytest.fixture
def company(xsim: XsimHandle) -> dict[str, str]:
    """@brightline: its id and a user token with every scope the product asks for."""
    return {"id": xsim.user_id("brightline"), "token": xsim.user_token("brightline")}


@pytest.fixture
def support(xsim: XsimHandle) -> dict[str, str]:
    return {"id": xsim.user_id("brightline_help"), "token": xsim.user_token("brightline_help")}


@pytest.fixture
def outsider(xsim: XsimHandle) -> dict[str, str]:
    """A journalist who authorised some other app: owns nothing of ours."""
    username = xsim.world()["people"]["journalist"][0]["username"]
    return {"id": xsim.user_id(username), "token": xsim.user_token(username), "username": username}
