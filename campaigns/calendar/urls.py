from django.urls import path

from campaigns.calendar import views

urlpatterns = [
    path("", views.calendar, name="calendar"),  # the week view
    path("week/", views.calendar_week, name="calendar_week"),
    path("month/", views.calendar_month, name="calendar_month"),
    path("list/", views.post_list, name="post_list"),
    path("posts/new/", views.post_create, name="post_create"),
    path("posts/count/", views.post_text_count, name="post_text_count"),
    path("posts/<int:pk>/", views.post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/submit/", views.post_submit, name="post_submit"),
    path("posts/<int:pk>/approve/", views.post_approve, name="post_approve"),
    path("posts/<int:pk>/reject/", views.post_reject, name="post_reject"),
    path("posts/<int:pk>/reschedule/", views.post_reschedule, name="post_reschedule"),
    path("posts/<int:pk>/unschedule/", views.post_unschedule, name="post_unschedule"),
    path("posts/<int:pk>/retry/", views.post_retry, name="post_retry"),
    path("posts/<int:pk>/send-now/", views.post_send_now, name="post_send_now"),
    path("slots/", views.slot_list, name="calendar_slot_list"),
    path("slots/new/", views.slot_create, name="calendar_slot_create"),
    path("slots/<int:pk>/edit/", views.slot_edit, name="calendar_slot_edit"),
    path("feeds/", views.calendar_feed_manage, name="calendar_feed_manage"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
