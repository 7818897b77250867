"""DRF plumbing that settings.REST_FRAMEWORK names (pagination, error shapes) and the
bounded field types serializers take their dates and numbers from. It must not import
viewsets (DRF imports this while it builds them); the JSON parser is socialops/parsers.py."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from socialops import params


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


# --- Bounded fields -------------------------------------------------------------------
# What validation accepts, the schema says: dates within params' range (a pattern on the
# year), integers within the column they are stored in.

# The schema of a related field named by a slug or username: DRF reads "" as null there.
SLUG_SCHEMA = {"type": "string", "minLength": 1}

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


@extend_schema_field(params.DAY_SCHEMA)
class DateField(serializers.DateField):
    """A date between params.EARLIEST and params.LATEST."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(params.validate_day_in_range)


@extend_schema_field(params.MOMENT_SCHEMA)
class DateTimeField(serializers.DateTimeField):
    """A moment whose day lies between params.EARLIEST and params.LATEST."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(params.validate_day_in_range)


class IntegerField(serializers.IntegerField):
    """An integer that fits its column: a 32-bit one unless max_value says otherwise
    (a number past the column's range was a database error, a 500)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", INT32_MAX)
        kwargs.setdefault("min_value", -INT32_MAX - 1)
        super().__init__(**kwargs)


class DecimalFieldSchema(OpenApiSerializerFieldExtension):
    """Every DecimalField's pattern as DRF validates it: drf-spectacular's own lets "",
    "." and "-" through (all "A valid number is required.") and a minus sign where
    min_value forbids one."""

    target_class = serializers.DecimalField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if "pattern" not in schema:
            return schema
        places = field.decimal_places
        whole = "" if field.max_digits is None else field.max_digits - (places or 0)
        sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
        fraction = rf"(?:\.\d{{1,{places}}})?" if places else ""
        schema["pattern"] = rf"^{sign}\d{{1,{whole}}}{fraction}$"
        return schema


class CharField(serializers.CharField):
    """A CharField whose schema states the pattern (and format) its value is held to.
    The check itself stays where it is (a model validator or the service, with its own
    message and beside the other field errors); the schema only stops promising more.
    With allow_blank the schema offers "" on its own, so the pattern need not match it."""

    def __init__(self, *, pattern: str = "", schema_format: str = "", **kwargs):
        self.schema_pattern = pattern
        self.schema_format = schema_format
        super().__init__(**kwargs)


class CharFieldSchema(OpenApiSerializerFieldExtension):
    target_class = CharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if field.schema_pattern:
            schema["pattern"] = field.schema_pattern
        if field.schema_format:
            schema["format"] = field.schema_format
        return schema


def single_query_values(query_params, known: set[str]) -> dict[str, str]:
    """A request's query as one value per parameter. An unknown or repeated parameter is a
    400 naming it (a misspelt parameter must not silently answer the default); DRF's own
    `format` is allowed and left out."""
    known = set(known) | {"format"}
    errors: dict[str, list[str]] = {}
    for name, given in query_params.lists():
        if name not in known:
            errors[name] = [f"Unknown parameter; this endpoint takes {', '.join(sorted(known))}."]
        elif len(given) > 1:
            errors[name] = ["Give this parameter once."]
    if errors:
        raise exceptions.ValidationError(errors)
    return {name: value for name, value in query_params.items() if name != "format"}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, but a list answers 400 naming any query parameter it does
    not take (`?updated_since=` was silently ignored and everything returned)."""

    def known_parameters(self, request, queryset, view) -> set[str]:
        known = {"format", *getattr(view, "extra_query_parameters", ())}
        paginator = getattr(view, "paginator", None)
        for attribute in ("cursor_query_param", "page_size_query_param", "page_query_param"):
            name = getattr(paginator, attribute, None)
            if name:
                known.add(name)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            for name, declared in filterset_class.base_filters.items():
                # Not `declared.field`: that would build (and cache, on the class) a form
                # field whose choices were read without the request's user.
                widget = declared.extra.get("widget") or declared.field_class.widget
                suffixes = getattr(widget, "suffixes", None)
                if suffixes:
                    known.update(SuffixedMultiWidget.suffixed(None, name, s) for s in suffixes)
                else:
                    known.add(name)
        return known

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) == "list":
            known = self.known_parameters(request, queryset, view)
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                takes = ", ".join(sorted(known - {"format"})) or "no parameters"
                raise exceptions.ValidationError(
                    {name: [f"Unknown parameter; this list takes {takes}."] for name in unknown}
                )
        return super().filter_queryset(request, queryset, view)
