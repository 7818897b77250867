from django.urls import path

from departments import views

app_name = "departments"
urlpatterns = [
    path("", views.home, name="home"),
    path("settings/organisation/", views.organisation_settings, name="organisation"),
    path("settings/api-token/", views.api_token, name="api_token"),
    path("departments/", views.department_list, name="list"),
    path("departments/new/", views.department_create, name="create"),
    path("departments/<slug:slug>/", views.department_detail, name="detail"),
    path("departments/<slug:slug>/edit/", views.department_edit, name="edit"),
    path("departments/<slug:slug>/members/", views.membership_add, name="member_add"),
    path("departments/<slug:slug>/goals/new/", views.goal_create, name="goal_create"),
    path("departments/<slug:slug>/suggestions/", views.suggestions, name="suggestions"),
    path("members/<int:pk>/", views.membership_update, name="member_update"),
    path("members/<int:pk>/remove/", views.membership_remove, name="member_remove"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("goals/<int:pk>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("goals/<int:pk>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:pk>/", views.kpi_detail, name="kpi"),
    path("kpis/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("kpis/<int:pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path("kpis/<int:pk>/measurements/", views.measurement_add, name="measurement_add"),
    path("measurements/<int:pk>/delete/", views.measurement_delete, name="measurement_delete"),
]
