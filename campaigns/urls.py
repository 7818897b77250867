from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("<str:code>", views.link_redirect, name="link"),
]
