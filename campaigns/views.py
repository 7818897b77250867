"""Pages for campaigns and the UTM naming registry.

Thin views: a form validates, one service or selector call, render. A form posted by
HTMX with `?validate=1` is only validated (inline validation); a plain POST works
without JavaScript; an HTMX post with errors answers 422 with the form partial."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import permissions as perms
from campaigns import selectors, services
from campaigns.filters import CampaignFilterSet
from campaigns.forms import CampaignForm, CampaignStatusForm, UtmTagForm
from campaigns.links import permissions as link_perms
from campaigns.links.selectors import links_visible_to
from campaigns.models import Campaign, UtmTag
from socialops.charts import day_chart
from socialops.filters import filtered_page
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_submitted_form, validate_only
from socialops.permissions import require

PAGE_SIZE = 25


# --- helpers --------------------------------------------------------------------------


def _campaign_or_404(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(selectors.campaigns_visible_to(user=request.user), pk=pk)


# --- campaigns ------------------------------------------------------------------------


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    filterset = CampaignFilterSet(
        request.GET or None,
        queryset=selectors.campaigns_visible_to(user=request.user),
        request=request,
    )
    context = {
        **filtered_page(request, filterset, per_page=PAGE_SIZE),
        "can_create": perms.can_create_campaigns(request.user),
        "registry_empty": not UtmTag.objects.exists(),
    }
    template = "campaigns/campaigns/list.html"
    if request.htmx and request.htmx.target == "campaign-results":
        template += "#results"
    return render(request, template, context)


@login_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    reports = selectors.campaign_x_reports(campaign=campaign)
    reported = [r for r in reports if r.x_clicks is not None]
    context = {
        "campaign": campaign,
        "stats": selectors.campaign_stats(campaign=campaign),
        "chart": day_chart(selectors.campaign_clicks_per_day(campaign=campaign)),
        "links": links_visible_to(user=request.user).filter(campaign=campaign)[:50],
        "offers": campaign.offers.order_by("-valid_from", "code"),
        "posts": selectors.campaign_posts(campaign=campaign).order_by("-scheduled_at")[:10],
        "x_reports": reports,
        "x_total": sum(r.x_clicks for r in reported),
        "x_ours": sum(r.our_clicks for r in reported),
        "x_reported": bool(reported),
        "can_edit": perms.can_edit_campaign(request.user, campaign.department),
        "can_link": link_perms.can_create_link(request.user, campaign),
        "status_form": CampaignStatusForm(initial={"status": campaign.status}),
        "today": timezone.localdate(),
    }
    return render(request, "campaigns/campaigns/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    require(
        perms.can_create_campaigns(request.user),
        "Only department leads and members start campaigns.",
    )
    today = timezone.localdate()
    department = request.GET.get("department")
    form = CampaignForm(
        request.POST or None,
        user=request.user,
        initial={
            "period_start": today,
            "utm_source": "x",
            "utm_medium": "social",
            "department": perms.editable_departments(request.user)
            .filter(slug=department)
            .values_list("pk", flat=True)
            .first(),
        },
    )
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Campaign “{campaign}” created. Add its tracked links.")
            return htmx_redirect(request, reverse("campaigns:campaign_detail", args=[campaign.pk]))
    return render_submitted_form(
        request,
        "campaigns/campaigns/form.html",
        {"form": form, "registry_empty": not UtmTag.objects.exists()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    require(
        perms.can_edit_campaign(request.user, campaign.department),
        "Only this department's team can change its campaigns.",
    )
    # The form works on its own copy: a failed save must not change what the page shows.
    form = CampaignForm(
        request.POST or None, user=request.user, instance=Campaign.objects.get(pk=campaign.pk)
    )
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            services.campaign_update(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Campaign saved.")
            return htmx_redirect(request, reverse("campaigns:campaign_detail", args=[campaign.pk]))
    return render_submitted_form(
        request, "campaigns/campaigns/form.html", {"form": form, "campaign": campaign}
    )


@login_required
@require_POST
def campaign_status(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    form = CampaignStatusForm(request.POST)
    if form.is_valid():
        campaign = services.campaign_set_status(
            actor=request.user, campaign=campaign, status=form.cleaned_data["status"]
        )
        messages.success(request, f"“{campaign}” is now {campaign.get_status_display().lower()}.")
    else:
        messages.error(request, "That is not a campaign status.")
    return htmx_redirect(request, reverse("campaigns:campaign_detail", args=[campaign.pk]))


# --- the UTM naming registry ----------------------------------------------------------


def _registry_context(request: HttpRequest, form: UtmTagForm | None = None) -> dict:
    tags = list(selectors.utm_tags_visible_to(user=request.user))
    groups = [
        (value, label, [t for t in tags if t.parameter == value])
        for value, label in UtmTag.Parameter.choices
    ]
    can_manage = perms.can_manage_utm_registry(request.user)
    return {
        "groups": groups,
        "empty": not tags,
        "can_manage": can_manage,
        "form": form or (UtmTagForm() if can_manage else None),
    }


@login_required
@require_http_methods(["GET", "POST"])
def utm_registry(request: HttpRequest) -> HttpResponse:
    """Everyone reads the registry; leads and admins add values here."""
    template = "campaigns/campaigns/utm_registry.html"
    if request.method == "GET":
        return render(request, template, _registry_context(request))
    form = UtmTagForm(request.POST)
    if not validate_only(request, form) and form.is_valid():
        try:
            tag = services.utm_tag_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{tag.get_parameter_display()} “{tag.value}” added.")
            return htmx_redirect(request, reverse("campaigns:utm_registry"))
    return render_submitted_form(request, template, _registry_context(request, form))


@login_required
@require_POST
def utm_tag_active(request: HttpRequest, pk: int) -> HttpResponse:
    tag = get_object_or_404(selectors.utm_tags_visible_to(user=request.user), pk=pk)
    active = request.POST.get("is_active") == "true"
    services.utm_tag_set_active(actor=request.user, tag=tag, is_active=active)
    verb = "is active again" if active else "was retired"
    messages.success(request, f"{tag.get_parameter_display()} “{tag.value}” {verb}.")
    return htmx_redirect(request, reverse("campaigns:utm_registry"))


@login_required
@require_POST
def utm_defaults(request: HttpRequest) -> HttpResponse:
    added = services.utm_tags_ensure_defaults(actor=request.user)
    messages.success(
        request, f"{added} usual value{'s' if added != 1 else ''} added to the registry."
    )
    return htmx_redirect(request, reverse("campaigns:utm_registry"))
