"""REST API for the weekly review.

- /api/v1/reviews/ — list (summaries), retrieve by week (`2026-W47`: the frozen record
  once closed, else computed now), and the actions close, reopen (admins), attendance and
  commentary (the department's representatives, admins).
- /api/v1/review-action-items/ — list, retrieve, create, update, delete (a mistake only,
  while the review it was raised in is open).
- /api/v1/review-decisions/ — list, retrieve, create: append-only (a correction is a new
  decision naming the one it supersedes).
Everyone in the organisation reads; the services decide who writes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from departments.models import KPI
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer
from metrics.reviews import selectors, services
from metrics.reviews.models import ActionItem, Decision, Review
from socialops import drf
from socialops.api import (
    ChangeFeedMixin,
    ServiceModelViewSet,
    Services,
    ServiceViewSet,
    answers_with,
    router,
)
from socialops.permissions import request_user
from socialops.serializers import UsernameField, UserSummarySerializer

WEEK_PATTERN = r"^[0-9]{4}-W[0-9]{2}$"


@extend_schema_field({"type": "string", "pattern": WEEK_PATTERN, "example": "2026-W47"})
class ReviewWeekField(serializers.RelatedField):
    """A review named by its ISO week."""

    default_error_messages = {"does_not_exist": "No review for the week {value}."}

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_list(user=request_user(self))

    def to_internal_value(self, data: Any) -> Review:
        if not isinstance(data, str):
            self.fail("does_not_exist", value=data)
        review = selectors.review_get(user=request_user(self), week=data)
        if review is None:
            self.fail("does_not_exist", value=data)
        return review

    def to_representation(self, value: Review) -> str:
        return value.week


@extend_schema_field(OpenApiTypes.INT)
class KPIIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[KPI]:
        if not request_user(self).is_authenticated:
            return KPI.objects.none()
        return KPI.objects.select_related("goal__department")


class ReviewSummarySerializer(serializers.ModelSerializer):
    week = serializers.CharField(read_only=True)
    week_end = serializers.DateField(read_only=True)
    closed_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Review
        fields = [
            "week",
            "week_start",
            "week_end",
            "status",
            "opened_at",
            "closed_at",
            "closed_by",
            "frozen_sha256",
        ]
        read_only_fields = fields


class ReviewSerializer(ReviewSummarySerializer):
    content = serializers.SerializerMethodField(
        help_text="Every department's representatives and attendance, KPIs (actual, "
        "target, RAG, change since last week, pace, six weeks), highlights and "
        "commentary; the action items and decisions. Once closed: the frozen record, "
        "byte for byte the JSON whose SHA-256 is frozen_sha256."
    )

    class Meta(ReviewSummarySerializer.Meta):
        fields = [*ReviewSummarySerializer.Meta.fields, "content"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_content(self, review: Review) -> dict[str, Any]:
        return selectors.review_content(review=review)


class ReopenInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class AttendanceInputSerializer(serializers.Serializer):
    department = DepartmentSlugField()
    user = UsernameField(help_text="A representative of the department.")
    present = serializers.BooleanField()


class CommentaryInputSerializer(serializers.Serializer):
    kpi = KPIIdField(help_text="The KPI's id.")
    text = serializers.CharField(
        max_length=4000,
        allow_blank=True,
        help_text="Why, and what we do about it; empty removes it.",
    )


class ActionItemSerializer(serializers.ModelSerializer):
    department = DepartmentSummarySerializer(read_only=True)
    owner = UserSummarySerializer(read_only=True, allow_null=True)
    raised_in = serializers.CharField(source="raised_in.week", read_only=True)

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "title",
            "department",
            "owner",
            "due",
            "status",
            "raised_in",
            "finished_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ActionItemCreateSerializer(serializers.Serializer):
    review = ReviewWeekField(help_text="The open review it is raised in (its ISO week).")
    department = DepartmentSlugField()
    title = serializers.CharField(max_length=300)
    owner = UsernameField(required=False, allow_null=True)
    due = drf.DateField(required=False, allow_null=True)


class ActionItemUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    department = DepartmentSlugField(required=False)
    owner = UsernameField(required=False, allow_null=True)
    due = drf.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=ActionItem.Status.choices, required=False)


class DecisionSerializer(serializers.ModelSerializer):
    review = serializers.CharField(source="review.week", read_only=True)
    department = DepartmentSummarySerializer(read_only=True, allow_null=True)
    recorded_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "review",
            "department",
            "text",
            "decided_on",
            "decided_by",
            "supersedes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class DecisionIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Decision]:
        return selectors.decision_list(user=request_user(self))


class DecisionCreateSerializer(serializers.Serializer):
    review = ReviewWeekField(help_text="The open review it is recorded in (its ISO week).")
    text = serializers.CharField(max_length=4000)
    decided_by = serializers.CharField(max_length=200)
    decided_on = drf.DateField(required=False, allow_null=True)
    department = DepartmentSlugField(required=False, allow_null=True)
    supersedes = DecisionIdField(required=False, allow_null=True)


WEEK_LOOKUP = "[0-9]{4}-W[0-9]{2}"


class ReviewViewSet(
    ChangeFeedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet
):
    """Weekly steering reviews, newest first. Retrieve one by its ISO week."""

    output_serializer_class = ReviewSerializer
    lookup_field = "week"
    lookup_value_regex = WEEK_LOOKUP

    def get_queryset(self) -> QuerySet[Review]:
        return selectors.review_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return ReviewSummarySerializer
        return {
            "reopen": ReopenInputSerializer,
            "attendance": AttendanceInputSerializer,
            "commentary": CommentaryInputSerializer,
        }.get(self.action, ReviewSerializer)

    def get_object(self) -> Review:
        review = selectors.review_get(user=self.request.user, week=self.kwargs["week"])
        if review is None:
            raise Http404("No review for that week.")
        self.check_object_permissions(self.request, review)
        return review

    def _full(self, review: Review, code: int = status.HTTP_200_OK) -> Response:
        review = self.get_object() if review is None else Review.objects.get(pk=review.pk)
        return Response(
            ReviewSerializer(review, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        request=None,
        responses={
            200: ReviewSerializer,
            400: OpenApiResponse(
                description="Closed already, or an amber or red KPI has no commentary (named)."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, week: str) -> Response:
        """Close and freeze the review (admins)."""
        return self._full(services.review_close(actor=request.user, review=self.get_object()))

    @extend_schema(request=ReopenInputSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, week: str) -> Response:
        """Reopen a closed review, with a reason (admins); the old record is kept."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = self.get_object()
        services.review_reopen(actor=request.user, review=review, **serializer.validated_data)
        return self._full(review)

    @extend_schema(request=AttendanceInputSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, week: str) -> Response:
        """Record whether a representative attended (the department's representatives,
        admins)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = self.get_object()
        services.attendance_record(actor=request.user, review=review, **serializer.validated_data)
        return self._full(review)

    @extend_schema(request=CommentaryInputSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def commentary(self, request: Request, week: str) -> Response:
        """Write a KPI's commentary (the department's representatives, admins)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = self.get_object()
        services.commentary_save(actor=request.user, review=review, **serializer.validated_data)
        return self._full(review)


