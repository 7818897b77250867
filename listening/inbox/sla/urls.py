"""The SLA policies' pages, included by the inbox's URLs (its namespace, under sla/)."""

from django.urls import path

from listening.inbox.sla import views

urlpatterns = [
    path("", views.policies, name="sla_policies"),
    path("<int:pk>/delete/", views.policy_delete, name="sla_policy_delete"),
]
