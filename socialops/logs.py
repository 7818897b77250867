"""Logging helpers for settings.LOGGING."""

from __future__ import annotations

import logging

# Requests the development server handles all day for machines, not people: the demo's
# click generator on short links, static files.
ROUTINE_PREFIXES = ("/l/", "/static/")
# /healthz logs its own line, at its real weight (socialops/views.py); the development
# server's would be an ERROR for every 503 a probe got while the product was starting.
OWN_LOG_PREFIXES = ("/healthz",)


class RoutineRequests(logging.Filter):
    """Drops the development server's line for /healthz, and for a routine request that
    went well (a 2xx or 3xx on ROUTINE_PREFIXES) unless ROUTINE_LOG_LEVEL lets INFO
    through; errors and every other request stay."""

    def __init__(self, level: str = "INFO") -> None:
        super().__init__()
        self.quiet = logging.getLevelName(level.upper()) > logging.INFO

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.args, tuple) or len(record.args) < 2:
            return True
        request_line, status = str(record.args[0]), str(record.args[1])
        parts = request_line.split(" ")
        path = parts[1] if len(parts) > 1 else ""
        if path.startswith(OWN_LOG_PREFIXES):
            return False
        return not (self.quiet and path.startswith(ROUTINE_PREFIXES) and status[:1] in ("2", "3"))
