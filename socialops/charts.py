"""Chart data as the pages' charts read it (a `chart` in the template context)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def day_chart(days: Iterable[tuple[date, int]]) -> dict:
    """A count per day (clicks per day, say) as labels and values."""
    days = list(days)
    return {
        "labels": [day.isoformat() for day, _ in days],
        "values": [count for _, count in days],
    }
