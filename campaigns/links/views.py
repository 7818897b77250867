"""The short-link redirect."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from campaigns.links import permissions as link_perms
from campaigns.links import visitors
from campaigns.links.filters import ClickFilterSet, LinkFilterSet
from campaigns.links.forms import LinkForm
from campaigns.links.selectors import (
    click_referrers,
    clicks_per_day,
    clicks_visible_to,
    link_get_for_page,
    link_tags,
    link_target_build,
    link_target_get,
    links_visible_to,
    x_link_reports,
)
from campaigns.links.services import ClickEvent, click_capture, link_create_tagged
from campaigns.models import TrackedLink
from socialops.charts import day_chart
from socialops.csv import csv_response
from socialops.filters import filtered_page
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_submitted_form, validate_only
from socialops.permissions import require

log = logging.getLogger(__name__)


def _client_ip(request: HttpRequest) -> str:
    # Behind the proxy the first X-Forwarded-For entry is the visitor. It can be forged,
    # but it only feeds the hashed unique-visitor key, never a decision.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")


@require_safe
def link_redirect(request: HttpRequest, code: str) -> HttpResponse:
    """302 to the link's stored destination (never anything taken from the request) with
    its UTM tags and a fresh click id; the click is captured on the way."""
    target = link_target_get(code=code)
    if target is None:
        return render(request, "campaigns/links/not_found.html", {"code": code}, status=404)
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    event = ClickEvent.new(
        link_id=target.link_id,
        referrer=request.META.get("HTTP_REFERER", ""),
        user_agent=user_agent,
        is_bot=visitors.is_bot(user_agent, request.method or "GET"),
        visitor_key=visitors.visitor_key(
            ip=_client_ip(request), user_agent=user_agent, day=timezone.now().date()
        ),
    )
    try:
        click_capture(event=event)
    except DatabaseError:
        # Redis and the database both down: the click is lost, the visitor still arrives.
        log.exception("could not record click %s", event.click_id)
    response = HttpResponseRedirect(target.url(event.click_id))
    response["Cache-Control"] = "private, no-store"  # every click must reach us
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Pages: the links, making one, one link's clicks -----------------------------------

LINK_PAGE_SIZE = 50


def _short_url(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("shortlinks:follow", args=[code]))


@login_required
def link_list(request: HttpRequest) -> HttpResponse:
    filterset = LinkFilterSet(
        request.GET or None, queryset=links_visible_to(user=request.user), request=request
    )
    context = filtered_page(request, filterset, per_page=LINK_PAGE_SIZE)
    for link in context["page"]:
        link.short_url = _short_url(request, link.code)
    context |= {
        "can_create": link_perms.can_create_link(request.user, None),
    }
    template = "campaigns/links/list.html"
    if request.htmx and request.htmx.target == "link-results":
        template += "#results"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def link_create(request: HttpRequest) -> HttpResponse:
    require(
        link_perms.can_create_link(request.user, None),
        "Only department leads and members make tracked links.",
    )
    form = LinkForm(
        request.POST or None, user=request.user, initial={"campaign": request.GET.get("campaign")}
    )
    if request.method == "POST" and not validate_only(request, form) and form.is_valid():
        try:
            link = link_create_tagged(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Tracked link created: copy its short address below.")
            return htmx_redirect(request, reverse("campaigns:link_detail", args=[link.pk]))
    return render_submitted_form(request, "campaigns/links/form.html", {"form": form})


@login_required
def link_detail(request: HttpRequest, pk: int) -> HttpResponse:
    link = link_get_for_page(user=request.user, pk=pk)
    if link is None:
        raise Http404
    clicks = clicks_visible_to(user=request.user).filter(link=link)
    reports = x_link_reports(links=TrackedLink.objects.filter(pk=link.pk))
    days = clicks_per_day(
        clicks=clicks,
        start=timezone.localtime(link.created_at).date(),
        end=timezone.localdate(),
    )
    context = {
        "link": link,
        "short_url": _short_url(request, link.code),
        "target_example": link_target_build(link).url("…"),
        "tags": link_tags(link),
        "chart": day_chart(days),
        "referrers": click_referrers(clicks=clicks),
        "recent": clicks.order_by("-clicked_at")[:20],
        "x_report": reports[0] if reports else None,
    }
    return render(request, "campaigns/links/detail.html", context)


CLICK_PAGE_SIZE = 50


@login_required
def click_list(request: HttpRequest) -> HttpResponse:
    """Every click the filters match, newest first: the rows behind a clicks figure (a
    dashboard links here with its department, days and is_bot=false). ?format=csv
    downloads them all."""
    filterset = ClickFilterSet(
        request.GET or None,
        queryset=clicks_visible_to(user=request.user)
        .select_related("link__campaign", "link__post__department")
        .order_by("-clicked_at", "-pk"),
        request=request,
    )
    context = filtered_page(request, filterset, per_page=CLICK_PAGE_SIZE)
    if request.GET.get("format") == "csv":
        zone = timezone.get_current_timezone()
        return csv_response(
            filename="clicks.csv",
            header=["clicked_at", "link", "campaign", "post", "department", "referrer", "is_bot"],
            rows=(
                [
                    timezone.localtime(c.clicked_at, zone),
                    c.link.code,
                    c.link.campaign.name if c.link.campaign else "",
                    c.link.post_id or "",
                    c.link.post.department.name if c.link.post else "",
                    c.referrer,
                    c.is_bot,
                ]
                for c in context["rows"].iterator(chunk_size=2000)
            ),
        )
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    context["csv_query"] = query.urlencode()
    template = "campaigns/links/click_list.html"
    if request.htmx and request.htmx.target == "click-results":
        template += "#results"
    return render(request, template, context)
