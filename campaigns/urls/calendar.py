from django.urls import path

from campaigns.views import calendar as views

urlpatterns = [
    path("", views.calendar, name="calendar"),
]
