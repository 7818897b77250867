from django.urls import path

from departments import views

# Mounted with metrics' pages under the one `departments` namespace (socialops/urls.py).
urlpatterns = [
    path("settings/organisation/", views.organisation_settings, name="organisation"),
    path("settings/organisation/hours/", views.business_hours, name="organisation_hours"),
    path("departments/<slug:slug>/hours/", views.business_hours, name="hours"),
    path("departments/new/", views.department_create, name="create"),
    path("departments/<slug:slug>/edit/", views.department_edit, name="edit"),
    path("departments/<slug:slug>/members/", views.membership_add, name="member_add"),
    path("departments/<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path("departments/<slug:slug>/suggestions/", views.suggestions, name="suggestions"),
    path("members/<int:pk>/", views.membership_update, name="member_update"),
    path("members/<int:pk>/remove/", views.membership_remove, name="member_remove"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("goals/<int:pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/delete/", views.kpi_delete, name="kpi_delete"),
]
