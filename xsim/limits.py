"""Rate limits per endpoint and caller in 15-minute windows, and forced failures.

Windows run on the simulated clock, so a test advances time to reset them. A window
opens with the first request and resets 15 minutes later; ``x-rate-limit-reset`` is
that instant in Unix seconds, which is what tweepy and the product schedule on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW = 15 * 60


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(self.limit),
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(self.reset),
        }


@dataclass(slots=True)
class _Window:
    opened: float
    used: int = 0


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}

    def _window(self, endpoint: str, caller: str, now: float) -> _Window:
        window = self._windows.get((endpoint, caller))
        if window is None or now >= window.opened + WINDOW:
            window = _Window(now)
            self._windows[(endpoint, caller)] = window
        return window

    def hit(self, endpoint: str, caller: str, limit: int, now: float) -> RateState:
        """Count one request; ``allowed`` is False once the window's budget is spent."""
        window = self._window(endpoint, caller, now)
        reset = math.ceil(window.opened + WINDOW)
        if window.used >= limit:
            return RateState(limit, 0, reset, False)
        window.used += 1
        return RateState(limit, limit - window.used, reset, True)

    def peek(self, endpoint: str, caller: str, limit: int, now: float) -> RateState:
        """The current state without counting (for answers refused before the limiter)."""
        window = self._windows.get((endpoint, caller))
        if window is None or now >= window.opened + WINDOW:
            return RateState(limit, limit, math.ceil(now + WINDOW), True)
        return RateState(
            limit, max(0, limit - window.used), math.ceil(window.opened + WINDOW), True
        )


@dataclass(slots=True)
class FailureRule:
    """Answer the next ``count`` matching requests with ``status`` and/or after a delay."""

    method: str
    path: str
    count: int
    status: int | None = None
    delay_ms: int = 0
    reset_in: float = 60.0

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.method in ("*", method) and path.startswith(self.path)

    def as_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "status": self.status,
            "delay_ms": self.delay_ms,
            "reset_in": self.reset_in,
        }


class Failures:
    def __init__(self) -> None:
        self.rules: list[FailureRule] = []

    def add(self, rule: FailureRule) -> None:
        self.rules.append(rule)

    def take(self, method: str, path: str) -> FailureRule | None:
        """The first matching rule, with one use consumed."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
                return rule
        return None

    def clear(self) -> None:
        self.rules.clear()
