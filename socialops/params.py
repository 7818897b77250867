"""Dates, weeks, months and moments read from a query string, typed into a form or sent
to the API: one range the whole product accepts.

Python's dates end at year 1 and 9999, and every page does arithmetic on the dates it is
given (the week after, the month before, midnight in the organisation's zone, a moment
shown 14 hours east of UTC): at the edges of that range each of them raised
OverflowError, a 500. Nothing SocialOps plans or measures lies before 1900 or after
2999, so dates outside that range are clamped (page navigation), ignored (prefills) or
refused with a field error (forms and the API); inside it no arithmetic can overflow."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)
RANGE_MESSAGE = f"Enter a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
# The same range for the OpenAPI schema: a year from 1900 to 2999, then a month and day.
DAY_PATTERN = r"(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
# A time of day and an optional offset, as Django's parse_datetime reads them.
TIME_PATTERN = r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)?"
DAY_SCHEMA = {"type": "string", "format": "date", "pattern": f"^{DAY_PATTERN}$"}
MOMENT_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "pattern": f"^{DAY_PATTERN}T{TIME_PATTERN}$",
}

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_ISO_WEEK_RE = re.compile(r"^\s*(\d{4})-W(\d{2})\s*$")


def day_in_range(day: dt.date) -> bool:
    if isinstance(day, dt.datetime):
        day = day.date()
    return EARLIEST <= day <= LATEST


def clamp_day(day: dt.date) -> dt.date:
    return min(max(day, EARLIEST), LATEST)


def validate_day_in_range(value: dt.date | dt.datetime) -> None:
    """A validator for form and serializer date and datetime fields."""
    if value is not None and not day_in_range(value):
        raise ValidationError(RANGE_MESSAGE, code="date_out_of_range")


def day_param(value: str | None, *, default: dt.date) -> dt.date:
    """A day written YYYY-MM-DD, moved into the supported range; `default` when it is
    missing or not a date."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return default
    return clamp_day(day)


def month_param(value: str | None, *, default: dt.date) -> dt.date:
    """The first day of a month written YYYY-MM, moved into the supported range;
    `default` when it is missing or no such month exists."""
    match = _MONTH_RE.match(value or "")
    if not match:
        return default
    try:
        first = dt.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        return default
    return clamp_day(first).replace(day=1)


def iso_week_param(value: str | None, *, default: dt.date) -> dt.date:
    """The Monday of an ISO week written YYYY-Www (2026-W47), moved into the supported
    range; `default` when it is missing or no such week exists."""
    match = _ISO_WEEK_RE.match(value or "")
    if not match:
        return default
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return default
    day = clamp_day(monday)
    return day - dt.timedelta(days=day.weekday())


def moment_param(value: str | None) -> dt.datetime | None:
    """An aware moment from an ISO 8601 date and time (naive ones are in the current
    zone); None when it is missing, not a moment, or outside the supported range."""
    try:
        moment = parse_datetime((value or "").strip())
    except ValueError:
        return None
    if moment is None or not day_in_range(moment):
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def id_param(value: str | None) -> int | None:
    """A row id from a query string: a positive integer that fits a bigint column, else
    None (a lookup with `abc` raised ValueError, one past 2**63 a database error)."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None
