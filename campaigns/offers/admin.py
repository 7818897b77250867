"""Admin for offers and conversions."""

from django.contrib import admin

from campaigns.models import Conversion, Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "valid_from", "valid_until", "value_kind", "value"]
    search_fields = ["code", "description"]


@admin.register(Conversion)
class ConversionAdmin(admin.ModelAdmin):
    list_display = ["kind", "value", "currency", "occurred_at", "attribution", "campaign"]
    list_filter = ["kind", "attribution", "channel"]
    search_fields = ["external_id", "click_id", "coupon_code"]
    raw_id_fields = ["link", "offer", "campaign"]
