"""Filters shared by every app's FilterSets, and the context of a filtered, paged list.
Dates and moments are held to the product's range (socialops/params.py) and moments are
compared in UTC: a year-1 or year-9999 bound overflowed, and an offset such as +21:30
(valid in Python) was refused by PostgreSQL, both a 500 instead of a field error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from django_filters.fields import DateRangeField, IsoDateTimeField, IsoDateTimeRangeField
from drf_spectacular.utils import extend_schema_field

from socialops import params


def _bounded(value):
    """`value` (a date, a moment, a slice of them or None) when within the range; moments
    in UTC."""
    if isinstance(value, slice):
        return slice(_bounded(value.start), _bounded(value.stop))
    if value is None:
        return None
    if not params.day_in_range(value):
        raise ValidationError(params.RANGE_MESSAGE, code="date_out_of_range")
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value.astimezone(dt.UTC)
    return value


class _Bounded:
    def clean(self, value):
        return _bounded(super().clean(value))


class _PlainDateRangeField(_Bounded, DateRangeField):
    def compress(self, data_list):
        # django-filter makes the dates aware datetimes at local midnight; compared with a
        # DateField those are converted to UTC first, so east of UTC a range began a day
        # early. A date range on a DateField wants the dates as typed.
        if data_list:
            start, stop = data_list
            return slice(start or None, stop or None)
        return None


@extend_schema_field(params.DAY_SCHEMA)
class DateRangeFilter(django_filters.DateFromToRangeFilter):
    """`<name>_after` / `<name>_before`, inclusive, for a DateField (a DateTimeField wants
    django-filter's own DateFromToRangeFilter, whose local-midnight datetimes are right
    there)."""

    field_class = _PlainDateRangeField


class _DateTimeRangeField(_Bounded, DateRangeField):
    pass


@extend_schema_field(params.DAY_SCHEMA)
class DateTimeRangeFilter(django_filters.DateFromToRangeFilter):
    """`<name>_after` / `<name>_before`: whole days in the organisation's zone, for a
    DateTimeField."""

    field_class = _DateTimeRangeField


class _IsoDateTimeRangeField(_Bounded, IsoDateTimeRangeField):
    pass


@extend_schema_field(params.MOMENT_SCHEMA)
class IsoDateTimeRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    field_class = _IsoDateTimeRangeField


class _IsoDateTimeField(_Bounded, IsoDateTimeField):
    pass


@extend_schema_field(params.MOMENT_SCHEMA)
class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _IsoDateTimeField


class _DateField(_Bounded, django_filters.DateFilter.field_class):
    pass


@extend_schema_field(params.DAY_SCHEMA)
class DateFilter(django_filters.DateFilter):
    field_class = _DateField


def filtered_page(
    request: HttpRequest, filterset: django_filters.FilterSet, *, per_page: int
) -> dict[str, Any]:
    """What a filtered, paged list shows: the filter form, `rows` (none while a filter is
    invalid, its error shown instead), this `page` of them, the query without its page
    number for the pager's links, and whether any filter is set."""
    invalid = filterset.is_bound and not filterset.is_valid()
    rows = filterset.queryset.none() if invalid else filterset.qs
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filterset": filterset,
        "rows": rows,
        "page": Paginator(rows, per_page).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "filtered": any(request.GET.get(name) for name in filterset.filters),
    }
