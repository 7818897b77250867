from django.urls import path

from metrics import views

# Mounted with departments' pages under the one `departments` namespace (socialops/urls.py).
urlpatterns = [
    path("", views.home, name="home"),
    path("departments/", views.department_list, name="list"),
    path("departments/<slug:slug>/", views.department_detail, name="detail"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi"),
    path("kpis/<int:pk>/measurements/", views.measurement_add, name="measurement_add"),
    path("measurements/<int:pk>/delete/", views.measurement_delete, name="measurement_delete"),
]

# The dashboards (metrics/dashboards.py), in the same namespace.
from metrics import dashboards  # noqa: E402

urlpatterns += [
    path("departments/<slug:slug>/dashboard/", dashboards.department_dashboard, name="dashboard"),
    path("metrics/activities/", dashboards.activities, name="activities"),
    path("metrics/overview/", dashboards.overview, name="overview"),
]

# The inbox report (metrics/inbox_report.py).
from metrics import inbox_report  # noqa: E402

urlpatterns += [path("metrics/inbox/", inbox_report.inbox_report, name="inbox_report")]
