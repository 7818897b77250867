"""The short-link redirect."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from campaigns import visitors
from campaigns.selectors.links import link_target_get
from campaigns.services.links import ClickEvent, click_capture

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
        return render(request, "campaigns/link_not_found.html", {"code": code}, status=404)
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


@login_required
def link_list(request: HttpRequest) -> HttpResponse:
    return render(request, "campaigns/placeholder.html", {"title": "Links"})
