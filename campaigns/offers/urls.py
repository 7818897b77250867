from django.urls import path

from campaigns.offers import views

urlpatterns = [
    path("", views.offer_list, name="offer_list"),
    path("new/", views.offer_create, name="offer_create"),
    path("<int:pk>/", views.offer_detail, name="offer_detail"),
    path("<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("conversions/", views.conversion_list, name="conversion_list"),
    path("conversions/new/", views.conversion_create, name="conversion_create"),
]
