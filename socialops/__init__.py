"""The ground floor: settings, root URLs, Celery, users, audit, tokens, shared helpers."""

from .celery import app as celery_app

__all__ = ("celery_app",)
