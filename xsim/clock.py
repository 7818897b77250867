"""Simulated time and X's snowflake ids.

Simulated time runs at ``speed`` times real time from a start epoch and jumps forward on
``advance``. Every id the simulator hands out is a snowflake built from the simulated
creation time, so ids increase with time exactly as X's do, and ``since_id`` / time
bounds can be turned into one another.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

# X's snowflake epoch (2010-11-04T01:42:54.657Z): id = ms since it << 22 | worker << 12 | seq.
TWITTER_EPOCH_MS = 1288834974657
WORKER_BITS = 10
SEQ_BITS = 12
MAX_WORKER = (1 << WORKER_BITS) - 1
MAX_SEQ = (1 << SEQ_BITS) - 1
HOUR = 3600.0
DAY = 86400.0


class SimClock:
    """Simulated Unix time: ``start + offset + (monotonic elapsed) * speed``."""

    def __init__(
        self, start: float, speed: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._base = float(start)
        self._anchor = monotonic()
        self._speed = float(speed)

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._base + (self._monotonic() - self._anchor) * self._speed

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("simulated time only moves forward")
        self._base += float(seconds)
        return self.now()

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        # Re-anchor so the change applies from now on and time does not jump.
        now = self.now()
        self._base, self._anchor, self._speed = now, self._monotonic(), float(speed)


def snowflake(ms: int, worker: int, seq: int) -> int:
    if not 0 <= worker <= MAX_WORKER or not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"worker {worker} / seq {seq} out of range")
    return ((ms - TWITTER_EPOCH_MS) << 22) | (worker << SEQ_BITS) | seq


def snowflake_ms(snowflake_id: int) -> int:
    return (snowflake_id >> 22) + TWITTER_EPOCH_MS


def id_floor(ts: float) -> int:
    """The smallest id a post created at ``ts`` (Unix seconds) could have."""
    return snowflake(int(ts * 1000), 0, 0)


def iso(ts: float) -> str:
    """X's timestamp format: millisecond precision, always UTC with a ``Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 / RFC 3339 datetime; naive values are taken as UTC."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
