from django.urls import path

from campaigns.views import campaigns as views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
]
