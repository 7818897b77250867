"""Shared permission helpers. Each app's permissions.py says who may do what; this is
how a refusal is raised, the same way for pages (403) and the API (403), and whose
request it is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from rest_framework.fields import Field

if TYPE_CHECKING:
    from django.http import HttpRequest


def require(allowed: bool, message: str = "You do not have permission to do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def request_user(source: HttpRequest | Field | None) -> Any:
    """The user behind a request, or behind a serializer field (its context's request).

    Anonymous where there is no request: django-filter builds a FilterSet, and
    drf-spectacular a serializer, without one (schema generation, the shell), and the
    selectors then offer nothing rather than fail."""
    request = source.context.get("request") if isinstance(source, Field) else source
    return getattr(request, "user", None) or AnonymousUser()
