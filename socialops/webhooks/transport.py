"""The one place webhooks leave the building: an address check against server-side request
forgery, and a POST to the address that was checked.

A host name is resolved once, every address it resolves to must be public (unless
WEBHOOK_ALLOW_PRIVATE_ADDRESSES), and the connection goes to that checked address with the
name kept for the Host header and TLS: a name that resolves to a public address when
checked and to 127.0.0.1 a moment later (DNS rebinding) cannot steer the POST inside."""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

RESPONSE_BYTES = 1024


class AddressRefused(Exception):
    """The URL cannot be used: not http(s), unresolvable, or a private address."""


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def url_resolve(url: str) -> tuple[str, int, str]:
    """(checked address, port, host name) for `url`, or AddressRefused saying why."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise AddressRefused("Use an http:// or https:// address.")
    if parts.username or parts.password:
        raise AddressRefused("Leave credentials out of the address; the signature proves us.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The port is not a number between 1 and 65535.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(f"{parts.hostname} cannot be resolved.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    refused = [a for a in addresses if not _allowed(a)]
    if refused or not addresses:
        raise AddressRefused(
            f"{parts.hostname} is a private, loopback or link-local address ({refused[0]}); "
            "webhooks go to public addresses only."
            if refused
            else f"{parts.hostname} cannot be resolved."
        )
    return str(addresses[0]), port, parts.hostname


@dataclass(frozen=True)
class Answer:
    status: int | None
    body: str
    error: str
    duration_ms: int
    retry_after: int | None


def _retry_after(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return max(0, int(value.strip()))
    except ValueError:
        pass
    try:
        return max(0, int(parsedate_to_datetime(value).timestamp() - time.time()))
    except (TypeError, ValueError):
        return None


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `url` (checked first), reading at most RESPONSE_BYTES of the answer.
    Never raises for the receiver's faults: they come back as the Answer's error."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        address, port, hostname = url_resolve(url)
    except AddressRefused as exc:
        return Answer(None, "", str(exc), took(), None)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = hostname if parts.port is None else f"{hostname}:{parts.port}"
    options = {
        "timeout": urllib3.Timeout(connect=timeout, read=timeout, total=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=hostname, assert_hostname=hostname, **options
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
        )
        try:
            first = response.read(RESPONSE_BYTES, decode_content=True)
        finally:
            response.release_conn()
        text = first.decode("utf-8", errors="replace")
        return Answer(
            response.status, text, "", took(), _retry_after(response.headers.get("Retry-After"))
        )
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        return Answer(None, "", f"{type(exc).__name__}: {reason}"[:300], took(), None)
    except OSError as exc:
        return Answer(None, "", f"{type(exc).__name__}: {exc}"[:300], took(), None)
    finally:
        pool.close()
