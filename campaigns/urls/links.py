from django.urls import path

from campaigns.views import links as views

urlpatterns = [
    path("", views.link_list, name="link_list"),
]
