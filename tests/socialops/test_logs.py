"""ROUTINE_LOG_LEVEL: make run's terminal keeps what a person needs."""

from __future__ import annotations

import logging

import pytest

from socialops.logs import RoutineRequests


def _request(line: str, status: str) -> logging.LogRecord:
    # As Django's development server logs a request: '"%s" %s %s', line, status, size.
    return logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (line, status, "0"), None
    )


@pytest.mark.parametrize(
    ("line", "status", "shown"),
    [
        ("GET /l/MBg6J8o HTTP/1.1", "302", False),  # the demo's click generator
        ("GET /healthz HTTP/1.1", "503", False),  # healthz logs its own line, not an ERROR
        ("GET /static/css/app.css HTTP/1.1", "200", False),
        ("GET /l/nope HTTP/1.1", "404", True),  # something went wrong: shown
        ("GET /calendar/ HTTP/1.1", "200", True),  # a person's page
        ("POST /accounts/login/ HTTP/1.1", "302", True),
    ],
)
def test_routine_requests_that_went_well_are_dropped_at_warning(line, status, shown):
    assert RoutineRequests("WARNING").filter(_request(line, status)) is shown


def test_at_info_every_request_is_shown_but_healthz_which_logs_its_own():
    assert RoutineRequests("INFO").filter(_request("GET /l/MBg6J8o HTTP/1.1", "302"))
    assert not RoutineRequests("INFO").filter(_request("GET /healthz HTTP/1.1", "503"))
