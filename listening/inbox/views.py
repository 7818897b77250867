"""Inbox pages: a department's inbox and "mine", a conversation, the routing rules.
Every read goes through listening.inbox.selectors; every change through a service."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Department
from listening.inbox import permissions as perms
from listening.inbox import selectors, sending, services
from listening.inbox.filters import ConversationFilterSet
from listening.inbox.forms import (
    LikeForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    RoutingRuleForm,
    StatusForm,
    TagsForm,
)
from listening.inbox.models import RoutingRule, Sentiment, Status
from listening.inbox.sla import selectors as sla_selectors
from listening.inbox.sla import services as sla_services
from socialops.csv import csv_response
from socialops.forms import apply_service_errors
from socialops.models import User

PAGE_SIZE = 50
PRESENCE_SECONDS = 3


def _filtered(request, queryset):
    data = request.GET.copy()
    if "status" not in data:
        data.setlist("status", [Status.OPEN, Status.WAITING])
    filterset = ConversationFilterSet(data, queryset=queryset, request=request)
    rows = filterset.qs if filterset.is_valid() else queryset.none()
    return filterset, rows.order_by("-last_message_at", "-pk")


def _list(request, queryset, *, title: str, department: Department | None):
    filterset, rows = _filtered(request, queryset)
    now = timezone.now()
    conversations = sla_selectors.at_risk_first(rows, limit=PAGE_SIZE, now=now)
    for c in conversations:
        c.sla_state = sla_selectors.state_of(c, now)
        c.sla_label = sla_selectors.LABELS.get(c.sla_state, "")
    agreement, corrected = sla_selectors.sentiment_agreement(conversations=queryset)
    context = {
        "title": title,
        "department": department,
        "filterset": filterset,
        "conversations": conversations,
        "agreement": agreement,
        "corrected": corrected,
        "can_edit_sla": sla_selectors.policy_departments(user=request.user).exists(),
        "departments": selectors.inbox_departments(user=request.user),
        "export_query": request.GET.urlencode(),
    }
    template = "inbox/inbox.html"
    if request.htmx and request.htmx.target == "inbox-results":
        template = "inbox/inbox.html#results"
    return render(request, template, context)


@login_required
@require_GET
def mine(request):
    queryset = selectors.conversation_list(user=request.user).filter(assignee=request.user)
    return _list(request, queryset, title="Assigned to me", department=None)


@login_required
@require_GET
def department_inbox(request, slug: str):
    department = get_object_or_404(selectors.inbox_departments(user=request.user), slug=slug)
    queryset = selectors.conversation_list(user=request.user).filter(department=department)
    return _list(request, queryset, title=f"{department.name} inbox", department=department)


@login_required
@require_GET
def export(request):
    """The filtered conversations the user may see, as CSV."""
    queryset = selectors.conversation_list(user=request.user)
    slug = request.GET.get("department")
    if slug:
        queryset = queryset.filter(department__slug=slug)
    filterset = ConversationFilterSet(request.GET or None, queryset=queryset, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponse(filterset.errors.as_text(), status=400, content_type="text/plain")
    header = [
        "id",
        "kind",
        "department",
        "status",
        "priority",
        "assignee",
        "author",
        "first_message_at",
        "last_message_at",
        "first_response_seconds",
        "preview",
    ]
    rows = (
        [
            c.pk,
            c.kind,
            c.department.name if c.department else "",
            c.status,
            c.priority,
            c.assignee.username if c.assignee else "",
            c.author.username if c.author else "",
            c.first_message_at,
            c.last_message_at,
            c.first_response_seconds,
            c.preview,
        ]
        for c in filterset.qs.order_by("-last_message_at", "-pk").iterator(chunk_size=1000)
    )
    return csv_response(filename="conversations.csv", header=header, rows=rows)


def _conversation_or_404(request, pk: int):
    conversation = selectors.conversation_get(user=request.user, pk=pk)
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def _detail_context(request, pk: int, **extra) -> dict:
    conversation = selectors.conversation_detail(user=request.user, pk=pk)
    if conversation is None:
        raise Http404("No such conversation.")
    thread = selectors.thread(user=request.user, conversation=conversation)
    replies = [r for r in conversation.replies.all() if r.state != "failed"]
    answered = {r.in_reply_to_id for r in replies if r.kind != "like"}
    liked = {r.in_reply_to_id for r in replies if r.kind == "like"}
    if conversation.kind == conversation.Kind.DM:
        # A DM answers the newest message, theirs or ours (a follow-up of our own).
        target = thread[-1] if thread and thread[-1].pk not in answered else None
        kinds = [("dm", "Direct message")]
    else:
        inbound = [m for m in thread if m.direction == "in" and m.tweet_id]
        target = next((m for m in reversed(inbound) if m.pk not in answered), None)
        target = target or (inbound[-1] if inbound else None)
        kinds = ReplyForm.base_fields["kind"].choices
    can_work = perms.can_work(request.user, conversation)
    context = {
        "conversation": conversation,
        "thread": thread,
        "history": selectors.author_history(user=request.user, author=conversation.author),
        "can_work": can_work,
        "note_form": NoteForm(),
        "reply_form": ReplyForm(
            initial={"message": target.pk if target else None, "version": conversation.version}
        ),
        "reply_target": target,
        "reply_kinds": kinds,
        "liked": liked,
        "saved_replies": selectors.saved_reply_list(
            user=request.user, department_id=conversation.department_id
        ),
        "assignees": selectors.assignee_choices(conversation=conversation) if can_work else [],
        "statuses": Status.choices,
        "sentiments": Sentiment.choices,
        "sla_state": (state := sla_selectors.state_of(conversation)),
        "sla_label": sla_selectors.LABELS.get(state, ""),
        "tags": ", ".join(t.name for t in conversation.tags.all()),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def conversation(request, pk: int):
    return render(request, "inbox/conversation.html", _detail_context(request, pk))


def _after(request, pk: int, **extra):
    if request.htmx:
        return render(
            request, "inbox/conversation.html#panel", _detail_context(request, pk, **extra)
        )
    return redirect(reverse("inbox:conversation", kwargs={"pk": pk}))


def _error(request, pk: int, message: str, status: int = 400):
    response = render(
        request, "inbox/conversation.html#panel", _detail_context(request, pk, error=message)
    )
    response.status_code = status
    if not request.htmx:
        response = render(
            request, "inbox/conversation.html", _detail_context(request, pk, error=message)
        )
        response.status_code = status
    return response


@login_required
@require_POST
def assign(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    value = request.POST.get("assignee", "")
    assignee = None
    if value == "me":
        assignee = request.user
    elif value:
        assignee = User.objects.filter(pk=value if value.isdigit() else 0).first()
        if assignee is None:
            return _error(request, pk, "Pick someone to assign.")
    try:
        services.conversation_assign(
            actor=request.user, conversation=conversation, assignee=assignee
        )
    except ValidationError as exc:
        return _error(request, pk, " ".join(exc.messages))
    return _after(request, pk)


@login_required
@require_POST
def status(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _error(request, pk, "Pick a status.")
    services.conversation_status_set(
        actor=request.user, conversation=conversation, status=form.cleaned_data["status"]
    )
    return _after(request, pk)


@login_required
@require_POST
def priority(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return _error(request, pk, "Pick a priority.")
    services.conversation_priority_set(
        actor=request.user, conversation=conversation, priority=form.cleaned_data["priority"]
    )
    return _after(request, pk)


@login_required
@require_POST
def tags(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = TagsForm(request.POST)
    if not form.is_valid():
        return _error(request, pk, "Tags: at most 500 characters.")
    try:
        services.conversation_tags_set(
            actor=request.user,
            conversation=conversation,
            tags=form.cleaned_data["tags"].split(","),
        )
    except ValidationError as exc:
        return _error(request, pk, " ".join(exc.messages))
    return _after(request, pk)


@login_required
@require_POST
def note(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _error(request, pk, "Write the note (at most 5,000 characters).")
    services.note_add(actor=request.user, conversation=conversation, text=form.cleaned_data["text"])
    return _after(request, pk)


@login_required
@require_POST
def reply(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _error(request, pk, "Write the reply (at most 280 characters).")
    message = conversation.messages.filter(pk=form.cleaned_data["message"]).first()
    if message is None:
        return _error(request, pk, "Pick a post of this conversation to answer.")
    try:
        sending.reply_create(
            actor=request.user,
            conversation=conversation,
            message=message,
            text=form.cleaned_data["text"],
            version=form.cleaned_data["version"],
            kind=form.cleaned_data["kind"],
        )
    except sending.VersionConflict as exc:
        return _error(request, pk, str(exc.detail), status=409)
    except ValidationError as exc:
        return _error(request, pk, " ".join(exc.messages))
    return _after(request, pk, sent=True)


@login_required
@require_POST
def sentiment(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    try:
        sla_services.conversation_sentiment_correct(
            actor=request.user,
            conversation=conversation,
            sentiment=request.POST.get("sentiment", ""),
        )
    except ValidationError as exc:
        return _error(request, pk, " ".join(exc.messages))
    return _after(request, pk)


@login_required
@require_POST
def like(request, pk: int):
    conversation = _conversation_or_404(request, pk)
    form = LikeForm(request.POST)
    message = None
    if form.is_valid():
        message = conversation.messages.filter(pk=form.cleaned_data["message"]).first()
    if message is None:
        return _error(request, pk, "Pick a post of this conversation to like.")
    try:
        sending.reply_create(
            actor=request.user, conversation=conversation, message=message, kind="like"
        )
    except ValidationError as exc:
        return _error(request, pk, " ".join(exc.messages))
    return _after(request, pk)


# --- Presence: who else is here (HTMX polls every second) ------------------------------


def _presence_key(pk: int) -> str:
    return f"inbox:presence:{pk}"


@login_required
@require_http_methods(["GET", "POST"])
def presence(request, pk: int):
    """Say the user is viewing (and, with typing=1, typing); answer who else is, as of
    the last PRESENCE_SECONDS."""
    conversation = _conversation_or_404(request, pk)
    now = time.time()
    key = _presence_key(conversation.pk)
    here = cache.get(key) or {}
    mine = here.get(str(request.user.pk), {})
    mine = {"name": request.user.display_name, "seen": now, "typed": mine.get("typed", 0)}
    if request.method == "POST" and request.POST.get("typing") == "1":
        mine["typed"] = now
    here = {u: v for u, v in here.items() if now - v["seen"] <= PRESENCE_SECONDS}
    here[str(request.user.pk)] = mine
    cache.set(key, here, PRESENCE_SECONDS * 4)
    others = [
        {"name": v["name"], "typing": now - v.get("typed", 0) <= PRESENCE_SECONDS}
        for u, v in sorted(here.items())
        if u != str(request.user.pk)
    ]
    return render(request, "inbox/_presence.html", {"others": others})


# --- Routing rules (organisation admins) ------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def routing(request):
    if not perms.can_manage_routing(request.user):
        raise PermissionDenied("Only organisation admins edit routing.")
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.routing_rule_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("inbox:routing")
    status_code = 400 if request.method == "POST" else 200
    return render(
        request,
        "inbox/routing.html",
        {"form": form, "rules": selectors.routing_rule_list(user=request.user)},
        status=status_code,
    )


@login_required
@require_POST
def routing_delete(request, pk: int):
    if not perms.can_manage_routing(request.user):
        raise PermissionDenied("Only organisation admins edit routing.")
    rule = get_object_or_404(RoutingRule, pk=pk)
    services.routing_rule_delete(actor=request.user, rule=rule)
    return redirect("inbox:routing")
