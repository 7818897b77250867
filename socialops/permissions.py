"""Shared permission helpers. Each app's permissions.py says who may do what; this is
how a refusal is raised, the same way for pages (403) and the API (403)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)
