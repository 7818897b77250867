"""Forms for the time log. Minutes may be typed as 90, 1:30, 1h30 or 1.5h."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms

from campaigns.models import Campaign, TimeEntry
from campaigns.selectors import campaign_choices
from departments.models import Department
from socialops.forms import DateInput, DatesInRange
from socialops.models import User

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_HOURS_MINUTES = re.compile(r"^(?:(\d+(?:[.,]\d+)?)\s*h)?\s*(?:(\d+)\s*(?:m|min)?)?$", re.I)


def parse_minutes(value: str) -> int | None:
    """90 → 90; 1:30 → 90; 1h30 → 90; 1.5h → 90; 45m → 45. None when unreadable."""
    text = value.strip().lower().replace(" ", "")
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if match := _CLOCK.match(text):
        return int(match[1]) * 60 + int(match[2])
    match = _HOURS_MINUTES.match(text)
    if match and (match[1] or match[2]):
        try:
            hours = Decimal((match[1] or "0").replace(",", "."))
        except InvalidOperation:
            return None
        return int(hours * 60) + int(match[2] or 0)
    return None


class MinutesField(forms.Field):
    """A duration typed the way people say it, cleaned to whole minutes."""

    widget = forms.TextInput

    def to_python(self, value):
        text = "" if value is None else str(value).strip()
        if text in self.empty_values:
            return None
        if len(text) > 12:
            raise forms.ValidationError("Type minutes (90), hours and minutes (1:30) or 1.5h.")
        minutes = parse_minutes(text)
        if minutes is None:
            raise forms.ValidationError("Type minutes (90), hours and minutes (1:30) or 1.5h.")
        return minutes


class TimeEntryForm(DatesInRange, forms.Form):
    day = forms.DateField(widget=DateInput())
    minutes = MinutesField(
        label="Time", help_text="Minutes (45), 1:30 or 1.5h.", widget=forms.TextInput()
    )
    activity = forms.ChoiceField(choices=TimeEntry.Activity.choices)
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)
    note = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaign_choices(user=user)
        self.fields["campaign"].label_from_instance = lambda c: c.name
        departments = Department.objects.order_by("name")
        if not user.is_org_admin:
            departments = departments.filter(memberships__user=user).distinct()
        self.fields["department"].queryset = departments
        self.fields["minutes"].widget.attrs.update({"placeholder": "1:30", "inputmode": "text"})

    @classmethod
    def initial_for(cls, entry: TimeEntry) -> dict:
        return {
            "day": entry.day,
            "minutes": entry.minutes,
            "activity": entry.activity,
            "campaign": entry.campaign_id,
            "department": entry.department_id,
            "note": entry.note,
        }


class TeamFilterForm(DatesInRange, forms.Form):
    """The team view's period and department."""

    start = forms.DateField(widget=DateInput(), required=False, label="From")
    end = forms.DateField(widget=DateInput(), required=False, label="To")
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["department"].empty_label = "All I can see"

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The period must end on or after its start.")
        elif start and end and (end - start).days > 366:
            self.add_error("end", "Pick a period of at most a year.")
        return data
