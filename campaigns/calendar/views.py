"""The editorial calendar's pages: week, month and list views, a post's page with its
history and approvals, the post form with X's character count, recurring slots and the
iCalendar feed.

Views are thin: a form validates, one service or selector call, render. HTMX requests
get the page's partial; bad input comes back with its field errors and status 422.
Times are the organisation's (its middleware makes its zone the current one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.calendar import permissions as perms
from campaigns.calendar import selectors, services
from campaigns.calendar import text as x_text
from campaigns.calendar.filters import ScheduledPostFilterSet
from campaigns.calendar.forms import (
    ApproveForm,
    FeedForm,
    PostForm,
    RejectForm,
    RescheduleForm,
    SlotForm,
    TextCountForm,
    post_form_initial,
    split_parts,
)
from campaigns.calendar.publishing import post_publish_now, post_publish_retry
from campaigns.models import RecurringSlot, ScheduledPost
from departments.models import Department, Membership
from socialops import params
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect
from socialops.permissions import require

Status = ScheduledPost.Status

# --- helpers --------------------------------------------------------------------------


def _next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _calendar_changed() -> HttpResponse:
    """Tell the calendar on the page to reload itself (see _calendar.html)."""
    response = HttpResponse(status=204)
    response["HX-Trigger"] = "calendarChanged"
    return response


def _zone_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone())


def _query_without(request: HttpRequest, *names: str) -> str:
    query: QueryDict = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _filtered(filterset: ScheduledPostFilterSet):
    """The matching posts; none for a filter value that is not valid (the form says why)."""
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs


@dataclass
class Day:
    day: date
    posts: list[ScheduledPost] = field(default_factory=list)
    empty_slots: list[selectors.SlotOccurrence] = field(default_factory=list)
    in_month: bool = True

    @property
    def items(self) -> list[tuple[datetime, str, Any]]:
        """Posts and empty slots in the order of their times."""
        rows = [(post.scheduled_at, "post", post) for post in self.posts]
        rows += [(slot.at, "slot", slot) for slot in self.empty_slots]
        return sorted(rows, key=lambda row: (row[0], row[1]))

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()

    @property
    def is_past(self) -> bool:
        return self.day < timezone.localdate()


def _calendar(request: HttpRequest, first: date, days: int, month: int | None = None) -> dict:
    """The posts and empty slots from `first` for `days` days, filtered as the query
    string says (one FilterSet with the API)."""
    filterset = ScheduledPostFilterSet(
        request.GET or None,
        queryset=selectors.post_list(user=request.user),
        request=request,
        calendar=True,
    )
    start, end = _zone_midnight(first), _zone_midnight(first + timedelta(days=days))
    grid = {
        first + timedelta(days=n): Day(
            day=first + timedelta(days=n),
            in_month=month is None or (first + timedelta(days=n)).month == month,
        )
        for n in range(days)
    }
    editable = set(perms.departments_user_edits(request.user).values_list("pk", flat=True))
    for post in selectors.post_in_period(_filtered(filterset), start=start, end=end):
        post.movable = post.status in selectors.MOVABLE and post.department_id in editable
        grid[timezone.localtime(post.scheduled_at).date()].posts.append(post)
    data = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    department = data.get("department")
    # Empty slots belong to a department's plan, not to a status or a campaign.
    if not (data.get("status") or data.get("campaign") or data.get("kind")):
        slots = selectors.slot_list(user=request.user, department=department)
        if data.get("category"):
            slots = slots.filter(category=data["category"])
        if data.get("account"):
            slots = slots.filter(account=data["account"])
        now = timezone.now()
        for occurrence in selectors.slot_occurrences(
            user=request.user, start=max(start, now), end=end, slots=slots
        ):
            if occurrence.is_empty and occurrence.at > now:
                grid[timezone.localtime(occurrence.at).date()].empty_slots.append(occurrence)
    return {
        "filterset": filterset,
        "days": list(grid.values()),
        "has_items": any(day.posts or day.empty_slots for day in grid.values()),
        "department": department,
        "query": _query_without(request, "week", "month", "page"),
        "can_create": perms.can_write_any_posts(request.user),
        "feed": _feed_context(request, department),
        "editable_departments": editable,
    }


def _feed_context(request: HttpRequest, department: Department | None) -> dict | None:
    """The calendar feed box: its address for the department's members (or everyone's
    for admins), and the button to create or rotate it for leads and admins."""
    user = request.user
    may_manage = perms.can_manage_feed(user, department)
    is_member = department is not None and (
        Membership.objects.filter(user=user, department=department).exists()
    )
    if not (may_manage or is_member or user.is_org_admin):
        return None
    feed = selectors.calendar_feed_list(user=user).filter(department=department).first()
    url = (
        settings.SITE_URL.rstrip("/")
        + reverse("campaigns:calendar_feed", kwargs={"token": feed.token})
        if feed
        else ""
    )
    return {"feed": feed, "url": url, "department": department, "can_manage": may_manage}


def _render_calendar(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    if request.htmx and not request.htmx.boosted:
        template = f"{template}#calendar"
    return render(request, template, context)


# --- calendar views -------------------------------------------------------------------


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """The week view (?week=any day of it; this week by default)."""
    require(perms.can_read_calendar(request.user))
    today = timezone.localdate()
    first = selectors.week_start(params.day_param(request.GET.get("week"), default=today))
    context = _calendar(request, first, 7)
    context.update(
        {
            "view": "week",
            "first": first,
            "last": first + timedelta(days=6),
            "previous": first - timedelta(days=7),
            "next": first + timedelta(days=7),
            "this": selectors.week_start(today),
        }
    )
    return _render_calendar(request, "campaigns/calendar/week.html", context)


calendar_week = calendar


@login_required
@require_GET
def calendar_month(request: HttpRequest) -> HttpResponse:
    """The month view (?month=2026-11; this month by default), whole weeks Monday on."""
    require(perms.can_read_calendar(request.user))
    today = timezone.localdate()
    month_first = params.month_param(request.GET.get("month"), default=today.replace(day=1))
    next_month = (month_first + timedelta(days=32)).replace(day=1)
    first = selectors.week_start(month_first)
    last = selectors.week_start(next_month - timedelta(days=1)) + timedelta(days=6)
    context = _calendar(request, first, (last - first).days + 1, month=month_first.month)
    days = context["days"]
    context.update(
        {
            "view": "month",
            "month_first": month_first,
            "weeks": [days[n : n + 7] for n in range(0, len(days), 7)],
            "previous": (month_first - timedelta(days=1)).replace(day=1),
            "next": next_month,
            "this": today.replace(day=1),
        }
    )
    return _render_calendar(request, "campaigns/calendar/month.html", context)


@login_required
@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    """Every post the filters match, soonest first; posts without a time come last."""
    filterset = ScheduledPostFilterSet(
        request.GET or None, queryset=selectors.post_list(user=request.user), request=request
    )
    posts = _filtered(filterset).order_by(F("scheduled_at").asc(nulls_last=True), "pk")
    page = Paginator(posts, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    cycle_times = [
        {"row": row, "median": _duration(row.median), "longest": _duration(row.longest)}
        for row in selectors.approval_cycle_times(
            user=request.user, start=now - timedelta(days=CYCLE_DAYS), end=now
        )
    ]
    context = {
        "cycle_times": cycle_times,
        "cycle_days": CYCLE_DAYS,
        "filterset": filterset,
        "page": page,
        "query": _query_without(request, "page"),
        "can_create": perms.can_write_any_posts(request.user),
        "view": "list",
    }
    template = "campaigns/calendar/list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


CYCLE_DAYS = 30  # the list page's approval cycle time looks this far back


def _duration(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


# --- posts ----------------------------------------------------------------------------


def _form_response(request: HttpRequest, context: dict, *, invalid: bool = False) -> HttpResponse:
    template = "campaigns/calendar/post_form.html"
    if request.htmx:
        template += "#form"
    return render(request, template, context, status=422 if invalid else 200)


def _create_initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from the query string: an empty slot's "fill it" link names the slot and
    its time; the calendar's department filter names the department."""
    initial: dict[str, Any] = {"owner": request.user.pk}
    slot_id = request.GET.get("slot", "")
    if slot_id.isdigit():
        slot = selectors.slot_list(user=request.user).filter(pk=int(slot_id)).first()
        if slot is not None:
            initial.update(
                {
                    "slot": slot.pk,
                    "department": slot.department_id,
                    "category": slot.category,
                    "account": slot.account_id,
                }
            )
    if at := params.moment_param(request.GET.get("scheduled_at")):
        initial["scheduled_at"] = at
    if slug := request.GET.get("department"):
        department = Department.objects.filter(slug=slug).first()
        if department is not None:
            initial["department"] = department.pk
    for name in ("category", "kind"):
        if value := request.GET.get(name):
            initial[name] = value
    return {key: value for key, value in initial.items() if value is not None}


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request: HttpRequest) -> HttpResponse:
    require(
        perms.can_write_any_posts(request.user),
        "Only leads and members of a department can write posts.",
    )
    form = PostForm(
        request.POST or None,
        user=request.user,
        initial=_create_initial(request) if request.method == "GET" else None,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                post = services.post_create(actor=request.user, **form.service_data())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Draft saved. Submit it for review when it is ready.")
                return htmx_redirect(request, reverse("campaigns:post_detail", args=[post.pk]))
        return _form_response(request, {"form": form}, invalid=True)
    return _form_response(request, {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(selectors.post_list(user=request.user), pk=pk)
    require(perms.can_edit_posts(request.user, post.department), services.NOT_YOURS)
    form = PostForm(
        request.POST or None, user=request.user, post=post, initial=post_form_initial(post)
    )
    context = {"form": form, "post": post}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.post_update(actor=request.user, post=post, **form.service_data())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Post saved.")
                return htmx_redirect(request, reverse("campaigns:post_detail", args=[post.pk]))
        return _form_response(request, context, invalid=True)
    if post.status not in selectors.EDITABLE:
        messages.error(
            request, f"A {post.get_status_display().lower()} post can no longer be edited."
        )
        return redirect("campaigns:post_detail", pk=post.pk)
    return _form_response(request, context)


@login_required
@require_POST
def post_text_count(request: HttpRequest) -> HttpResponse:
    """X's weighted count of the text and each further part, for the form's counter.
    The server is the authority: the services check the same function."""
    form = TextCountForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    parts = split_parts(form.cleaned_data.get("parts", ""))
    counts = [
        {"label": "Post" if not parts else "Part 1", "length": x_text.weighted_length(text)}
    ] + [
        {"label": f"Part {n}", "length": x_text.weighted_length(part)}
        for n, part in enumerate(parts, start=2)
    ]
    for count in counts:
        count["over"] = count["length"] > x_text.MAX_WEIGHTED_LENGTH
        count["over_by"] = count["length"] - x_text.MAX_WEIGHTED_LENGTH
    return render(
        request,
        "campaigns/calendar/_counter.html",
        {"counts": counts, "limit": x_text.MAX_WEIGHTED_LENGTH},
    )


def _detail_context(request: HttpRequest, post: ScheduledPost, **extra: Any) -> dict:
    user = request.user
    states = selectors.post_approval_states(post=post)
    can_edit = perms.can_edit_posts(user, post.department)
    in_review = post.status == Status.IN_REVIEW
    approvals = []
    for state in states:
        may = in_review and not state.given and perms.can_approve_for(user, state.department)
        blocked = may and not state.requirement.allow_self_approval and perms.is_author(user, post)
        approvals.append(
            {
                "state": state,
                "can_approve": may and not blocked,
                # Why not, as the service would answer (own post, or content changed).
                "self_blocked": services.self_approval_error(user, post, state) if blocked else "",
            }
        )
    deciders = [s.department for s in states if perms.can_approve_for(user, s.department)]
    context = {
        "post": post,
        "parts": list(post.parts.all()),
        "events": list(post.events.all()),
        "approvals": approvals,
        "can_edit": can_edit and post.status in selectors.EDITABLE,
        "can_submit": can_edit and post.status in (Status.DRAFT, Status.REJECTED),
        "can_unschedule": can_edit
        and post.status in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED),
        "can_move": can_edit and post.status in selectors.MOVABLE,
        "can_retry": can_edit and post.status == Status.FAILED,
        "can_send_now": can_edit and post.status in (Status.APPROVED, Status.SCHEDULED),
        "can_reject": bool(deciders)
        and post.status in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED),
        "reject_form": RejectForm(),
        "reschedule_form": RescheduleForm(initial={"scheduled_at": post.scheduled_at}),
        "weighted_length": x_text.weighted_length(post.text),
        "part_lengths": [x_text.weighted_length(part.text) for part in post.parts.all()],
        "x_url": f"https://x.com/{post.account.username}/status/{post.x_post_id}"
        if post.x_post_id
        else "",
        "action_errors": [],
    }
    context.update(extra)
    return context


def _detail(request: HttpRequest, post: ScheduledPost, *, status: int = 200, **extra: Any):
    post = selectors.post_detail_list(user=request.user).get(pk=post.pk)
    template = "campaigns/calendar/post_detail.html"
    if request.htmx:
        template += "#actions"
    return render(request, template, _detail_context(request, post, **extra), status=status)


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [message for messages_ in exc.message_dict.values() for message in messages_]
    return list(exc.messages)


def _get_post(request: HttpRequest, pk: int) -> ScheduledPost:
    return get_object_or_404(selectors.post_list(user=request.user), pk=pk)


@login_required
@require_GET
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(selectors.post_detail_list(user=request.user), pk=pk)
    return render(request, "campaigns/calendar/post_detail.html", _detail_context(request, post))


def _post_action(request: HttpRequest, post: ScheduledPost, run, success: str) -> HttpResponse:
    """Run one workflow step; its refusals are 403, its field errors 422 on the page."""
    try:
        run()
    except ValidationError as exc:
        return _detail(request, post, status=422, action_errors=_errors(exc))
    messages.success(request, success)
    return htmx_redirect(request, reverse("campaigns:post_detail", args=[post.pk]))


@login_required
@require_POST
def post_submit(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    return _post_action(
        request,
        post,
        lambda: services.post_submit(actor=request.user, post=post),
        "Submitted for review.",
    )


@login_required
@require_POST
def post_approve(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _detail(
            request, post, status=422, action_errors=_errors(ValidationError(form.errors))
        )
    return _post_action(
        request,
        post,
        lambda: services.post_approve(
            actor=request.user, post=post, department=form.cleaned_data["department"]
        ),
        "Approved.",
    )


@login_required
@require_POST
def post_reject(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.post_reject(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Rejected; the author sees your reason.")
            return htmx_redirect(request, reverse("campaigns:post_detail", args=[post.pk]))
    return _detail(
        request,
        post,
        status=422,
        reject_form=form,
        action_errors=form.non_field_errors(),
        reject_open=True,
    )


@login_required
@require_POST
def post_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a post to another time: from the calendar (drag and drop or the small form,
    both by HTMX: 204 and the calendar reloads, or 422 with the reason) or from the
    post's page."""
    post = _get_post(request, pk)
    form = RescheduleForm(request.POST)
    if form.is_valid():
        try:
            services.post_reschedule(
                actor=request.user, post=post, scheduled_at=form.cleaned_data["scheduled_at"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if request.htmx and request.POST.get("from") == "calendar":
                return _calendar_changed()
            messages.success(request, "Moved.")
            return htmx_redirect(
                request,
                _next_url(request, reverse("campaigns:post_detail", args=[post.pk])),
            )
    if request.htmx and request.POST.get("from") == "calendar":
        return render(
            request,
            "campaigns/calendar/_move_error.html",
            {"post": post, "errors": _errors(ValidationError(form.errors))},
            status=422,
        )
    return _detail(
        request, post, status=422, reschedule_form=form, action_errors=form.non_field_errors()
    )


@login_required
@require_POST
def post_unschedule(request: HttpRequest, pk: int) -> HttpResponse:
    post = _get_post(request, pk)
    return _post_action(
        request,
        post,
        lambda: services.post_unschedule(actor=request.user, post=post),
        "Back to draft.",
    )


@login_required
@require_POST
def post_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a failed post back on the schedule (publishing sends it)."""
    post = _get_post(request, pk)
    return _post_action(
        request,
        post,
        lambda: post_publish_retry(actor=request.user, post=post),
        "Back on the schedule: it is sent again shortly.",
    )


@login_required
@require_POST
def post_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an approved or scheduled post now instead of at its time."""
    post = _get_post(request, pk)
    return _post_action(
        request,
        post,
        lambda: post_publish_now(actor=request.user, post=post),
        "Sending now: it is on X within seconds.",
    )


# --- recurring slots ------------------------------------------------------------------


@login_required
@require_GET
def slot_list(request: HttpRequest) -> HttpResponse:
    slots = selectors.slot_list(user=request.user).order_by("department__name", "weekday", "time")
    rows = [
        {"slot": slot, "can_edit": perms.can_edit_posts(request.user, slot.department)}
        for slot in slots
    ]
    return render(
        request,
        "campaigns/calendar/slot_list.html",
        {"rows": rows, "can_create": perms.can_write_any_posts(request.user)},
    )


def _slot_form_response(request: HttpRequest, context: dict, *, invalid: bool) -> HttpResponse:
    template = "campaigns/calendar/slot_form.html"
    if request.htmx:
        template += "#form"
    return render(request, template, context, status=422 if invalid else 200)


@login_required
@require_http_methods(["GET", "POST"])
def slot_create(request: HttpRequest) -> HttpResponse:
    require(
        perms.can_write_any_posts(request.user),
        "Only leads and members of a department can add slots.",
    )
    form = SlotForm(
        request.POST or None,
        user=request.user,
        initial={"starts_on": timezone.localdate(), "every_weeks": 1},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.recurring_slot_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Slot added: it shows on the calendar until filled.")
                return htmx_redirect(request, reverse("campaigns:calendar_slot_list"))
        return _slot_form_response(request, {"form": form}, invalid=True)
    return _slot_form_response(request, {"form": form}, invalid=False)


@login_required
@require_http_methods(["GET", "POST"])
def slot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(selectors.slot_list(user=request.user), pk=pk)
    require(perms.can_edit_posts(request.user, slot.department), services.NOT_YOURS)
    form = SlotForm(
        request.POST or None, user=request.user, instance=RecurringSlot.objects.get(pk=slot.pk)
    )
    context = {"form": form, "slot": slot}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.recurring_slot_update(actor=request.user, slot=slot, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Slot saved.")
                return htmx_redirect(request, reverse("campaigns:calendar_slot_list"))
        return _slot_form_response(request, context, invalid=True)
    return _slot_form_response(request, context, invalid=False)


# --- iCalendar feed -------------------------------------------------------------------


@login_required
@require_POST
def calendar_feed_manage(request: HttpRequest) -> HttpResponse:
    """Create the department's feed, or give it a new secret address (the old one stops
    working)."""
    form = FeedForm(request.POST)
    if not form.is_valid():
        raise Http404
    department = form.cleaned_data["department"]
    feed = selectors.calendar_feed_list(user=request.user).filter(department=department).first()
    try:
        if feed is None:
            services.calendar_feed_create(actor=request.user, department=department)
            messages.success(request, "Calendar feed created: subscribe to its address below.")
        else:
            services.calendar_feed_rotate(actor=request.user, feed=feed)
            messages.success(request, "New feed address: the old one no longer works.")
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    query = urlencode({"department": department.slug}) if department else ""
    return redirect(reverse("campaigns:calendar") + (f"?{query}" if query else ""))


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed behind a secret address: no sign-in, the token is the key."""
    feed = selectors.calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404("No such calendar feed.")
    site = settings.SITE_URL.rstrip("/")
    name = f"{feed.department or 'All departments'} — posts"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//SocialOps//Editorial calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for post in selectors.calendar_feed_posts(feed=feed):
        start = post.scheduled_at.astimezone(UTC)
        event = icalendar.Event()
        event.add("uid", f"scheduled-post-{post.pk}@socialops")
        event.add("dtstamp", post.updated_at.astimezone(UTC))
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=15))
        event.add("summary", (post.text or str(post))[:60])
        event.add("url", site + reverse("campaigns:post_detail", args=[post.pk]))
        event.add(
            "description",
            f"{post.get_status_display()} · @{post.account.username} · {post.department}\n\n"
            f"{post.text}",
        )
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