@extend_schema_view(**answers_with(ActionItemSerializer))
class ActionItemViewSet(ServiceModelViewSet):
    """Action items of the steering reviews: open ones carry over until done or dropped."""

    output_serializer_class = ActionItemSerializer
    create_serializer_class = ActionItemCreateSerializer
    update_serializer_class = ActionItemUpdateSerializer
    use = Services(
        selector=selectors.action_item_list,
        create=services.action_item_create,
        update=services.action_item_update,
        delete=services.action_item_delete,
        instance="item",
    )


@extend_schema_view(create=extend_schema(responses={201: DecisionSerializer}))
class DecisionViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet
):
    """Decisions of the steering reviews. Append-only: no change, no delete; a correction
    is a new decision with `supersedes`."""

    output_serializer_class = DecisionSerializer
    create_serializer_class = DecisionCreateSerializer

    def get_queryset(self) -> QuerySet[Decision]:
        return selectors.decision_list(user=self.request.user).order_by("-decided_on", "-pk")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = services.decision_record(actor=request.user, **serializer.validated_data)
        return self.answer(decision, status.HTTP_201_CREATED)


router.register("reviews", ReviewViewSet, basename="review")
router.register("review-action-items", ActionItemViewSet, basename="review-action-item")
router.register("review-decisions", DecisionViewSet, basename="review-decision")
