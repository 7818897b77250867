from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.views import SpectacularSwaggerSplitView

from socialops.csp import csp_override
from socialops.health import health_report
from socialops.tokens import api_token_list, api_token_rotate

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
    issued = None
    if request.method == "POST":
        # The secret is in this answer only (no redirect, nothing in the session): we keep
        # a hash.
        issued = api_token_rotate(user=request.user)
    token = api_token_list(user=request.user).first()
    return render(request, "socialops/api_token.html", {"token": token, "issued": issued})
