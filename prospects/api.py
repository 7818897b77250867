"""REST API for prospect lists, prospects and interactions, under the same rules as the
pages: reads through prospects.selectors (the owner and explicit shares only —
organisation admins included), writes through prospects.services.

`POST /api/v1/prospects/` upserts by CRM id: a prospect with that `crm_id` is updated
(200), else @handle is added to `list` (201). Bad input answers 400 with field errors:
an unknown handle, a prospect already on the list, a stage that does not exist, a list
at X's 5,000 members."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from prospects import selectors, services
from prospects.models import Interaction, Prospect, ProspectList
from socialops import drf
from socialops.api import CHANGED_AFTER, ChangeFeedMixin, ServiceViewSet, router
from socialops.permissions import request_user


class ProspectListSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    account = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    x_list_id = serializers.CharField(read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ProspectList
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "account",
            "x_list_id",
            "member_count",
            "sync_state",
            "rate_limited_until",
            "last_synced_at",
            "created_at",
        ]
        read_only_fields = fields


class ProspectListCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ProspectSerializer(serializers.ModelSerializer):
    handle = serializers.CharField(source="x_user.username", read_only=True)
    x_user_id = serializers.CharField(read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    stage = serializers.SlugRelatedField(slug_field="key", read_only=True)

    class Meta:
        model = Prospect
        fields = [
            "id",
            "handle",
            "x_user_id",
            "name",
            "company",
            "title",
            "owner",
            "stage",
            "stage_changed_at",
            "crm_id",
            "value",
            "notes",
            "tags",
            "coupon_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProspectUpsertSerializer(serializers.Serializer):
    crm_id = serializers.CharField(max_length=100)
    handle = serializers.CharField(max_length=16, required=False)
    list = serializers.IntegerField(required=False, min_value=1, max_value=drf.INT64_MAX)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    company = serializers.CharField(max_length=100, required=False, allow_blank=True)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.CharField(max_length=200, required=False, allow_blank=True)
    coupon_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    stage = serializers.CharField(max_length=40, required=False)


class InteractionSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    tweet_id = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Interaction
        fields = ["id", "prospect", "kind", "occurred_at", "text", "actor", "ref", "tweet_id"]
        read_only_fields = fields


class TouchCreateSerializer(serializers.Serializer):
    prospect = serializers.IntegerField(min_value=1, max_value=drf.INT64_MAX)
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in Interaction.TOUCHES])
    text = serializers.CharField(required=False, allow_blank=True)
    occurred_at = drf.DateTimeField(required=False)


@extend_schema_view(create=extend_schema(responses={201: ProspectListSerializer}))
class ProspectListViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ServiceViewSet
):
    """Prospect lists you own or that are shared with you."""

    output_serializer_class = ProspectListSerializer
    create_serializer_class = ProspectListCreateSerializer

    def get_queryset(self) -> QuerySet[ProspectList]:
        return selectors.prospect_list_list(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.prospect_list_create(actor=request.user, **serializer.validated_data)
        return self.answer(created, status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(responses={200: ProspectSerializer, 201: ProspectSerializer})
)
class ProspectViewSet(
    ChangeFeedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ServiceViewSet,
):
    """Prospects you own or that are on a list shared with you. POST upserts by CRM id."""

    output_serializer_class = ProspectSerializer
    create_serializer_class = ProspectUpsertSerializer

    def get_queryset(self) -> QuerySet[Prospect]:
        return selectors.prospect_list_visible(user=request_user(self.request))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stage_key = data.pop("stage", None)
        stage = services.stage_by_key(stage_key) if stage_key else None
        list_id = data.pop("list", None)
        handle = data.pop("handle", "")
        crm_id = data.pop("crm_id")
        prospect_list = None
        if list_id is not None:
            prospect_list = (
                selectors.prospect_list_list(user=request.user).filter(pk=list_id).first()
            )
            if prospect_list is None:
                raise serializers.ValidationError({"list": ["No such list, or not one of yours."]})
            if not selectors.can_edit_list(user=request.user, prospect_list=prospect_list):
                raise PermissionDenied("This list is shared with you to read only.")
        prospect, created = services.prospect_upsert(
            actor=request.user,
            crm_id=crm_id,
            prospect_list=prospect_list,
            handle=handle,
            stage=stage,
            **data,
        )
        return self.answer(prospect, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class InteractionViewSet(
    ChangeFeedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    ServiceViewSet,
):
    """The timelines of prospects you may see, newest first; POST logs a touch."""

    output_serializer_class = InteractionSerializer
    create_serializer_class = TouchCreateSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Interaction]:
        qs = selectors.interaction_list(user=request_user(self.request))
        prospect = self.request.query_params.get("prospect") if self.request else None
        if prospect:
            if not prospect.isdigit() or int(prospect) > drf.INT64_MAX:
                raise serializers.ValidationError({"prospect": ["A prospect id."]})
            qs = qs.filter(prospect_id=int(prospect))
        return qs

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if CHANGED_AFTER in request.query_params:
            return self.changes(request)
        drf.single_query_values(request.query_params, {"prospect"})
        qs = self.get_queryset()[:500]
        return Response(InteractionSerializer(qs, many=True).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        prospect = (
            selectors.prospect_list_visible(user=request.user)
            .filter(pk=data.pop("prospect"))
            .first()
        )
        if prospect is None:
            raise serializers.ValidationError({"prospect": ["No such prospect."]})
        if not selectors.can_edit_prospect(user=request.user, prospect=prospect):
            raise PermissionDenied("This prospect is shared with you to read only.")
        touch = services.touch_log(actor=request.user, prospect=prospect, **data)
        return self.answer(touch, status.HTTP_201_CREATED)


router.register("prospect-lists", ProspectListViewSet, basename="prospect-list")
router.register("prospects", ProspectViewSet, basename="prospect")
router.register("interactions", InteractionViewSet, basename="interaction")
