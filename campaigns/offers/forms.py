"""Forms for offers and conversions: they check the shape of the input; the services
check the rules (rights, unique codes, validity, attribution) and save."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from campaigns.models import Campaign, Conversion, Offer
from campaigns.offers import selectors
from campaigns.selectors import campaign_choices
from socialops.forms import DateInput, DatesInRange
from socialops.models import User


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _campaign_label(campaign: Campaign) -> str:
    return f"{campaign.name} ({campaign.department})"


class OfferForm(DatesInRange, forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none())
    code = forms.CharField(
        max_length=40,
        help_text="What customers type at the checkout, e.g. SPRING20. Matched whatever the case.",
    )
    description = forms.CharField(max_length=300)
    valid_from = forms.DateField(widget=DateInput())
    valid_until = forms.DateField(widget=DateInput())
    value_kind = forms.ChoiceField(choices=Offer.ValueKind.choices, label="Kind of value")
    value = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        initial=0,
        help_text="The amount or percentage off; 0 for a gift or free trial.",
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        campaigns = selectors.campaigns_editable_by(user=user)
        initial_campaign = self.initial.get("campaign")
        if initial_campaign is not None:
            # An offer's current campaign stays selectable for whoever may edit it.
            pk = getattr(initial_campaign, "pk", initial_campaign)
            campaigns = campaign_choices(user=user).filter(
                Q(pk__in=campaigns.values("pk")) | Q(pk=pk)
            )
        self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].label_from_instance = _campaign_label

    @classmethod
    def initial_for(cls, offer: Offer) -> dict:
        return {
            "campaign": offer.campaign_id,
            "code": offer.code,
            "description": offer.description,
            "valid_from": offer.valid_from,
            "valid_until": offer.valid_until,
            "value_kind": offer.value_kind,
            "value": offer.value,
        }


class ConversionForm(DatesInRange, forms.Form):
    """A conversion typed in by hand (a sale by phone, a redemption at an event)."""

    kind = forms.ChoiceField(choices=Conversion.Kind.choices)
    value = forms.DecimalField(max_digits=12, decimal_places=2, initial=0)
    currency = forms.CharField(
        max_length=3, required=False, help_text="Three letters; blank for the organisation's."
    )
    occurred_at = forms.DateTimeField(
        widget=DateTimeInput(), label="When", help_text="In the organisation's time zone."
    )
    is_new_customer = forms.BooleanField(required=False, label="A new customer")
    coupon_code = forms.CharField(max_length=40, required=False, label="Coupon code")
    click_id = forms.CharField(
        max_length=32,
        required=False,
        label="Click id",
        help_text="The sc_cid value from the landing page's address, if known.",
    )
    external_id = forms.CharField(
        max_length=100,
        required=False,
        label="External id",
        help_text="The order or lead number in the shop or CRM; the same number is never "
        "recorded twice.",
    )
