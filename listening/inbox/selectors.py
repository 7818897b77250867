"""Read queries for the inbox: the one place that says who may see which conversation.
Pages, the API, the CSV export and search all read through here.

A conversation is visible to the members of the department it is routed to and to
organisation admins — DMs too, and no one else. One read only through a private prospect
list is visible to that list's owner alone (admins included in "no one else"), like the
posts it was read from (listening.selectors)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from departments.models import Department, Membership
from listening.inbox.models import (
    Agent,
    Conversation,
    Event,
    Message,
    Note,
    Reply,
    RoutingRule,
    SavedReply,
    Status,
)
from listening.models import Tweet, XUser
from listening.selectors import tweet_list
from socialops.models import User

OPEN = (Status.OPEN, Status.WAITING)


def conversation_list(*, user: User) -> QuerySet[Conversation]:
    if not user.is_authenticated:
        return Conversation.objects.none()
    shared = Q(private_to__isnull=True)
    if not user.is_org_admin:
        shared &= Q(department__in=Membership.objects.filter(user=user).values("department_id"))
    return (
        Conversation.objects.filter(shared | Q(private_to=user))
        .select_related("account", "author", "department", "assignee", "routing_rule")
        .prefetch_related("tags")
    )


def conversation_get(*, user: User, pk: int) -> Conversation | None:
    return conversation_list(user=user).filter(pk=pk).first()


def conversation_detail(*, user: User, pk: int) -> Conversation | None:
    """One conversation with its thread, notes, history and replies."""
    return (
        conversation_list(user=user)
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.select_related("author", "sent_by")),
            Prefetch("notes", queryset=Note.objects.select_related("author")),
            Prefetch("events", queryset=Event.objects.select_related("actor")),
            Prefetch("replies", queryset=Reply.objects.select_related("author")),
        )
        .filter(pk=pk)
        .first()
    )


def inbox_departments(*, user: User) -> QuerySet[Department]:
    """The departments whose inbox the user may open."""
    if not user.is_authenticated:
        return Department.objects.none()
    if user.is_org_admin:
        return Department.objects.all()
    return Department.objects.filter(memberships__user=user).distinct()


def author_history(*, user: User, author: XUser | None) -> dict:
    """The author's history with us, as far as the user may see it: their other
    conversations and how many messages they sent."""
    if author is None:
        return {"conversations": [], "messages": 0}
    conversations = conversation_list(user=user).filter(author=author)
    return {
        "conversations": list(conversations.order_by("-last_message_at")[:10]),
        "messages": Message.objects.filter(
            conversation__in=conversations.values("pk"), direction=Message.Direction.INBOUND
        ).count(),
    }


def open_counts(*, department_id: int) -> dict[int, int]:
    """Open conversations per assignee in a department."""
    rows = (
        Conversation.objects.filter(department_id=department_id, status__in=OPEN)
        .exclude(assignee=None)
        .values("assignee")
        .annotate(n=Count("pk"))
    )
    return {row["assignee"]: row["n"] for row in rows}


def agent_list(*, department: Department) -> QuerySet[Agent]:
    return Agent.objects.filter(department=department).select_related("user")


def routing_rule_list(*, user: User) -> QuerySet[RoutingRule]:
    if not user.is_authenticated:
        return RoutingRule.objects.none()
    return RoutingRule.objects.select_related("department", "account", "source")


def saved_reply_list(*, user: User, department_id: int | None) -> QuerySet[SavedReply]:
    if not user.is_authenticated or department_id is None:
        return SavedReply.objects.none()
    return SavedReply.objects.filter(department_id=department_id)


def tweets_of(conversation: Conversation) -> QuerySet[Tweet]:
    return Tweet.objects.filter(inbox_message__conversation=conversation)


def thread(*, user: User, conversation: Conversation) -> list[Message]:
    """The conversation's messages the user may read, oldest first: our answers, and the
    posts the user may see (a post read only through someone's private list stays
    theirs even in a conversation that became the department's)."""
    visible = set(
        tweet_list(user=user)
        .filter(inbox_message__conversation=conversation)
        .values_list("pk", flat=True)
    )
    return [m for m in conversation.messages.all() if m.tweet_id is None or m.tweet_id in visible]


def assignee_choices(*, conversation: Conversation) -> list[User]:
    """Who may take the conversation: its department's leads and members."""
    if conversation.private_to_id:
        return [conversation.private_to]
    return list(
        User.objects.filter(
            memberships__department_id=conversation.department_id,
            memberships__role__in=(Membership.Role.LEAD, Membership.Role.MEMBER),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )
