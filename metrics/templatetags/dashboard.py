"""A dashboard's number as shown: "no data yet" for None, else the value in its unit as
a KPI shows it (metrics.templatetags.kpis.figure_text). A tag, not an included template: a
quarter's daily table shows hundreds of them and an include per number was half of the
page's rendering time."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from metrics.templatetags.kpis import figure_text

register = template.Library()

NO_DATA = mark_safe('<span class="muted">no data yet</span>')  # a constant, no input


@register.simple_tag(takes_context=True)
def figure_or_none(context, value: Decimal | int | None, unit: str = "count") -> str:
    if value is None:
        return NO_DATA
    organisation = context.get("organisation")
    return figure_text(Decimal(value), unit, getattr(organisation, "currency", ""))
