from django.urls import path

from campaigns.views import offers as views

urlpatterns = [
    path("", views.offer_list, name="offer_list"),
]
