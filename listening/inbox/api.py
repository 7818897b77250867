"""REST API for the inbox: /api/v1/conversations/ (list, retrieve, assign, status, notes,
reply). Reads through listening.inbox.selectors (who may see which conversation, as on
the pages); writes through the services (400 with field errors, 403, 409)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from listening.inbox import selectors, sending, services
from listening.inbox.filters import ConversationFilterSet
from listening.inbox.models import Conversation, Message, Note, Priority, Reply, Status
from socialops.api import ChangeFeedMixin, router
from socialops.drf import CursorPagination
from socialops.models import User


class MessageSerializer(serializers.ModelSerializer):
    tweet_id = serializers.CharField(allow_null=True, read_only=True)
    x_post_id = serializers.CharField(allow_null=True, read_only=True)
    author = serializers.CharField(source="author.username", allow_null=True, default=None)

    class Meta:
        model = Message
        fields = ["id", "direction", "kind", "tweet_id", "x_post_id", "author", "text", "at"]


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", allow_null=True, default=None)

    class Meta:
        model = Note
        fields = ["id", "author", "text", "created_at"]


class ReplySerializer(serializers.ModelSerializer):
    x_post_id = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = Reply
        fields = [
            "id",
            "in_reply_to",
            "kind",
            "text",
            "state",
            "x_post_id",
            "dm_event_id",
            "error",
            "sent_at",
        ]


class ConversationSerializer(serializers.ModelSerializer):
    x_conversation_id = serializers.CharField(allow_null=True, read_only=True)
    account = serializers.CharField(source="account.username")
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    routing_rule = serializers.CharField(source="routing_rule.name", allow_null=True, default=None)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "kind",
            "x_conversation_id",
            "dm_conversation_id",
            "account",
            "author",
            "department",
            "routed_by",
            "routing_rule",
            "status",
            "priority",
            "sentiment",
            "tags",
            "assignee",
            "preview",
            "version",
            "first_message_at",
            "last_message_at",
            "awaiting_since",
            "first_response_at",
            "first_response_seconds",
            "resolved_at",
            "resolution_seconds",
        ]


class ConversationDetailSerializer(ConversationSerializer):
    messages = serializers.SerializerMethodField()
    notes = NoteSerializer(many=True, read_only=True)
    replies = ReplySerializer(many=True, read_only=True)

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "messages", "notes", "replies"]

    @extend_schema(responses=MessageSerializer(many=True))
    def get_messages(self, conversation: Conversation) -> list[dict]:
        user = self.context["request"].user
        thread = selectors.thread(user=user, conversation=conversation)
        return MessageSerializer(thread, many=True).data


class AssignSerializer(serializers.Serializer):
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        allow_null=True,
        help_text="A username, or null: back to the queue.",
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"status": ["Give a status or a priority."]})
        return attrs


class NoteCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class ReplyCreateSerializer(serializers.Serializer):
    message = serializers.IntegerField(help_text="The id of the message answered.")
    text = serializers.CharField(
        max_length=280, required=False, default="", help_text="Not for a like."
    )
    version = serializers.IntegerField(
        required=False,
        help_text="The conversation's version you read: 409 if it changed since. Not for a like.",
    )
    kind = serializers.ChoiceField(
        choices=[
            ("reply", "Reply"),
            ("quote", "Quote"),
            ("dm", "Direct message"),
            ("like", "Like"),
        ],
        default="reply",
        help_text="A public reply or quote, a DM (into a DM conversation, or to the "
        "message's author), or a like (liking twice is one like).",
    )

    def validate(self, attrs):
        if attrs["kind"] != "like":
            errors = {}
            if not attrs.get("text", "").strip():
                errors["text"] = ["Write the reply."]
            if attrs.get("version") is None:
                errors["version"] = ["This field is required."]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class ConversationPagination(CursorPagination):
    ordering = ("-last_message_at", "-id")


class ConversationViewSet(
    ChangeFeedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Conversations you may see: your departments' (all of them for admins), and those
    read only through your own private prospect list."""

    serializer_class = ConversationSerializer
    filterset_class = ConversationFilterSet
    pagination_class = ConversationPagination

    def get_queryset(self):
        return selectors.conversation_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ConversationDetailSerializer
        return ConversationSerializer

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def _answer(self, conversation: Conversation, code=status.HTTP_200_OK) -> Response:
        fresh = selectors.conversation_detail(user=self.request.user, pk=conversation.pk)
        data = ConversationDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(request=AssignSerializer, responses=ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign to a member of the conversation's department, or to nobody."""
        conversation = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.conversation_assign(
            actor=request.user,
            conversation=conversation,
            assignee=serializer.validated_data["assignee"],
        )
        return self._answer(conversation)

    @extend_schema(request=StatusSerializer, responses=ConversationDetailSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        """Set the status and/or priority."""
        conversation = self.get_object()
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "status" in data:
            services.conversation_status_set(
                actor=request.user, conversation=conversation, status=data["status"]
            )
        if "priority" in data:
            services.conversation_priority_set(
                actor=request.user, conversation=conversation, priority=data["priority"]
            )
        return self._answer(conversation)

    @extend_schema(request=NoteCreateSerializer, responses={201: ConversationDetailSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str | None = None) -> Response:
        """Add an internal note."""
        conversation = self.get_object()
        serializer = NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.note_add(
            actor=request.user, conversation=conversation, text=serializer.validated_data["text"]
        )
        return self._answer(conversation, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReplyCreateSerializer,
        responses={202: ConversationDetailSerializer},
        description="Queue a reply on X; 409 when the conversation changed after `version`.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        conversation = self.get_object()
        serializer = ReplyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        message = conversation.messages.filter(pk=data["message"]).first()
        if message is None:
            raise serializers.ValidationError({"message": ["Not a message of this conversation."]})
        sending.reply_create(
            actor=request.user,
            conversation=conversation,
            message=message,
            text=data["text"],
            version=data.get("version"),
            kind=data["kind"],
        )
        return self._answer(conversation, status.HTTP_202_ACCEPTED)


router.register("conversations", ConversationViewSet, basename="conversation")
