"""Forms validate input shape; services validate the rest and save."""

from __future__ import annotations

import zoneinfo

from django import forms

from departments.models import KPI, Department, Goal, Membership, Organisation
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
