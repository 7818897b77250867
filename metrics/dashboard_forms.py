"""The dashboards' period pickers: a department dashboard's range (a named period or
custom days) and the activity table's weeks. Bad dates are field errors, never a 500."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms

from departments.models import Department
from metrics.dashboard_selectors import (
    MAX_DAYS,
    MAX_WEEKS,
    RANGE_4_WEEKS,
    RANGE_CUSTOM,
    RANGES,
    Period,
    period_for,
    week_of,
)
from socialops.forms import DateInput, DatesInRange


class RangeForm(DatesInRange, forms.Form):
    range = forms.ChoiceField(choices=RANGES, required=False, label="Period", initial=RANGE_4_WEEKS)
    start = forms.DateField(required=False, label="From", widget=DateInput())
    end = forms.DateField(required=False, label="To", widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        choice = data.get("range") or (RANGE_CUSTOM if start or end else RANGE_4_WEEKS)
        data["range"] = choice
        if choice != RANGE_CUSTOM or self.has_error("start") or self.has_error("end"):
            return data
        if not start:
            self.add_error("start", "Pick the first day of the period.")
        if not end:
            self.add_error("end", "Pick the last day of the period.")
        if start and end and end < start:
            self.add_error("end", "The period must end on or after its start.")
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            self.add_error("end", f"Pick a period of at most {MAX_DAYS} days.")
        return data

    def period(self, *, today: date) -> Period:
        """The period asked for; the last four weeks when nothing (or nothing valid) was."""
        if not self.is_bound or not self.is_valid():
            return period_for(RANGE_4_WEEKS, today=today)
        data = self.cleaned_data
        if data["range"] == RANGE_CUSTOM:
            return Period(data["start"], data["end"])
        return period_for(data["range"], today=today)


WEEKS_SHOWN = 4


class ActivityFilterForm(DatesInRange, forms.Form):
    start = forms.DateField(required=False, label="From the week of", widget=DateInput())
    end = forms.DateField(required=False, label="To the week of", widget=DateInput())
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label="All departments",
    )
    per = forms.ChoiceField(
        choices=[("hour", "per hour spent"), ("dollar", "per US$ of X API spend")],
        required=False,
        label="Rates",
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The weeks must end on or after they start.")
        elif start and end and (week_of(end) - week_of(start)).days // 7 + 1 > MAX_WEEKS:
            self.add_error("end", f"Pick at most {MAX_WEEKS} weeks.")
        return data

    def weeks(self, *, today: date) -> tuple[date, date, Department | None]:
        """Monday of the first week, Sunday of the last, and the department; by default
        the last WEEKS_SHOWN weeks, this one included."""
        this_monday = week_of(today)
        first = this_monday - timedelta(weeks=WEEKS_SHOWN - 1)
        last = this_monday + timedelta(days=6)
        department = None
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            department = data["department"]
            if data["start"] and data["end"]:
                first, last = week_of(data["start"]), week_of(data["end"]) + timedelta(days=6)
            elif data["start"]:
                first = week_of(data["start"])
                last = min(first + timedelta(weeks=WEEKS_SHOWN) - timedelta(days=1), last)
                last = max(last, first + timedelta(days=6))
            elif data["end"]:
                last = week_of(data["end"]) + timedelta(days=6)
                first = last - timedelta(weeks=WEEKS_SHOWN) + timedelta(days=1)
        return first, last, department
