from django.urls import path

from campaigns.views import links as views

urlpatterns = [
    path("", views.link_list, name="link_list"),
    path("new/", views.link_create, name="link_create"),
    path("<int:pk>/", views.link_detail, name="link_detail"),
]
