"""Tracked links' pages (mounted at /links/ in the campaigns namespace) and the short
links themselves (`shortlink_urls`, mounted at /l/ by socialops/urls.py ahead of everything
else: the redirect is the hot path, and URL matching is in list order)."""

from django.urls import path

from campaigns.links import views

urlpatterns = [
    path("", views.link_list, name="link_list"),
    path("new/", views.link_create, name="link_create"),
    path("clicks/", views.click_list, name="click_list"),
    path("<int:pk>/", views.link_detail, name="link_detail"),
]

shortlink_urls = (
    [path("<str:code>", views.link_redirect, name="follow")],
    "shortlinks",
)
