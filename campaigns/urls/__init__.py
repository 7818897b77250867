"""The campaigns pages: one URL module per concept, all in the `campaigns` namespace
(URL names carry their concept: calendar_week, link_list, offer_list, time_week…)."""

from django.urls import include, path

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", include("campaigns.urls.campaigns")),
    path("calendar/", include("campaigns.urls.calendar")),
    path("links/", include("campaigns.urls.links")),
    path("offers/", include("campaigns.urls.offers")),
    path("time/", include("campaigns.urls.timelog")),
]
