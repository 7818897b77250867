from django.urls import include, path

from listening.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("conversations.csv", views.export, name="export"),
    path("routing/", views.routing, name="routing"),
    path("routing/<int:pk>/delete/", views.routing_delete, name="routing_delete"),
    path("d/<slug:slug>/", views.department_inbox, name="department"),
    path("c/<int:pk>/", views.conversation, name="conversation"),
    path("c/<int:pk>/assign/", views.assign, name="assign"),
    path("c/<int:pk>/status/", views.status, name="status"),
    path("c/<int:pk>/priority/", views.priority, name="priority"),
    path("c/<int:pk>/tags/", views.tags, name="tags"),
    path("c/<int:pk>/sentiment/", views.sentiment, name="sentiment"),
    path("sla/", include("listening.inbox.sla.urls")),
    path("c/<int:pk>/note/", views.note, name="note"),
    path("c/<int:pk>/reply/", views.reply, name="reply"),
    path("c/<int:pk>/like/", views.like, name="like"),
    path("c/<int:pk>/presence/", views.presence, name="presence"),
]
