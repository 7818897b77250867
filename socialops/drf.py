"""DRF plumbing that settings.REST_FRAMEWORK names: pagination and error shapes. It must
not import viewsets (DRF imports this while it builds them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions, pagination, status
from rest_framework.views import exception_handler as drf_exception_handler


class CursorPagination(pagination.CursorPagination):
    """Stable pages under concurrent writes; `?page_size=` up to 500."""

    ordering = "pk"
    page_size_query_param = "page_size"
    max_page_size = 500


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A conflicting change was saved at the same moment; reload and try again."
    default_code = "conflict"


def validation_error_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): [str(m) for m in errors]
            for key, errors in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    """Services raise Django's errors; answer them as DRF would (400 with field errors, 403)."""
    if isinstance(exc, IntegrityError):
        # Two identical writes raced past validation; the database kept one.
        exc = Conflict()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(validation_error_detail(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)
