"""The review page's forms: each validates its input; the service decides the rest."""

from __future__ import annotations

from django import forms

from departments.models import Department
from metrics.reviews.models import ActionItem, Decision
from socialops.forms import DateInput, DatesInRange
from socialops.models import User


class CommentaryForm(forms.Form):
    text = forms.CharField(
        label="Commentary",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Why, and what we do about it"}),
        max_length=4000,
        required=False,
        help_text="Empty removes it.",
    )


class AttendanceForm(forms.Form):
    """One checkbox per representative of the department: ticked, present."""

    def __init__(self, *args, representatives=(), **kwargs):
        super().__init__(*args, **kwargs)
        for membership in representatives:
            self.fields[f"present_{membership.user_id}"] = forms.BooleanField(
                label=membership.user.display_name, required=False
            )
        self.representatives = list(representatives)

    def presence(self) -> list[tuple[User, bool]]:
        return [
            (m.user, bool(self.cleaned_data.get(f"present_{m.user_id}")))
            for m in self.representatives
        ]


class ActionItemForm(DatesInRange, forms.Form):
    department = forms.ModelChoiceField(queryset=Department.objects.none())
    title = forms.CharField(max_length=300)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    due = forms.DateField(widget=DateInput(), required=False)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments or Department.objects.none()
        self.fields["owner"].queryset = User.objects.filter(
            is_active=True, memberships__department__in=self.fields["department"].queryset
        ).distinct()
        self.fields["owner"].label_from_instance = lambda u: u.display_name


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)


class DecisionForm(DatesInRange, forms.Form):
    text = forms.CharField(
        label="Decision", widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    decided_by = forms.CharField(label="Decided by", max_length=200, initial="The committee")
    decided_on = forms.DateField(label="Date", widget=DateInput(), required=False)
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, empty_label="The whole committee"
    )
    supersedes = forms.ModelChoiceField(
        queryset=Decision.objects.none(),
        required=False,
        empty_label="(none)",
        help_text="A correction: the earlier decision this one replaces.",
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments or Department.objects.none()
        self.fields["supersedes"].queryset = Decision.objects.filter(
            superseded_by__isnull=True
        ).order_by("-decided_on", "-pk")
        self.fields["supersedes"].label_from_instance = lambda d: (
            f"{d.decided_on:%d %b %Y}: {d.text[:60]}"
        )


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
