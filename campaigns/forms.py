"""Forms for campaigns and the UTM registry: they check the shape of the input; the
services check the rest (rights, registry values, uniqueness) and save."""

from __future__ import annotations

from django import forms

from campaigns import permissions as perms
from campaigns.models import Campaign, UtmTag, validate_utm_value
from campaigns.selectors import utm_choices
from campaigns.services import CAMPAIGN_FIELDS
from departments.models import Goal
from socialops.forms import DateInput, DatesInRange, ModelMultipleChoiceField
from socialops.models import User


class CampaignForm(DatesInRange, forms.ModelForm):
    """Create (with a department) or edit (the department stays) a campaign."""

    goals = ModelMultipleChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Active goals this campaign works towards (any department's).",
    )
    utm_source = forms.ChoiceField(label="UTM source", help_text="Where the visitor comes from.")
    utm_medium = forms.ChoiceField(label="UTM medium", help_text="What kind of traffic it is.")
    utm_campaign = forms.CharField(
        label="UTM campaign",
        required=False,
        max_length=100,
        validators=[validate_utm_value],
        help_text="Left empty: made from the name (spring-launch). Unique among campaigns.",
    )

    class Meta:
        model = Campaign
        fields = ["department", *CAMPAIGN_FIELDS]
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "budget": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
            "spend": forms.NumberInput(attrs={"min": "0", "step": "0.01"}),
        }
        labels = {"period_start": "Starts", "period_end": "Ends"}
        help_texts = {
            "budget": "What may be paid out (ads, prizes, agency), in the organisation's currency.",
            "spend": "What was paid out so far. Staff time is costed from the time log.",
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        if editing:
            del self.fields["department"]
        else:
            departments = perms.editable_departments(user).order_by("name")
            self.fields["department"].queryset = departments
            self.fields["department"].empty_label = None if len(departments) == 1 else "—"
        keep = set(self.instance.goals.values_list("pk", flat=True)) if editing else set()
        self.fields["goals"].queryset = (
            (Goal.objects.filter(status=Goal.Status.ACTIVE) | Goal.objects.filter(pk__in=keep))
            .select_related("department")
            .order_by("department__name", "title")
        )
        self.fields["goals"].label_from_instance = lambda g: f"{g.department.name}: {g.title}"
        for name in ("utm_source", "utm_medium"):
            current = getattr(self.instance, name, "") if editing else ""
            self.fields[name].choices = utm_choices(parameter=name, keep=current)
        self.fields["budget"].required = False
        self.fields["spend"].required = False

    def _amount(self, name: str):
        value = self.cleaned_data.get(name) or 0
        if value < 0:
            raise forms.ValidationError("Cannot be negative.")
        return value

    def clean_budget(self):
        return self._amount("budget")

    def clean_spend(self):
        return self._amount("spend")


class CampaignStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Campaign.Status.choices)


class UtmTagForm(forms.Form):
    # A plain Form: the service says whether the value is new (as a field error).
    parameter = forms.ChoiceField(choices=UtmTag.Parameter.choices)
    value = forms.CharField(
        max_length=100,
        validators=[validate_utm_value],
        help_text="Lower-case letters, digits and - or _ (spring-sale, paid-social).",
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="When to use it, so others pick the same value."
    )
