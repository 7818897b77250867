"""Listening: the X accounts we operate, the sources read from X, and what they read."""

from __future__ import annotations

from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "listening"

    def ready(self) -> None:
        # Services queue listening's tasks by name (the tasks call those services): the
        # name must find the task, with its queue and limits, in the web process too.
        from listening import tasks  # noqa: F401
