"""Forms of the webhook pages."""

from __future__ import annotations

from django import forms

from socialops import params
from socialops.webhooks.events import EVENT_TYPES


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="Address",
        help_text="Where SocialOps POSTs each event (https://…).",
        widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/socialops"}),
    )
    description = forms.CharField(max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Events",
        help_text="None ticked: every event.",
    )
    enabled = forms.BooleanField(required=False, initial=True)


class ResendForm(forms.Form):
    since = forms.DateTimeField(
        widget=DateTimeInput(),
        label="Failed since",
        help_text="Events from this time on (the organisation's time zone).",
        validators=[params.validate_day_in_range],
    )
