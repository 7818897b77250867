"""API for the editorial calendar's scheduled posts (registers on socialops.api.router).

/api/v1/scheduled-posts/: list (cursor-paginated, the calendar pages' filters), retrieve,
create, partial update, and the workflow's actions submit, approve, reject and publish —
each through the same services as the pages, so the same rules hold: field errors are
400 (over X's 280, a time in the past, approving your own post where the rules forbid
it), refusals 403.

X's ids are 64-bit: they are answered as strings, as X does."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.calendar import selectors, services
from campaigns.calendar.filters import ScheduledPostFilterSet
from campaigns.calendar.publishing import post_publish_now
from campaigns.calendar.text import weighted_length
from campaigns.models import (
    Campaign,
    ContentCategory,
    Offer,
    PostEvent,
    RecurringSlot,
    ScheduledPost,
)
from campaigns.serializers import CampaignIdField
from departments.serializers import DepartmentSlugField, DepartmentSummarySerializer
from listening.serializers import AccountIdField, AccountSummarySerializer
from socialops import drf
from socialops.api import ServiceCreateMixin, ServiceViewSet, router
from socialops.permissions import request_user
from socialops.serializers import UsernameField

X_ID_MAX = 2**63 - 1


def _choices(choices) -> str:
    return ", ".join(value for value, _label in choices)


@extend_schema_field(OpenApiTypes.INT)
class OfferIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[Offer]:
        if not request_user(self).is_authenticated:
            return Offer.objects.none()
        return Offer.objects.all()


@extend_schema_field(OpenApiTypes.INT)
class SlotIdField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> QuerySet[RecurringSlot]:
        return selectors.slot_list(user=request_user(self))


# A string of up to 18 digits in the schema (always below X_ID_MAX); a number is taken too.
@extend_schema_field({"type": "string", "pattern": r"^[1-9][0-9]{0,17}$"})
class XIdField(serializers.IntegerField):
    """An X post id: a string (or a number) in, a string out."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=X_ID_MAX, **kwargs)

    def to_representation(self, value: int) -> str:
        return str(value)


# --- Output ---------------------------------------------------------------------------


class CampaignSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name"]
        read_only_fields = fields


class ApprovalNeededSerializer(serializers.Serializer):
    department = serializers.CharField(read_only=True, help_text="The department's slug.")
    approved = serializers.BooleanField(read_only=True)
    approved_by = serializers.CharField(
        read_only=True, allow_null=True, help_text="The approver's username."
    )
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    allow_self_approval = serializers.BooleanField(
        read_only=True, help_text="May the post's author give this approval?"
    )


class PostEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    action = serializers.CharField(
        read_only=True, help_text="One of: " + _choices(PostEvent.Action.choices) + "."
    )

    class Meta:
        model = PostEvent
        fields = ["action", "actor", "department", "note", "at"]
        read_only_fields = fields


