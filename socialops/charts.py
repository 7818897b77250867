"""Chart data as the pages' charts read it (a `chart` in the template context), and small
sparklines drawn on the server."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def day_chart(days: Iterable[tuple[date, int]]) -> dict:
    """A count per day (clicks per day, say) as labels and values."""
    days = list(days)
    return {
        "labels": [day.isoformat() for day, _ in days],
        "values": [count for _, count in days],
    }


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 28, 2


def sparkline_svg(
    points: Sequence[tuple[int, Decimal | None]],
    *,
    span: int,
    target: Decimal | None = None,
    target_from_zero: bool = False,
    label: str = "",
) -> SafeString:
    """A small inline SVG line, drawn on the server (no script): `points` are (day number
    1..span, value), None where there is no value yet. The target is a dashed line, flat,
    or rising from zero at the start to the target at the end (a total's pace)."""
    known = [(x, float(v)) for x, v in points if v is not None]
    if not known or span <= 0:
        return SafeString("")
    levels = [v for _, v in known]
    if target is not None:
        levels.append(float(target))
    if target_from_zero:
        levels.append(0.0)
    low, high = min(levels), max(levels)
    high = high if high > low else low + 1

    def at(x: float, value: float) -> str:
        px = SPARK_PAD + (SPARK_WIDTH - 2 * SPARK_PAD) * x / span
        share = (value - low) / (high - low)
        py = SPARK_HEIGHT - SPARK_PAD - (SPARK_HEIGHT - 2 * SPARK_PAD) * share
        return f"{px:.1f},{py:.1f}"

    line = " ".join(at(x, v) for x, v in known)
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
        f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img" aria-label="{escape(label)}">'
    ]
    if target is not None:
        start = at(0, 0.0 if target_from_zero else float(target))
        parts.append(
            f'<polyline class="target" points="{start} {at(span, float(target))}" '
            'fill="none" stroke="#1f8a4c" stroke-width="1" stroke-dasharray="3 2"/>'
        )
    parts.append(
        f'<polyline class="actual" points="{line}" fill="none" stroke="#2b59c3" '
        'stroke-width="1.5" stroke-linejoin="round"/>'
    )
    x, v = known[-1]
    point = at(x, v).split(",")
    parts.append(f'<circle cx="{point[0]}" cy="{point[1]}" r="2" fill="#2b59c3"/>')
    parts.append("</svg>")
    # Safe: built from numbers and an escaped label.
    return mark_safe("".join(parts))
