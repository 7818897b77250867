"""Filters shared by every app's FilterSets."""

from __future__ import annotations

import django_filters
from django_filters.fields import DateRangeField


class _PlainDateRangeField(DateRangeField):
    def compress(self, data_list):
        # django-filter makes the dates aware datetimes at local midnight; compared with a
        # DateField those are converted to UTC first, so east of UTC a range began a day
        # early. A date range on a DateField wants the dates as typed.
        if data_list:
            start, stop = data_list
            return slice(start or None, stop or None)
        return None


class DateRangeFilter(django_filters.DateFromToRangeFilter):
    """`<name>_after` / `<name>_before`, inclusive, for a DateField (a DateTimeField wants
    django-filter's own DateFromToRangeFilter, whose local-midnight datetimes are right
    there)."""

    field_class = _PlainDateRangeField
