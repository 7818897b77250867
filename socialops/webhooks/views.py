"""Webhook pages for organisation admins: endpoints, their delivery log, replay and resending
what failed. Thin views: a form validates, one service or selector call, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_submitted_form
from socialops.permissions import require
from socialops.webhooks import selectors, services
from socialops.webhooks.forms import EndpointForm, ResendForm
from socialops.webhooks.models import Delivery
from socialops.webhooks.permissions import can_manage_webhooks

DELIVERIES_PER_PAGE = 50


def _admins_only(request: HttpRequest) -> None:
    require(can_manage_webhooks(request.user), services.ONLY_ADMINS)


@login_required
@require_GET
def endpoint_list(request: HttpRequest) -> HttpResponse:
    _admins_only(request)
    return render(
        request,
        "socialops/webhooks/endpoint_list.html",
        {"endpoints": selectors.endpoint_list(user=request.user)},
    )


@never_cache  # the answer carries the new secret: no cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request: HttpRequest) -> HttpResponse:
    _admins_only(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # The secret is in this answer only (no redirect, nothing in the session).
            return render(
                request,
                "socialops/webhooks/secret.html",
                {"endpoint": endpoint, "secret": endpoint.secret, "created": True},
            )
    return render_submitted_form(
        request, "socialops/webhooks/endpoint_form.html", {"form": form, "endpoint": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    endpoint = get_object_or_404(selectors.endpoint_list(user=request.user), pk=pk)
    form = EndpointForm(
        request.POST or None,
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "event_types": endpoint.event_types,
            "enabled": endpoint.enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Endpoint saved.")
            return htmx_redirect(request, reverse("webhooks:endpoint", args=[endpoint.pk]))
    return render_submitted_form(
        request, "socialops/webhooks/endpoint_form.html", {"form": form, "endpoint": endpoint}
    )


@login_required
@require_GET
def endpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    endpoint = get_object_or_404(selectors.endpoint_list(user=request.user), pk=pk)
    return _detail(request, endpoint, ResendForm())


def _detail(request: HttpRequest, endpoint, resend_form: ResendForm, status: int = 200):
    deliveries = selectors.delivery_list(user=request.user).filter(endpoint=endpoint)
    shown = request.GET.get("status", "")
    if shown in Delivery.Status.values:
        deliveries = deliveries.filter(status=shown)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "socialops/webhooks/endpoint_detail.html",
        {
            "endpoint": endpoint,
            "page": page,
            "shown": shown,
            "statuses": Delivery.Status.choices,
            "resend_form": resend_form,
        },
        status=status,
    )


@never_cache
@login_required
@require_POST
def endpoint_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    endpoint = get_object_or_404(selectors.endpoint_list(user=request.user), pk=pk)
    endpoint = services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    return render(
        request,
        "socialops/webhooks/secret.html",
        {"endpoint": endpoint, "secret": endpoint.secret, "created": False},
    )


@login_required
@require_POST
def endpoint_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    endpoint = get_object_or_404(selectors.endpoint_list(user=request.user), pk=pk)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted.")
    return htmx_redirect(request, reverse("webhooks:endpoints"))


@login_required
@require_POST
def resend_failed(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    endpoint = get_object_or_404(selectors.endpoint_list(user=request.user), pk=pk)
    form = ResendForm(request.POST)
    if form.is_valid():
        try:
            count = services.deliveries_resend_failed(
                actor=request.user, endpoint=endpoint, since=form.cleaned_data["since"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"{count} failed deliver{'y' if count == 1 else 'ies'} queued again."
                if count
                else "Nothing failed since then.",
            )
            return htmx_redirect(request, reverse("webhooks:endpoint", args=[endpoint.pk]))
    return _detail(request, endpoint, form, status=422)


@login_required
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admins_only(request)
    delivery = get_object_or_404(selectors.delivery_list(user=request.user), pk=pk)
    return render(
        request,
        "socialops/webhooks/delivery_detail.html",
        {
            "delivery": delivery,
            "attempts": selectors.attempt_list(user=request.user, delivery=delivery),
            "body": json.dumps(delivery.event.payload, indent=2, ensure_ascii=False),
        },
    )


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a delivery again; an HTMX request gets its row back."""
    _admins_only(request)
    delivery = get_object_or_404(selectors.delivery_list(user=request.user), pk=pk)
    try:
        delivery = services.delivery_replay(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Delivery of {delivery.event.type} queued again.")
    if request.htmx:
        delivery = selectors.delivery_list(user=request.user).get(pk=delivery.pk)
        return render(
            request,
            "socialops/webhooks/_delivery_row.html",
            {"delivery": delivery, "replayed": True},
        )
    return htmx_redirect(request, reverse("webhooks:endpoint", args=[delivery.endpoint_id]))