class ScheduledPostSerializer(serializers.ModelSerializer):
    account = AccountSummarySerializer(read_only=True)
    department = DepartmentSummarySerializer(read_only=True)
    campaign = CampaignSummarySerializer(read_only=True, allow_null=True)
    offer = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    slot = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    # Plain strings, not enums: "kind" and "status" name other choice sets in the schema.
    kind = serializers.CharField(
        read_only=True, help_text="One of: " + _choices(ScheduledPost.Kind.choices) + "."
    )
    status = serializers.CharField(
        read_only=True, help_text="One of: " + _choices(ScheduledPost.Status.choices) + "."
    )
    parts = serializers.SerializerMethodField(help_text="A thread's further parts, in order.")
    weighted_length = serializers.SerializerMethodField(
        help_text="The text's length as X counts it (at most 280)."
    )
    target_x_id = XIdField(read_only=True, allow_null=True)
    x_post_id = XIdField(read_only=True, allow_null=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    approvals = serializers.SerializerMethodField(
        help_text="The approvals this review round needs, and who gave them."
    )
    history = PostEventSerializer(source="events", many=True, read_only=True)

    class Meta:
        model = ScheduledPost
        fields = [
            "id",
            "department",
            "account",
            "kind",
            "category",
            "text",
            "parts",
            "weighted_length",
            "target_x_id",
            "campaign",
            "offer",
            "slot",
            "owner",
            "created_by",
            "scheduled_at",
            "notes",
            "status",
            "review_round",
            "rejection_reason",
            "approvals",
            "submitted_at",
            "approved_at",
            "x_post_id",
            "published_at",
            "attempts",
            "error",
            "history",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_parts(self, post: ScheduledPost) -> list[str]:
        return [part.text for part in post.parts.all()]

    def get_weighted_length(self, post: ScheduledPost) -> int:
        return weighted_length(post.text)

    @extend_schema_field(ApprovalNeededSerializer(many=True))
    def get_approvals(self, post: ScheduledPost) -> list[dict[str, Any]]:
        # One query for the rules of every post on the page.
        if "approval_rules" not in self.context:
            self.context["approval_rules"] = selectors.rules_by_department()
        states = selectors.post_approval_states(post=post, rules=self.context["approval_rules"])
        return [
            {
                "department": state.department.slug,
                "approved": state.given,
                "approved_by": state.approval.approved_by.username if state.approval else None,
                "approved_at": state.approval.approved_at if state.approval else None,
                "allow_self_approval": state.requirement.allow_self_approval,
            }
            for state in states
        ]


# --- Input ----------------------------------------------------------------------------


class ScheduledPostUpdateSerializer(serializers.Serializer):
    account = AccountIdField(help_text="The X account's id (/api/v1/accounts/).")
    kind = serializers.CharField(
        required=False, help_text="One of: " + _choices(ScheduledPost.Kind.choices) + "."
    )
    category = serializers.ChoiceField(choices=ContentCategory.choices)
    text = serializers.CharField(
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text="At most 280 as X counts (a link 23, an emoji or a CJK character 2).",
    )
    parts = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="A thread's further parts, in order (each at most 280 as X counts).",
    )
    target_x_id = XIdField(
        allow_null=True,
        required=False,
        help_text="The X post a reply answers, a quote quotes or a repost reposts.",
    )
    campaign = CampaignIdField(allow_null=True, required=False, help_text="A campaign's id.")
    offer = OfferIdField(
        allow_null=True,
        required=False,
        help_text="An offer's id; a post with an offer may need another department's approval.",
    )
    slot = SlotIdField(
        allow_null=True,
        required=False,
        help_text="The recurring slot it fills; scheduled_at must be one of its times.",
    )
    owner = UsernameField(required=False, help_text="Who the post is for (a username).")
    scheduled_at = drf.DateTimeField(
        allow_null=True, required=False, help_text="When it goes out; in the future."
    )
    notes = serializers.CharField(allow_blank=True, required=False)


class ScheduledPostCreateSerializer(ScheduledPostUpdateSerializer):
    department = DepartmentSlugField(help_text="The department whose post it is (a slug).")


class ApproveSerializer(serializers.Serializer):
    department = DepartmentSlugField(
        required=False,
        allow_null=True,
        help_text="Which department you approve for; the one you lead that has yet to "
        "approve when left out.",
    )


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why; the author reads it.")
    department = DepartmentSlugField(
        required=False, allow_null=True, help_text="Which department you reject for."
    )


# --- Viewset --------------------------------------------------------------------------


@extend_schema_view(create=extend_schema(responses={201: ScheduledPostSerializer}))
class ScheduledPostViewSet(
    ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet
):
    """Posts on the editorial calendar, from draft to published. Every member reads every
    department's posts; leads and members write their own department's. Approvals follow
    the department's approval rules (its lead by default; Legal for offers where a rule
    says so), never by the post's authors — its owner, its writer and whoever changed its
    content — unless the rule allows it."""

    output_serializer_class = ScheduledPostSerializer
    create_serializer_class = ScheduledPostCreateSerializer
    update_serializer_class = ScheduledPostUpdateSerializer
    filterset_class = ScheduledPostFilterSet

    def get_queryset(self) -> QuerySet[ScheduledPost]:
        return selectors.post_detail_list(user=self.request.user)

    def perform_create(self, serializer: serializers.Serializer) -> ScheduledPost:
        return services.post_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(responses=ScheduledPostSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a post. Whoever changes what it says (text, parts, target, account)
        counts as its author and may not approve it, and the change voids the approvals
        given: a post in review, approved or scheduled goes back into review in a new
        round (to draft if no longer complete). A new time, notes or category keep them."""
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        post = services.post_update(
            actor=request.user, post=serializer.instance, **serializer.validated_data
        )
        return self.answer(post)

    @extend_schema(request=None, responses=ScheduledPostSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send a draft for review: a new review round that needs every approval."""
        return self.answer(services.post_submit(actor=request.user, post=self.get_object()))

    @extend_schema(request=ApproveSerializer, responses=ScheduledPostSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve for a department; the last approval needed schedules the post when its
        time is ahead."""
        post = self.get_object()
        data = ApproveSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        department = data.validated_data.get("department")
        return self.answer(
            services.post_approve(actor=request.user, post=post, department=department)
        )

    @extend_schema(request=RejectSerializer, responses=ScheduledPostSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """Reject with a reason (required)."""
        post = self.get_object()
        data = RejectSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return self.answer(
            services.post_reject(
                actor=request.user,
                post=post,
                reason=data.validated_data["reason"],
                department=data.validated_data.get("department"),
            )
        )

    @extend_schema(request=None, responses=ScheduledPostSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Send an approved or scheduled post now (at the publisher's next tick)."""
        return self.answer(post_publish_now(actor=request.user, post=self.get_object()))


router.register("scheduled-posts", ScheduledPostViewSet, basename="scheduled-post")
