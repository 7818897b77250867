from django.urls import path

from prospects import views

app_name = "prospects"

urlpatterns = [
    path("", views.list_index, name="lists"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/suggest/", views.list_suggest, name="list_suggest"),
    path("lists/<int:pk>/export.csv", views.list_export, name="list_export"),
    path("lists/<int:pk>/share/", views.list_share, name="list_share"),
    path("lists/<int:pk>/shares/<int:share_pk>/delete/", views.list_unshare, name="list_unshare"),
    path(
        "lists/<int:pk>/members/<int:member_pk>/remove/", views.member_remove, name="member_remove"
    ),
    path("people/<int:pk>/", views.prospect_detail, name="prospect"),
    path("people/<int:pk>/edit/", views.prospect_edit, name="prospect_edit"),
    path("people/<int:pk>/touch/", views.prospect_touch, name="prospect_touch"),
    path("people/<int:pk>/move/", views.prospect_move, name="prospect_move"),
    path("search/", views.search, name="search"),
    path("board/", views.board, name="board"),
    path("summary/", views.summary, name="summary"),
]
