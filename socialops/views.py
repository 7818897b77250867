from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularSwaggerSplitView

from socialops.csp import csp_override
from socialops.health import health_report


@never_cache
@require_GET
def healthz(request):
    """200 when the database, broker, a worker and beat are all fine; 503 naming what is not."""
    report = health_report()
    failing = [name for name, entry in report.items() if not entry["ok"]]
    body = {"status": "ok" if not failing else "failing", "failing": failing, **report}
    return JsonResponse(body, status=503 if failing else 200)


class LoginView(auth_views.LoginView):
    """Sign in; on a demo installation, the page lists the demo logins."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.SHOW_DEMO_LOGINS:
            from departments.demo import DEMO_PASSWORD, demo_logins

            context.update(demo_logins=demo_logins(), demo_password=DEMO_PASSWORD)
        return context


# Swagger UI's stylesheet draws its icons from data: URLs; nothing else is relaxed.
@method_decorator(csp_override(img_src="'self' data:"), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served from ?script, not inline (CSP)."""

    template_name = "api/swagger_ui.html"
