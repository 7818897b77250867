"""The form that makes a tracked link; link_create_tagged() checks the rest."""

from __future__ import annotations

from django import forms

from campaigns import permissions as perms
from campaigns.models import Campaign, UtmTag, validate_destination
from campaigns.selectors import campaign_choices, utm_choices
from socialops.models import User


class LinkForm(forms.Form):
    destination = forms.CharField(
        max_length=2000,
        validators=[validate_destination],
        widget=forms.URLInput(attrs={"placeholder": "https://www.example.com/spring"}),
        help_text="The page visitors land on: a full address starting with http:// or https://.",
    )
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="No campaign",
        help_text="Its UTM tags (source, medium, campaign) are added to the address.",
    )
    utm_content = forms.ChoiceField(
        label="UTM content",
        required=False,
        help_text="Tells links of one campaign apart (post, bio, reply…).",
    )
    utm_source = forms.ChoiceField(
        label="UTM source", required=False, help_text="Left empty: the campaign's."
    )
    utm_medium = forms.ChoiceField(
        label="UTM medium", required=False, help_text="Left empty: the campaign's."
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        departments = perms.editable_departments(user)
        self.fields["campaign"].queryset = (
            campaign_choices(user=user)
            .filter(department__in=departments)
            .exclude(status=Campaign.Status.FINISHED)
            .order_by("department__name", "name")
        )
        self.fields["campaign"].label_from_instance = lambda c: f"{c.department.name}: {c.name}"
        for name, parameter in (
            ("utm_content", UtmTag.Parameter.CONTENT),
            ("utm_source", UtmTag.Parameter.SOURCE),
            ("utm_medium", UtmTag.Parameter.MEDIUM),
        ):
            empty = "—" if name == "utm_content" else "The campaign's"
            self.fields[name].choices = [("", empty), *utm_choices(parameter=parameter)]
