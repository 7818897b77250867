from __future__ import annotations

from django import forms

from listening.inbox.models import Priority
from listening.inbox.sla.models import SlaPolicy


class SlaPolicyForm(forms.ModelForm):
    """A department's policy for one priority (saving one that exists changes it)."""

    priority = forms.ChoiceField(choices=Priority.choices)

    class Meta:
        model = SlaPolicy
        fields = [
            "department",
            "priority",
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "business_hours",
        ]

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments

    def clean(self):
        data = super().clean()
        # Saving a department × priority that has a policy changes that policy.
        existing = SlaPolicy.objects.filter(
            department=data.get("department"), priority=data.get("priority")
        ).first()
        if existing is not None:
            self.instance = existing
        return data
