"""Pages for prospect lists, prospects, the pipeline board and the Sales lead's summary.

Thin views: a form validates, one service or selector call, render. Everything is read
through selectors.py, so a list or prospect the user may not see is a 404 here, as in the
API, the CSV and search."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from departments.models import Department
from listening.selectors import account_list
from prospects import selectors, services
from prospects.forms import (
    AddProspectForm,
    MoveForm,
    ProspectForm,
    ProspectListForm,
    ShareForm,
    TouchForm,
)
from prospects.models import ListMember, ListShare
from socialops.csv import csv_response
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_form
from socialops.models import User
from socialops.permissions import require


def _visible_list(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.prospect_list_list(user=request.user), pk=pk)


def _visible_prospect(request: HttpRequest, pk: int):
    return get_object_or_404(selectors.prospect_list_visible(user=request.user), pk=pk)


# --- Lists ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def list_index(request: HttpRequest) -> HttpResponse:
    form = ProspectListForm(request.POST or None)
    form.fields["account"].queryset = account_list(user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.prospect_list_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"List “{created.name}” created.")
            return htmx_redirect(request, created.get_absolute_url())
    return render_form(
        request,
        "prospects/list_index.html",
        {
            "lists": selectors.prospect_list_list(user=request.user),
            "form": form,
            "can_summary": selectors.can_see_summary(request.user),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prospect_list = _visible_list(request, pk)
    can_edit = selectors.can_edit_list(user=request.user, prospect_list=prospect_list)
    form = AddProspectForm(request.POST or None)
    if request.method == "POST":
        require(can_edit, "This list is shared with you to read only.")
        if form.is_valid():
            try:
                member = services.prospect_add(
                    actor=request.user, prospect_list=prospect_list, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Added {member.prospect.display_name}.")
                return htmx_redirect(request, prospect_list.get_absolute_url())
    members = list(selectors.list_member_list(user=request.user, prospect_list=prospect_list))
    return render_form(
        request,
        "prospects/list_detail.html",
        {
            "plist": prospect_list,
            "members": members,
            "stream": selectors.list_stream(user=request.user, prospect_list=prospect_list)[:30],
            "history": selectors.member_event_list(user=request.user, prospect_list=prospect_list)[
                :20
            ],
            "form": form,
            "can_edit": can_edit,
            "can_manage": selectors.can_manage_list(user=request.user, prospect_list=prospect_list),
            "shares": prospect_list.shares.select_related("user", "department"),
            "share_form": ShareForm(),
            "now": timezone.now(),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def list_suggest(request: HttpRequest, pk: int) -> HttpResponse:
    """Autocomplete for "add by @handle": stored X users the user may know of, and X's own
    answer for the exact handle."""
    prospect_list = _visible_list(request, pk)
    prefix = request.GET.get("handle", "")[:16]
    found = selectors.xuser_suggestions(user=request.user, prefix=prefix)
    exact = prefix.strip().lstrip("@")
    if exact and not any(u.username.lower() == exact.lower() for u in found):
        with contextlib.suppress(ValidationError):
            found = [services.xuser_resolve(handle=exact, prospect_list=prospect_list), *found]
    return render(request, "prospects/_suggestions.html", {"suggestions": found[:8]})


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    prospect_list = _visible_list(request, pk)
    require(selectors.can_edit_list(user=request.user, prospect_list=prospect_list))
    member = get_object_or_404(ListMember, pk=member_pk, prospect_list=prospect_list)
    services.prospect_remove(actor=request.user, member=member)
    messages.success(request, f"Removed {member.prospect.display_name} from the list.")
    return htmx_redirect(request, prospect_list.get_absolute_url())


@login_required
@require_POST
def list_share(request: HttpRequest, pk: int) -> HttpResponse:
    prospect_list = _visible_list(request, pk)
    require(
        selectors.can_manage_list(user=request.user, prospect_list=prospect_list),
        "Only the list's owner shares it.",
    )
    form = ShareForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        user = User.objects.filter(username=data["username"]).first() if data["username"] else None
        department = (
            Department.objects.filter(slug=data["department"]).first()
            if data["department"]
            else None
        )
        try:
            services.list_share(
                actor=request.user,
                prospect_list=prospect_list,
                access=data["access"],
                user=user,
                department=department,
            )
            messages.success(request, "Shared.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(prospect_list.get_absolute_url())


@login_required
@require_POST
def list_unshare(request: HttpRequest, pk: int, share_pk: int) -> HttpResponse:
    prospect_list = _visible_list(request, pk)
    require(selectors.can_manage_list(user=request.user, prospect_list=prospect_list))
    share = get_object_or_404(ListShare, pk=share_pk, prospect_list=prospect_list)
    services.list_unshare(actor=request.user, share=share)
    return redirect(prospect_list.get_absolute_url())


@login_required
@require_GET
def list_export(request: HttpRequest, pk: int) -> HttpResponse:
    prospect_list = _visible_list(request, pk)
    members = selectors.list_member_list(user=request.user, prospect_list=prospect_list)

    def rows():
        for m in members:
            p = m.prospect
            yield [
                p.x_user.username,
                p.name,
                p.company,
                p.title,
                p.stage.name,
                p.crm_id or "",
                p.value if p.value is not None else "",
                p.tags,
                m.get_state_display(),
                timezone.localtime(m.last_touch_at).isoformat() if m.last_touch_at else "",
            ]

    return csv_response(
        filename=f"prospects-{prospect_list.pk}-{timezone.localdate():%Y-%m-%d}.csv",
        header=[
            "handle",
            "name",
            "company",
            "title",
            "stage",
            "crm_id",
            "value",
            "tags",
            "state",
            "last_touch",
        ],
        rows=rows(),
    )


# --- Prospects ------------------------------------------------------------------------


@login_required
@require_GET
def prospect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _visible_prospect(request, pk)
    show = request.GET.get("show", "")
    if show and show not in selectors.TIMELINE_FILTERS:
        show = ""
    return _prospect_page(request, prospect, show=show)


def _prospect_page(request, prospect, *, show="", touch_form=None, move_form=None, status=200):
    can_edit = selectors.can_edit_prospect(user=request.user, prospect=prospect)
    return render(
        request,
        "prospects/prospect_detail.html",
        {
            "prospect": prospect,
            "timeline": selectors.timeline(user=request.user, prospect=prospect, show=show)[:100],
            "show": show,
            "filters": [
                ("", "Everything"),
                ("posts", "Their posts"),
                ("ours", "Our replies & DMs"),
                ("dms", "DMs"),
                ("clicks", "Clicks & conversions"),
                ("touches", "Logged touches"),
            ],
            "stage_history": selectors.stage_change_list(user=request.user, prospect=prospect)[:20],
            "stages": selectors.stage_list(),
            "lists": selectors.prospect_list_list(user=request.user).filter(
                members__prospect=prospect
            ),
            "can_edit": can_edit,
            "touch_form": touch_form or TouchForm(),
            "move_form": move_form or MoveForm(initial={"stage": prospect.stage.key}),
        },
        status=status,
    )


@login_required
@require_POST
def prospect_touch(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _visible_prospect(request, pk)
    require(selectors.can_edit_prospect(user=request.user, prospect=prospect))
    form = TouchForm(request.POST)
    if form.is_valid():
        try:
            services.touch_log(actor=request.user, prospect=prospect, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Touch logged.")
            return htmx_redirect(request, prospect.get_absolute_url())
    return _prospect_page(request, prospect, touch_form=form, status=422)


@login_required
@require_POST
def prospect_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to a stage: from the prospect's page, or the board (a drop, or the card's own
    select and button without JavaScript). The board gets its column partial back."""
    prospect = _visible_prospect(request, pk)
    require(selectors.can_edit_prospect(user=request.user, prospect=prospect))
    form = MoveForm(request.POST)
    if not form.is_valid():
        if request.POST.get("board"):
            return HttpResponse(
                "No such stage.", status=422, content_type="text/plain; charset=utf-8"
            )
        return _prospect_page(request, prospect, move_form=form, status=422)
    services.prospect_move(
        actor=request.user,
        prospect=prospect,
        stage=form.cleaned_data["stage"],
        reason=form.cleaned_data["reason"],
    )
    if request.POST.get("board"):
        url = reverse("prospects:board") + f"?rep={prospect.owner_id}"
        if request.htmx:
            return _board(request, prospect.owner, partial=True)
        return redirect(url)
    messages.success(request, f"Moved to {form.cleaned_data['stage'].name}.")
    return htmx_redirect(request, prospect.get_absolute_url())


