from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

# Each API module registers its viewsets on the router when imported.
import campaigns.api
import campaigns.calendar.api
import campaigns.links.api
import campaigns.offers.api
import campaigns.timelog.api  # noqa: F401
import departments.api  # noqa: F401
import listening.api
import listening.inbox.api  # noqa: F401
import metrics.activities_api
import metrics.api
import metrics.reviews.api
import metrics.series_api  # noqa: F401
import prospects.api  # noqa: F401
import socialops.webhooks.api  # noqa: F401
from campaigns.links.urls import shortlink_urls
from departments.urls import urlpatterns as department_pages
from departments.views import LoginView
from metrics.urls import urlpatterns as progress_pages
from socialops import views
from socialops.api import router
from socialops.auth import PasswordResetView

urlpatterns = [
    # Short links first: the redirect is the hot path, and URL matching is in list order.
    path("l/", include(shortlink_urls)),  # /l/<code>
    path("healthz", views.healthz, name="healthz"),
    # One namespace for the organisation's, departments', goals' and KPIs' pages, whichever
    # app serves them: metrics serves those that show progress (it sits above departments,
    # which never imports it). Departments' first: "departments/new/" before
    # "departments/<slug>/".
    path("", include((department_pages + progress_pages, "departments"))),
    path("settings/api-token/", views.api_token, name="api_token"),
    path(
        "settings/api-token/<int:pk>/revoke/",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("settings/webhooks/", include("socialops.webhooks.urls")),
    path("listening/", include("listening.urls")),
    path("inbox/", include("listening.inbox.urls")),
    path("", include("campaigns.urls")),
    path("reviews/", include("metrics.reviews.urls")),
    path("prospects/", include("prospects.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", views.ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(router.urls)),
]
