"""The guard in tests/conftest.py: a test may talk to loopback (the database, Redis, the
simulator, a live server) and nothing else."""

from __future__ import annotations

import socket

import pytest

import tests.conftest as guard

# TEST-NET / private addresses that route nowhere useful: were the guard to let the
# connect through, the test would hang until the socket timeout instead of failing.
OUTSIDE = [
    (socket.AF_INET, ("10.255.255.1", 9)),
    (socket.AF_INET, ("192.0.2.1", 80)),
    (socket.AF_INET6, ("2001:db8::1", 443, 0, 0)),
]


@pytest.fixture
def real_connects(monkeypatch):
    """Record every call that would reach the real socket functions."""
    calls: list[object] = []

    def spy(real):
        def recorded(sock, address):
            calls.append(address)
            return real(sock, address)

        return recorded

    monkeypatch.setattr(guard, "_real_connect", spy(guard._real_connect))
    monkeypatch.setattr(guard, "_real_connect_ex", spy(guard._real_connect_ex))
    return calls


def _socket(family: int) -> socket.socket:
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        pytest.skip("this machine has no IPv6")
    sock.settimeout(2)
    return sock


def test_the_guard_is_installed():
    assert socket.socket.connect is guard._guarded_connect
    assert socket.socket.connect_ex is guard._guarded_connect_ex


@pytest.mark.parametrize(("family", "address"), OUTSIDE)
def test_connect_outside_loopback_is_refused_before_any_packet(real_connects, family, address):
    with _socket(family) as sock, pytest.raises(RuntimeError, match="network connection"):
        sock.connect(address)

    assert real_connects == []


@pytest.mark.parametrize(("family", "address"), OUTSIDE)
def test_connect_ex_outside_loopback_is_refused_too(real_connects, family, address):
    with _socket(family) as sock, pytest.raises(RuntimeError, match="network connection"):
        sock.connect_ex(address)

    assert real_connects == []


def test_create_connection_outside_loopback_is_refused(real_connects):
    # What http clients (urllib3, requests, tweepy) use under the hood.
    with pytest.raises(RuntimeError):
        socket.create_connection(("10.255.255.1", 9), timeout=2)

    assert real_connects == []


@pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
)
def test_loopback_is_allowed(real_connects, family, host):
    try:
        server = socket.socket(family, socket.SOCK_STREAM)
        server.bind((host, 0))
    except OSError:
        pytest.skip(f"{host} is not available on this machine")
    with server:
        server.listen(1)
        port = server.getsockname()[1]
        with _socket(family) as client:
            client.connect((host, port))
            peer, _ = server.accept()
            with peer:
                client.sendall(b"ping")
                assert peer.recv(4) == b"ping"

    assert len(real_connects) == 1


def test_localhost_by_name_is_allowed(real_connects):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("localhost", port), timeout=2):
            pass

    assert real_connects
