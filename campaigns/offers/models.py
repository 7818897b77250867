"""Offers (coupons) and the conversions that a shop or CRM reports back."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from socialops.changes import change_field
from socialops.params import validate_day_in_range


class Offer(models.Model):
    class ValueKind(models.TextChoices):
        AMOUNT = "amount", "Amount off"
        PERCENT = "percent", "Percent off"
        OTHER = "other", "Other (free trial, gift…)"

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="offers"
    )
    # Matched case-insensitively: a shop reports SPRING20 or spring20 alike.
    code = models.CharField(max_length=40)
    description = models.CharField(max_length=300)
    valid_from = models.DateField(validators=[validate_day_in_range])
    valid_until = models.DateField(validators=[validate_day_in_range])
    value_kind = models.CharField(
        max_length=10, choices=ValueKind.choices, default=ValueKind.AMOUNT
    )
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-valid_from", "code"]
        constraints = [
            models.UniqueConstraint(Upper("code"), name="offer_unique_code"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="offer_validity_order"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Conversion(models.Model):
    """A sale, sign-up, lead or coupon redemption. Attributed to a campaign by the click id
    (sc_cid) first, then by the coupon code, else left unattributed."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        SIGNUP = "signup", "Sign-up"
        LEAD = "lead", "Lead"
        REDEMPTION = "redemption", "Coupon redemption"
        DONATION = "donation", "Donation"

    class Attribution(models.TextChoices):
        CLICK = "click", "Click"
        COUPON = "coupon", "Coupon"
        NONE = "none", "Unattributed"

    class Channel(models.TextChoices):
        API = "api", "API"
        FORM = "form", "Form"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PURCHASE)
    value = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(max_length=3)
    occurred_at = models.DateTimeField(validators=[validate_day_in_range])
    is_new_customer = models.BooleanField(default=False)
    # As reported (kept even when they match nothing); the click id is joined to
    # Click.click_id (no foreign key: the click may still be in the Redis buffer when the
    # conversion arrives), the link and campaign are what they resolved to.
    click_id = models.CharField(max_length=32, blank=True, db_index=True)
    coupon_code = models.CharField(max_length=40, blank=True)
    link = models.ForeignKey(
        "campaigns.TrackedLink",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversions",
    )
    offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversions",
    )
    attribution = models.CharField(
        max_length=10, choices=Attribution.choices, default=Attribution.NONE
    )
    # The shop's or CRM's own id: the same external id twice is the same conversion.
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # The API's Idempotency-Key header, for callers without an external id.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, unique=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The change cursor (socialops.changes): stamped by a trigger on every write.
    change_xid = change_field()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["campaign", "occurred_at"], name="conversion_campaign"),
            # The metrics rollup recomputes a few days at a time.
            models.Index(fields=["occurred_at"], name="conversion_time"),
        ]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="conversion_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value} {self.currency}"
