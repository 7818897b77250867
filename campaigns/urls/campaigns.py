from django.urls import path

from campaigns.views import campaigns as views

urlpatterns = [
    path("", views.campaign_list, name="campaign_list"),
    path("new/", views.campaign_create, name="campaign_create"),
    path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("<int:pk>/status/", views.campaign_status, name="campaign_status"),
    path("utm/", views.utm_registry, name="utm_registry"),
    path("utm/defaults/", views.utm_defaults, name="utm_defaults"),
    path("utm/<int:pk>/active/", views.utm_tag_active, name="utm_tag_active"),
]
