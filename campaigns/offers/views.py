"""Pages for offers (coupons) and conversions.

Thin views: a form validates, one service or selector call, render. An HTMX request
gets the page's partial back (the form with its field errors, 422; or the filtered
results); a plain request works without JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.models import Conversion
from campaigns.offers import permissions as perms
from campaigns.offers import selectors, services
from campaigns.offers.filters import ConversionFilterSet, OfferFilterSet
from campaigns.offers.forms import ConversionForm, OfferForm
from socialops import params
from socialops.filters import filtered_page
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_form
from socialops.permissions import require

CONVERSIONS_PER_PAGE = 50


def _results(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The filtered results alone for an HTMX filter bar, else the whole page."""
    if request.htmx and request.method == "GET":
        template = f"{template}#results"
    return render(request, template, context)


# --- Offers ---------------------------------------------------------------------------


@login_required
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    filterset = OfferFilterSet(
        request.GET or None, queryset=selectors.offer_list(user=request.user), request=request
    )
    offers = [] if filterset.is_bound and not filterset.is_valid() else list(filterset.qs)
    return _results(
        request,
        "campaigns/offers/offer_list.html",
        {
            "filterset": filterset,
            "offers": offers,
            "filtered": bool(request.GET),
            "today": timezone.localdate(),
            "can_add": perms.can_add_offers(request.user),
            "can_record": perms.can_record_conversion(request.user),
            "totals": {
                "redemptions": sum(o.redemptions for o in offers),
                "new_customers": sum(o.new_customers for o in offers),
                "revenue": sum((o.revenue for o in offers), start=0),
            },
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    require(perms.can_add_offers(request.user), "Only department teams can add offers.")
    today = timezone.localdate()
    form = OfferForm(
        request.POST or None,
        user=request.user,
        initial={"campaign": params.id_param(request.GET.get("campaign")), "valid_from": today},
    )
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.offer_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Offer {offer.code} added.")
            return htmx_redirect(request, reverse("campaigns:offer_detail", args=[offer.pk]))
    return render_form(
        request,
        "campaigns/offers/offer_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(selectors.offer_list(user=request.user), pk=pk)
    conversions = selectors.conversion_list(user=request.user).filter(offer=offer)
    return render(
        request,
        "campaigns/offers/offer_detail.html",
        {
            "offer": offer,
            "conversions": conversions[:20],
            "totals": selectors.conversion_totals(conversions=conversions),
            "today": timezone.localdate(),
            "can_edit": perms.can_edit_offer(request.user, offer.campaign),
            "can_record": perms.can_record_conversion(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_object_or_404(selectors.offer_list(user=request.user), pk=pk)
    require(
        perms.can_edit_offer(request.user, offer.campaign),
        "Only this campaign's department can do that.",
    )
    form = OfferForm(request.POST or None, user=request.user, initial=OfferForm.initial_for(offer))
    if request.method == "POST" and form.is_valid():
        try:
            services.offer_update(actor=request.user, offer=offer, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Offer {form.cleaned_data['code']} saved.")
            return htmx_redirect(request, reverse("campaigns:offer_detail", args=[offer.pk]))
    return render_form(
        request,
        "campaigns/offers/offer_form.html",
        {"form": form, "offer": offer},
        status=422 if request.method == "POST" else 200,
    )


# --- Conversions ----------------------------------------------------------------------


@login_required
@require_GET
def conversion_list(request: HttpRequest) -> HttpResponse:
    filterset = ConversionFilterSet(
        request.GET or None,
        queryset=selectors.conversion_list(user=request.user),
        request=request,
    )
    listing = filtered_page(request, filterset, per_page=CONVERSIONS_PER_PAGE)
    return _results(
        request,
        "campaigns/offers/conversion_list.html",
        {
            **listing,
            "totals": selectors.conversion_totals(conversions=listing["rows"]),
            # Any parameter but the page counts here, not only the filters' own.
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
            "can_record": perms.can_record_conversion(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def conversion_create(request: HttpRequest) -> HttpResponse:
    require(perms.can_record_conversion(request.user), "You cannot record conversions.")
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = ConversionForm(
        request.POST or None,
        initial={
            "occurred_at": now,
            "currency": request.organisation.currency,
            "coupon_code": request.GET.get("coupon", ""),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            conversion = services.conversion_record(
                actor=request.user,
                channel=Conversion.Channel.FORM,
                kind=data["kind"],
                value=data["value"],
                currency=data["currency"],
                occurred_at=data["occurred_at"],
                is_new_customer=data["is_new_customer"],
                click_id=data["click_id"],
                coupon_code=data["coupon_code"],
                external_id=data["external_id"] or None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if conversion.was_created:
                messages.success(
                    request,
                    f"{conversion.get_kind_display()} recorded "
                    f"({conversion.get_attribution_display().lower()}).",
                )
            else:
                messages.info(
                    request,
                    f"External id {conversion.external_id} was already recorded; nothing new "
                    "was added.",
                )
            return htmx_redirect(request, reverse("campaigns:conversion_list"))
    return render_form(
        request,
        "campaigns/offers/conversion_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )
