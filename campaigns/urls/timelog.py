from django.urls import path

from campaigns.views import timelog as views

urlpatterns = [
    path("", views.time_week, name="time_week"),
]
