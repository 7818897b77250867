from django.urls import path

from campaigns.timelog import views

urlpatterns = [
    path("", views.time_week, name="time_week"),
    path("entries/", views.time_entry_create, name="time_entry_create"),
    path("entries/<int:pk>/edit/", views.time_entry_edit, name="time_entry_edit"),
    path("entries/<int:pk>/delete/", views.time_entry_delete, name="time_entry_delete"),
    path("team/", views.time_team, name="time_team"),
]
