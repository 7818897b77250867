from django.urls import path

from listening import views

app_name = "listening"
urlpatterns = [
    path("", views.stream, name="stream"),
    path("posts.csv", views.stream_export, name="stream_export"),
    path("posts/<int:pk>/", views.tweet_detail, name="tweet"),
    path("sources/", views.source_list, name="sources"),
    path("sources/new/", views.source_create, name="source_create"),
    path("sources/lists/", views.source_owned_lists, name="source_owned_lists"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<int:pk>/toggle/", views.source_toggle, name="source_toggle"),
    path("sources/<int:pk>/run/", views.source_run, name="source_run"),
    path("sources/<int:pk>/delete/", views.source_delete, name="source_delete"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/connect/", views.account_connect, name="account_connect"),
    path("accounts/callback/", views.account_callback, name="account_callback"),
    path("accounts/read-only/", views.account_add_read_only, name="account_add_read_only"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/budget/", views.account_budget, name="account_budget"),
]
