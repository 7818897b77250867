"""Forms for prospect lists and prospects: they validate input; services decide."""

from __future__ import annotations

from django import forms

from listening.models import XAccount
from prospects.models import Interaction, ListShare, Stage
from socialops.forms import DatesInRange


class ProspectListForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(max_length=300, required=False)
    account = forms.ModelChoiceField(
        XAccount.objects.all(),
        required=False,
        help_text="Mirror a private X list of this account (leave empty for a list kept here).",
    )
    x_list_id = forms.IntegerField(
        label="X list id",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="The private X list to mirror, or tick below to create one.",
    )
    create_on_x = forms.BooleanField(label="Create a private X list for it", required=False)

    def clean(self):
        data = super().clean()
        if (data.get("x_list_id") or data.get("create_on_x")) and not data.get("account"):
            self.add_error("account", "Pick the X account that owns the X list.")
        if data.get("x_list_id") and data.get("create_on_x"):
            self.add_error("create_on_x", "Either mirror an X list or create one, not both.")
        return data


class AddProspectForm(forms.Form):
    handle = forms.CharField(
        label="X handle",
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "@dana_ceo", "autocomplete": "off"}),
    )
    name = forms.CharField(max_length=100, required=False)
    company = forms.CharField(max_length=100, required=False)
    title = forms.CharField(max_length=100, required=False)


class ProspectForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)
    company = forms.CharField(max_length=100, required=False)
    title = forms.CharField(max_length=100, required=False)
    crm_id = forms.CharField(label="CRM id", max_length=100, required=False)
    value = forms.DecimalField(
        label="Pipeline value", max_digits=12, decimal_places=2, min_value=0, required=False
    )
    coupon_code = forms.CharField(max_length=40, required=False)
    tags = forms.CharField(max_length=200, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TouchForm(DatesInRange, forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in Interaction.TOUCHES], initial="call"
    )
    text = forms.CharField(
        label="What was said", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    occurred_at = forms.DateTimeField(
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Now, if left empty.",
    )


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(Stage.objects.all(), to_field_name="key")
    reason = forms.CharField(max_length=300, required=False)


class ShareForm(forms.Form):
    username = forms.CharField(label="Person (username)", max_length=150, required=False)
    department = forms.CharField(label="or department (slug)", max_length=100, required=False)
    access = forms.ChoiceField(choices=ListShare.Access.choices)
