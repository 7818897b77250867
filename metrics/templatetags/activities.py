"""One cell of the activities table (metrics.activities.ActivityRow.cells) as shown: the
measure linked to its rows, and below it the rate per hour or per US$ of X API spend with
its 95 % interval. A tag, not template markup with an included rate: the table's 1,500
cells (8 departments × 4 weeks × 7 kinds × 7 measures) took 400 ms to render that way."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from metrics.activities import ActivityRow, Rate

register = template.Library()

CENT = Decimal("0.01")
NO_DATA = mark_safe('<span class="muted">no data yet</span>')  # a constant, no input
PER = {
    "hour": ("/h", "per hour spent, with its 95 % interval"),
    "dollar": ("/$", "per US$ of X API spend, with its 95 % interval"),
}


def two_places(value: float | Decimal) -> str:
    """As floatformat:"-2" shows it: to the hundredth, without ".00" for a whole number."""
    number = Decimal(repr(value) if isinstance(value, float) else value)
    rounded = number.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return str(rounded.quantize(Decimal(1)))
    return str(rounded)


def with_commas(text: str) -> str:
    """As intcomma shows a number already formatted: thousands separated by commas."""
    whole, dot, fraction = text.partition(".")
    return f"{int(whole):,}{dot}{fraction}"


def rate_text(rate: Rate | None) -> str:
    if rate is None:
        return NO_DATA
    if rate.high is None:
        return two_places(rate.value)
    return (
        f'{two_places(rate.value)} <span class="muted">'
        f"[{two_places(rate.low or 0)}–{two_places(rate.high)}]</span>"
    )


def _url(row: ActivityRow, name: str) -> str:
    """The rows behind a figure, escaped: the page's view sets them on rows of kinds of
    post."""
    return escape(getattr(row, name, ""))


@register.simple_tag
def activity_cell(row: ActivityRow, cell: dict, per: str) -> SafeString:
    """Built from numbers this module formats and escaped addresses (format_html's
    escaping of every piece was most of the tag's time)."""
    key, value = cell["key"], cell["value"]
    if key == "revenue":
        shown, url = with_commas(two_places(value)), _url(row, "conversions_url") if value else ""
    else:
        shown = f"{int(value):,}"
        url = {
            "posts": _url(row, "posts_url"),
            "clicks": _url(row, "clicks_url") if value else "",
            "visitors": _url(row, "clicks_url") if value else "",
            "conversions": _url(row, "conversions_url") if value else "",
        }.get(key, "")
    figure = f'<a href="{url}">{shown}</a>' if url else shown
    sign, title = PER["dollar" if per == "dollar" else "hour"]
    rate = cell["dollar"] if per == "dollar" else cell["hour"]
    return mark_safe(
        f'{figure}<div class="muted rate" style="white-space:nowrap" title="{title}">'
        f"{sign}: {rate_text(rate)}</div>"
    )


@register.simple_tag(takes_context=True)
def activity_row_head(context, row: ActivityRow) -> SafeString:
    """A row's first cells: its ISO week, department, kind (flagged when too few to tell),
    hours logged and the department's X API spend."""
    urls = context.render_context.setdefault("activity_department_urls", {})
    department = ""
    if row.department is not None:
        slug = row.department.slug
        if slug not in urls:
            urls[slug] = escape(reverse("departments:dashboard", args=[slug]))
        department = f'<a href="{urls[slug]}">{escape(row.department.name)}</a>'
    year, week, _ = row.week.isocalendar()
    kind = escape(row.label)
    if row.too_few:
        kind += (
            '<div><span class="badge no_data" title="Fewer than '
            f"{escape(str(context.get('min_posts')))} posts or "
            f"{escape(str(context.get('min_hours')))} hours logged: the rates below could be "
            'chance">too few to tell</span></div>'
        )
    if not row.hours:
        hours = '<span class="muted">none logged</span>'
    elif url := _url(row, "time_url"):
        hours = f'<a href="{url}">{two_places(row.hours)}</a>'
    else:
        hours = two_places(row.hours)
    if row.x_spend is None:
        spend = NO_DATA
    else:
        spend = (
            f'<a href="{escape(str(context.get("sources_url", "")))}">'
            f"{two_places(row.x_spend)}&nbsp;USD</a>"
        )
    return mark_safe(
        f'<td style="white-space:nowrap">{year}-W{week:02d}<div class="muted">'
        f"{row.week.day} {row.week.strftime('%b')}</div></td><td>{department}</td>"
        f'<td>{kind}</td><td class="num">{hours}</td>'
        f'<td class="num" style="white-space:nowrap">{spend}</td>'
    )
