"""Admin for offers and conversions."""

from django.contrib import admin

from campaigns.models import Conversion, Offer
from socialops.admin import MarksAdmin
from socialops.marks import Family, mark, mark_rows


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "valid_from", "valid_until", "value_kind", "value"]
    search_fields = ["code", "description"]


@admin.register(Conversion)
class ConversionAdmin(MarksAdmin):
    list_display = ["kind", "value", "currency", "occurred_at", "attribution", "campaign"]
    list_filter = ["kind", "attribution", "channel"]
    search_fields = ["external_id", "click_id", "coupon_code"]
    raw_id_fields = ["link", "offer", "campaign"]

    def metrics_mark(self, obj: Conversion) -> None:
        mark(Family.CONVERSIONS, [obj.occurred_at])

    def metrics_mark_many(self, queryset) -> None:
        mark_rows(Family.CONVERSIONS, queryset, "occurred_at")
