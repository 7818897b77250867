"""Forms validate input shape; services validate the rest and save."""

from __future__ import annotations

import zoneinfo
from datetime import date

from django import forms

from departments.models import (
    KPI,
    Department,
    Goal,
    Holiday,
    Membership,
    OpeningHours,
    Organisation,
)
from departments.services import KPI_FIELDS
from metrics.registry import METRICS
from socialops.forms import DateInput, DatesInRange
from socialops.models import User


class OrganisationForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=[(tz, tz) for tz in sorted(zoneinfo.available_timezones())],
        help_text="Dates and times are shown in this zone.",
    )

    class Meta:
        model = Organisation
        fields = ["name", "type", "time_zone", "currency", "hourly_staff_cost"]


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "kind", "purpose"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}


class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True))
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    is_representative = forms.BooleanField(
        required=False, label="Steering-committee representative"
    )

    def __init__(self, *args, department: Department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True)
            .exclude(memberships__department=department)
            .order_by("first_name", "username")
        )
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name} ({u.username})"


class MembershipUpdateForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)
    is_representative = forms.BooleanField(required=False)


class GoalForm(DatesInRange, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "objective", "why", "owner", "period_start", "period_end", "status"]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "why": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, department: Department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, memberships__department=department
        ).order_by("first_name", "username")
        self.fields["owner"].label_from_instance = lambda u: u.display_name


class KPIForm(forms.ModelForm):
    metric = forms.ChoiceField(
        choices=[(m.key, m.label) for m in METRICS.values()],
        help_text="What is measured. Pick “Custom (manual)” for a number you track yourselves.",
    )
    direction = forms.ChoiceField(
        choices=[("", "The metric's own"), *KPI.Direction.choices],
        required=False,
        help_text="Reach: a total that adds up over the period, judged pro rata. Stay above "
        "or below: a level or a ratio, judged as it stands.",
    )
    scope = forms.ChoiceField(
        choices=[
            ("", "The department, where the metric is counted per department"),
            *KPI.Scope.choices,
        ],
        required=False,
        help_text="Whose figures count: the organisation's, the department's, one X account's "
        "or one of the department's campaigns.",
    )

    class Meta:
        model = KPI
        fields = list(KPI_FIELDS)
        help_texts = {
            "target": "The value the KPI should reach by the end of the goal's period.",
            "baseline": "Where it stood before the period, for comparison.",
            "unit": "Only for custom KPIs; registry metrics have their own unit.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = False
        self.fields["name"].required = False
        for threshold in ("green_from", "amber_from"):
            self.fields[threshold].required = False  # left empty: the default
        goal = self.instance.goal
        # A campaign KPI counts one of its own department's campaigns.
        campaigns = self.fields["campaign"].queryset
        self.fields["campaign"].queryset = campaigns.filter(department_id=goal.department_id)

    # "The metric's own" is filled in here, so the model validates what will be saved.
    def clean_direction(self) -> str:
        metric = self.cleaned_data.get("metric") or self.instance.metric
        return self.cleaned_data["direction"] or KPI.default_direction(metric)

    def clean_green_from(self) -> int:
        value = self.cleaned_data["green_from"]
        return KPI._meta.get_field("green_from").default if value is None else value

    def clean_amber_from(self) -> int:
        value = self.cleaned_data["amber_from"]
        return KPI._meta.get_field("amber_from").default if value is None else value

    def clean_scope(self) -> str:
        metric = self.cleaned_data.get("metric") or self.instance.metric
        return self.cleaned_data["scope"] or KPI.default_scope(metric)


class SuggestionForm(DatesInRange, forms.Form):
    """One suggested goal, as the user edited it, with its KPIs' targets."""

    title = forms.CharField(max_length=200)
    why = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    period_start = forms.DateField(widget=DateInput())
    period_end = forms.DateField(widget=DateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after its start.")
        return data


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


class BusinessHoursForm(forms.Form):
    """A week of opening hours (one shift a day; closing at or before opening means
    after midnight) and holidays, one per line: “2026-12-25 Christmas Day”."""

    own_hours = forms.BooleanField(
        required=False,
        label="Its own opening hours",
        help_text="Unticked, it follows the organisation's hours.",
    )
    holidays = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-25 Christmas Day"}),
        help_text="One closed day a line: the date (YYYY-MM-DD), then a name if you like.",
    )

    def __init__(self, *args, department: Department | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if department is None:
            del self.fields["own_hours"]
        for day in WEEKDAYS:
            for end in ("opens", "closes"):
                self.fields[f"{day}_{end}"] = forms.TimeField(
                    required=False,
                    label=f"{day.title()} {end}",
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                )

    def day_fields(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(day.title(), self[f"{day}_opens"], self[f"{day}_closes"]) for day in WEEKDAYS]

    def clean_holidays(self) -> list[tuple[date, str]]:
        days: dict[date, str] = {}
        for number, line in enumerate(self.cleaned_data["holidays"].splitlines(), start=1):
            if not line.strip():
                continue
            raw, _, name = line.strip().partition(" ")
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                raise forms.ValidationError(
                    f"Line {number}: “{raw[:20]}” is not a date like 2026-12-25."
                ) from None
            if not 1900 <= day.year <= 2999:
                raise forms.ValidationError(f"Line {number}: a year between 1900 and 2999.")
            days[day] = name.strip()[:100]
        return sorted(days.items())

    def clean(self):
        data = super().clean()
        shifts = []
        for weekday, day in enumerate(WEEKDAYS):
            opens, closes = data.get(f"{day}_opens"), data.get(f"{day}_closes")
            if (opens is None) != (closes is None):
                missing = f"{day}_closes" if closes is None else f"{day}_opens"
                if missing not in self.errors:
                    self.add_error(missing, "Give both times, or neither for a closed day.")
            elif opens is not None:
                shifts.append((weekday, opens, closes))
        data["shifts"] = shifts
        return data

    @classmethod
    def initial_for(cls, department: Department | None) -> dict:
        # A department following the organisation's hours shows them, for reference.
        owner = department if department is not None and department.own_hours else None
        rows = OpeningHours.objects.filter(department=owner)
        initial: dict = {"own_hours": bool(department and department.own_hours)}
        for row in rows:
            initial.setdefault(f"{WEEKDAYS[row.weekday]}_opens", row.opens)
            initial.setdefault(f"{WEEKDAYS[row.weekday]}_closes", row.closes)
        holidays = Holiday.objects.filter(department=department)
        initial["holidays"] = "\n".join(f"{h.day.isoformat()} {h.name}".strip() for h in holidays)
        return initial
