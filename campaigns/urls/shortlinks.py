"""Short links, mounted at /l/ — kept apart from the pages: the redirect is the hot path."""

from django.urls import path

from campaigns.views import links

app_name = "shortlinks"

urlpatterns = [
    path("<str:code>", links.link_redirect, name="follow"),
]
