"""Test-wide setup: fast hashing, no network beyond loopback, and the three users every
private thing is tested with."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest
from django.conf import settings as django_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright runs a loop

# pytest-django has loaded the settings by now. Without the test settings every test runs
# with the click spool on (a shipper thread per process beside the test's transaction); a
# run like that once hung for 30 minutes on a flush behind an idle transaction. Refuse it.
if not django_settings.TESTING:
    pytest.exit(
        "the suite needs the test settings: run `make test` (PYTEST_ARGS='tests/...' picks "
        "tests), or set SOCIALOPS_TESTING=1 before pytest",
        returncode=4,
    )


def _is_loopback(address) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX socket path
        return True
    host = address[0]
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(
                ipaddress.ip_address(info[4][0]).is_loopback
                for info in socket.getaddrinfo(host, None)
            )
        except OSError:
            return False


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise RuntimeError(f"test tried to open a network connection to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise RuntimeError(f"test tried to open a network connection to {address!r}")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_throttles(settings):
    """Brute-force counters live in the cache, which tests share (one Redis): each test
    counts in its own namespace, so one test's bad tokens never lock out another's."""
    import uuid

    settings.THROTTLE_NAMESPACE = uuid.uuid4().hex


@pytest.fixture
def organisation(db):
    from departments.selectors import organisation_get

    return organisation_get()


@pytest.fixture
def marketing(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(name="Marketing", kind="marketing")


@pytest.fixture
def sales(db):
    from tests.factories import DepartmentFactory

    return DepartmentFactory(name="Sales", kind="sales")


@pytest.fixture
def owner(marketing):
    """A lead of Marketing: owns Marketing's goals."""
    from tests.factories import MembershipFactory

    return MembershipFactory(department=marketing, role="lead").user


@pytest.fixture
def colleague(sales):
    """A lead of another department (Sales)."""
    from tests.factories import MembershipFactory

    return MembershipFactory(department=sales, role="lead").user


@pytest.fixture
def admin_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="admin", is_superuser=True, is_staff=True)
