"""Shared REST API parts: the one router under /api/v1/ and the viewset base that reads
through selectors and writes through services. Pagination and errors: socialops/drf.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, routers, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from socialops.changes import changes_page, cursor_format, cursor_parse
from socialops.drf import single_query_values
from socialops.tokens import TokenScopes, resource_of

router = routers.DefaultRouter()


# --- Viewsets that read through selectors and write through services ---------------------


class ServiceViewSet(viewsets.GenericViewSet):
    """Reads through selectors; writes through services (the `perform_*` hooks).

    Each write answers with the output serializer, so POST, PUT and PATCH return the same
    shape as GET."""

    output_serializer_class: type[serializers.Serializer]
    create_serializer_class: type[serializers.Serializer] | None = None
    update_serializer_class: type[serializers.Serializer] | None = None

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "create" and self.create_serializer_class:
            return self.create_serializer_class
        if self.action in {"update", "partial_update"} and self.update_serializer_class:
            return self.update_serializer_class
        return self.output_serializer_class

    def get_permissions(self) -> list[Any]:
        # A viewset that names its own permission classes (admins only, say) still has
        # its tokens held to their scopes.
        found = super().get_permissions()
        if not any(isinstance(permission, TokenScopes) for permission in found):
            found.append(TokenScopes())
        return found

    def get_serializer_context(self) -> dict[str, Any]:
        # One "today" per request, in the organisation's zone (set by its middleware).
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def answer(self, instance: Model, code: int = status.HTTP_200_OK) -> Response:
        # Read back through the selector: the answer then has GET's shape and prefetches.
        instance = self.get_queryset().get(pk=instance.pk)
        serializer = self.output_serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=code)


class ServiceCreateMixin(mixins.CreateModelMixin):
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.answer(self.perform_create(serializer), status.HTTP_201_CREATED)


class ServiceUpdateMixin(mixins.UpdateModelMixin):
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(
            self.get_object(), data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        return self.answer(self.perform_update(serializer))


def answers_with(output: type[serializers.Serializer]) -> dict[str, Any]:
    """Schema overrides for the writes of a ServiceViewSet: they answer with `output`."""
    return {
        "create": extend_schema(responses={201: output}),
        "update": extend_schema(responses=output),
        "partial_update": extend_schema(responses=output),
    }


@dataclass(frozen=True)
class Services:
    """The selector and services behind a ServiceModelViewSet. `instance` is the keyword
    the update and delete services take the object by (`goal=`, `kpi=`)."""

    selector: Callable[..., QuerySet]
    create: Callable[..., Model]
    update: Callable[..., Model]
    delete: Callable[..., None]
    instance: str


class ServiceModelViewSet(
    ServiceCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ServiceUpdateMixin,
    mixins.DestroyModelMixin,
    ServiceViewSet,
):
    """List, retrieve, create, update and delete, each through `use`, so the API keeps
    the rules the pages keep: the services check rights, validate and audit."""

    use: Services

    def get_queryset(self) -> QuerySet:
        return self.use.selector(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> Model:
        return self.use.create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer: serializers.Serializer) -> Model:
        return self.use.update(
            actor=self.request.user,
            **{self.use.instance: serializer.instance},
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: Model) -> None:
        self.use.delete(actor=self.request.user, **{self.use.instance: instance})


# --- The change cursor -------------------------------------------------------------------

CHANGED_AFTER = "changed_after"
CHANGES_PAGE_SIZE = 100
CHANGES_MAX_PAGE_SIZE = 1000

CHANGED_AFTER_PARAMETER = OpenApiParameter(
    CHANGED_AFTER,
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="Read what changed instead of the list: `0` for everything, then the "
    "`next_cursor` of the last answer. The answer is `{next_cursor, has_more, results}`, "
    "each result `{id, deleted, object}` (a deletion has `deleted: true` and no object), "
    "in the order the changes were written. A change is held back while any transaction "
    "that began before it is still open, so nothing committed late is skipped. Takes "
    f"`page_size` (up to {CHANGES_MAX_PAGE_SIZE}) and no other parameter.",
)


class ChangeFeedMixin:
    """`?changed_after=<cursor>` on a list: the changes of the rows the caller may see
    (the list's selector) and the resource's deletions, from socialops.changes. The
    resource is the router prefix; its model carries `change_xid` and a TrackChanges
    migration."""

    extra_query_parameters = (CHANGED_AFTER,)

    @extend_schema(parameters=[CHANGED_AFTER_PARAMETER])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if CHANGED_AFTER in request.query_params:
            return self.changes(request)
        return super().list(request, *args, **kwargs)

    def changes(self, request: Request) -> Response:
        query = single_query_values(request.query_params, {CHANGED_AFTER, "page_size"})
        after = cursor_parse(query[CHANGED_AFTER])
        if after is None:
            raise exceptions.ValidationError(
                {CHANGED_AFTER: ["Not a cursor: give 0, or the next_cursor of an answer."]}
            )
        size = query.get("page_size", str(CHANGES_PAGE_SIZE))
        if not size.isdigit() or not 1 <= int(size) <= CHANGES_MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [f"A whole number from 1 to {CHANGES_MAX_PAGE_SIZE}."]}
            )
        changes, position, more = changes_page(
            self.get_queryset(), resource=resource_of(self), after=after, limit=int(size)
        )
        serializer = self.get_serializer_class()(
            [change.instance for change in changes if change.instance is not None],
            many=True,
            context=self.get_serializer_context(),
        )
        objects = iter(serializer.data)
        return Response(
            {
                "next_cursor": cursor_format(position),
                "has_more": more,
                "results": [
                    {
                        "id": change.pk,
                        "deleted": change.instance is None,
                        "object": None if change.instance is None else next(objects),
                    }
                    for change in changes
                ],
            }
        )
