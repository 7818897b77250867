"""A KPI's figures in its unit, formatted in Python: a page of KPIs shows hundreds of them,
and floatformat, intcomma and an include per figure cost more than the rest of the row."""

from __future__ import annotations

from decimal import Decimal

from django import template

from metrics.registry import UNIT_LABELS, Unit

register = template.Library()
UNITS = {u.value for u in Unit}


def figure_text(value: Decimal | None, unit: str, currency: str = "", places: int = 2) -> str:
    """1234.5 → "1,234.5", with the unit after it: "%", " min", " h", " EUR", "×"."""
    if value is None:
        return "—"
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    if unit == Unit.CURRENCY:
        return f"{text} {currency}".rstrip()
    suffix = UNIT_LABELS.get(Unit(unit), "") if unit in UNITS else ""
    if unit == Unit.COUNT or not suffix:
        return text
    return f"{text}{suffix}" if suffix in {"%", "×"} else f"{text} {suffix}"


@register.simple_tag(takes_context=True)
def figure(context: template.Context, value: Decimal | None, unit: str, places: int = 2) -> str:
    organisation = context.get("organisation")
    return figure_text(value, unit, getattr(organisation, "currency", ""), places)
