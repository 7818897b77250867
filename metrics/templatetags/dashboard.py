"""A dashboard's number as shown: "no data yet" for None, else the value with its unit.
A tag, not an included template: a quarter's daily table shows hundreds of them and an
include per number was half of the page's rendering time."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import floatformat
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

NO_DATA = mark_safe('<span class="muted">no data yet</span>')  # a constant, no input


@register.simple_tag(takes_context=True)
def figure(context, value: Decimal | int | None, unit: str = "count") -> str:
    if value is None:
        return NO_DATA
    number = intcomma(floatformat(value, "-2"))
    if unit == "percent":
        return format_html("{}&nbsp;%", number)
    if unit == "currency":
        organisation = context.get("organisation")
        currency = getattr(organisation, "currency", "")
        return format_html('{}<span style="font-size:.7em">&nbsp;{}</span>', number, currency)
    if unit == "hours":
        return format_html("{}&nbsp;h", number)
    return format_html("{}", number)
