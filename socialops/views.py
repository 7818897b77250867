from __future__ import annotations

import datetime as dt
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.views import SpectacularSwaggerSplitView

from socialops.csp import csp_override
from socialops.forms import ApiTokenForm, apply_service_errors
from socialops.health import health_report
from socialops.tokens import api_resources, api_token_create, api_token_revoke, api_token_visible

log = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 when the database, broker, a worker and beat are all fine; 503 naming what is not
    ("starting" when all that is missing is a worker or beat not up yet)."""
    report = health_report()
    failing = [name for name, entry in report.items() if not entry["ok"]]
    starting = bool(failing) and all(report[name].get("starting") for name in failing)
    status = "starting" if starting else ("failing" if failing else "ok")
    response = JsonResponse({"status": status, "failing": failing, **report})
    if failing:
        response.status_code = 503
        # Said here at its real weight (starting is expected: DEBUG), not as Django's
        # ERROR for a 5xx, which a probe polling during start-up repeated every 2 s.
        log.log(
            logging.DEBUG if starting else logging.WARNING,
            "healthz: %s: %s",
            status,
            "; ".join(f"{name}: {report[name]['error']}" for name in failing),
        )
        response._has_been_logged = True  # django.utils.log.log_response skips it
    return response


# Swagger UI's stylesheet draws its icons from data: URLs; nothing else is relaxed.
@method_decorator(csp_override(img_src="'self' data:"), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from ?script, not inline (CSP)."""

    template_name = "api/swagger_ui.html"


@never_cache  # the answer to a POST carries a new secret: no cache may keep it
@login_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """The API tokens page: one's tokens (an admin sees everybody's), a new one made with
    its scopes, and each revocable."""
    issued = None
    form = ApiTokenForm(request.POST or None, resources=api_resources())
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_on"]
        expires_at = (
            None
            if expires_on is None
            else timezone.make_aware(dt.datetime.combine(expires_on, dt.time()))
        )
        try:
            # The secret is in this answer only (no redirect, nothing in the session): we
            # keep a hash.
            issued = api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                expires_at=expires_at,
                audit=True,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "expires_at" in exc.error_dict:
                exc = ValidationError({"expires_on": exc.error_dict["expires_at"]})
            apply_service_errors(form, exc)
        else:
            form = ApiTokenForm(resources=api_resources())
    tokens = api_token_visible(user=request.user)
    return render(
        request,
        "socialops/api_token.html",
        {"tokens": tokens, "issued": issued, "form": form, "now": timezone.now()},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["POST"])
def api_token_revoke_view(request, pk: int):
    token = get_object_or_404(api_token_visible(user=request.user), pk=pk)
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"The token {token.name or token.prefix} was revoked.")
    return redirect("api_token")
