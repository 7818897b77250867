from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

import campaigns.api  # noqa: F401 — registers its viewsets on the router
import departments.api  # noqa: F401
import listening.api  # noqa: F401
from socialops import views
from socialops.api import router
from socialops.auth import PasswordResetView

urlpatterns = [
    # Short links first: the redirect is the hot path, and URL matching is in list order.
    path("l/", include("campaigns.urls.shortlinks")),  # /l/<code>
    path("healthz", views.healthz, name="healthz"),
    path("", include("departments.urls")),
    path("listening/", include("listening.urls")),
    path("", include("campaigns.urls")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(router.urls)),
]
