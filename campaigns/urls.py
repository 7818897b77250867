"""The campaigns pages, all in the `campaigns` namespace: the campaigns core here, each
concept's pages from its folder (URL names carry their concept: calendar_week, link_list,
offer_list, time_week…)."""

from django.urls import include, path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path(
        "campaigns/",
        include(
            [
                path("", views.campaign_list, name="campaign_list"),
                path("new/", views.campaign_create, name="campaign_create"),
                path("<int:pk>/", views.campaign_detail, name="campaign_detail"),
                path("<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
                path("<int:pk>/status/", views.campaign_status, name="campaign_status"),
                path("utm/", views.utm_registry, name="utm_registry"),
                path("utm/defaults/", views.utm_defaults, name="utm_defaults"),
                path("utm/<int:pk>/active/", views.utm_tag_active, name="utm_tag_active"),
            ]
        ),
    ),
    path("calendar/", include("campaigns.calendar.urls")),
    path("links/", include("campaigns.links.urls")),
    path("offers/", include("campaigns.offers.urls")),
    path("time/", include("campaigns.timelog.urls")),
]