@login_required
@require_http_methods(["GET", "POST"])
def prospect_edit(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _visible_prospect(request, pk)
    require(selectors.can_edit_prospect(user=request.user, prospect=prospect))
    initial = {name: getattr(prospect, name) for name in services.PROSPECT_FIELDS}
    form = ProspectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_update(actor=request.user, prospect=prospect, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Saved.")
            return htmx_redirect(request, prospect.get_absolute_url())
    return render_form(
        request,
        "prospects/prospect_form.html",
        {"prospect": prospect, "form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    results = selectors.prospect_search(user=request.user, query=query)[:50] if query else []
    return render(request, "prospects/search.html", {"q": query, "results": results})


# --- Board and summary ----------------------------------------------------------------


def _board(request: HttpRequest, owner: User, *, partial: bool = False) -> HttpResponse:
    template = "prospects/board.html" + ("#board" if partial else "")
    return render(
        request,
        template,
        {
            "owner": owner,
            "columns": selectors.pipeline_board(user=request.user, owner=owner),
            "owners": selectors.pipeline_owners(user=request.user),
            "stages": selectors.stage_list(),
        },
    )


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    rep_id = request.GET.get("rep")
    owner = request.user
    if rep_id:
        if not rep_id.isdigit():
            raise Http404("No such rep.")
        owner = get_object_or_404(selectors.pipeline_owners(user=request.user), pk=int(rep_id))
    return _board(request, owner)


@login_required
@require_GET
def summary(request: HttpRequest) -> HttpResponse:
    require(
        selectors.can_see_summary(request.user),
        "The pipeline summary is for the Sales lead and organisation admins.",
    )
    stages, rows = selectors.pipeline_summary()
    return render(request, "prospects/summary.html", {"stages": stages, "rows": rows})
