"""The review pages: the list, a week's review (the current one from the menu), and what
representatives and admins record on it. Each form posts, the service decides, and the
page comes back (a 400 with the form's errors in place when the input is refused)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from departments.models import KPI, Department
from metrics.reviews import pdf, selectors, services
from metrics.reviews import permissions as perms
from metrics.reviews.forms import (
    ActionItemForm,
    ActionItemStatusForm,
    AttendanceForm,
    CommentaryForm,
    DecisionForm,
    ReopenForm,
)
from metrics.reviews.models import Review
from socialops.forms import apply_service_errors


def _review(request, week: str) -> Review:
    review = selectors.review_get(user=request.user, week=week)
    if review is None:
        raise Http404("No review for that week.")
    return review


def _editable_departments(user):
    if user.is_org_admin:
        return Department.objects.order_by("name")
    return Department.objects.filter(pk__in=perms.represented_department_ids(user)).order_by("name")


@login_required
def review_list(request):
    perms.require(perms.can_read_reviews(request.user))
    today = selectors.organisation_today()
    reviews = list(selectors.review_list(user=request.user))
    this_week = selectors.week_start(today)
    return render(
        request,
        "metrics/reviews/list.html",
        {
            "reviews": reviews,
            "this_week_open": any(r.week_start == this_week for r in reviews),
            "can_open": perms.can_close_reviews(request.user),
        },
    )


@login_required
def review_current(request):
    review = selectors.review_current(user=request.user)
    if review is None:
        return redirect("reviews:list")
    return redirect(review)


@login_required
@require_POST
def review_open_now(request):
    """Open this week's review before beat does (admins)."""
    perms.require(perms.can_close_reviews(request.user), "Only an admin opens a review early.")
    review, _ = services.review_open(
        week_start=selectors.week_start(selectors.organisation_today()), actor=request.user
    )
    return redirect(review)


def _page(request, review: Review, *, forms: dict | None = None, status: int = 200):
    user = request.user
    content = selectors.review_content(review=review)
    departments = list(_editable_departments(user))
    editable = {d.pk for d in departments}
    previous, restated = (None, [])
    if not review.is_closed:
        previous, restated = selectors.restated_numbers(review=review)
    forms = forms or {}
    # Every row links its KPI and posts its commentary: the addresses' common start once,
    # not a reverse() per row (a review of 8 departments has 48 KPI rows).
    commentary_url = reverse("reviews:commentary", kwargs={"week": review.week, "kpi_id": 0})
    kpi_url = reverse("departments:kpi", kwargs={"pk": 0})
    # A closed review names its posts and campaigns as they were, unlinked: they may be
    # gone since.
    post_url = reverse("campaigns:post_detail", kwargs={"pk": 0})
    campaign_url = reverse("campaigns:campaign_detail", kwargs={"pk": 0})
    context = {
        "post_base": post_url.removesuffix("0/"),
        "campaign_base": campaign_url.removesuffix("0/"),
        "commentary_base": commentary_url.removesuffix("0/commentary/"),
        "kpi_base": kpi_url.removesuffix("0/"),
        "review": review,
        "c": selectors.review_display(content),
        "editable": editable,
        "can_close": perms.can_close_reviews(user) and not review.is_closed,
        "can_reopen": perms.can_close_reviews(user) and review.is_closed,
        "can_decide": perms.can_record_decisions(user) and not review.is_closed,
        "previous": previous or selectors.review_previous(review),
        "following": Review.objects.filter(week_start__gt=review.week_start)
        .order_by("week_start")
        .first(),
        "restated": restated,
        "pdf_missing": pdf.missing() if not review.frozen_pdf else "",
        "item_form": forms.get("item") or ActionItemForm(departments=_editable_departments(user)),
        "decision_form": forms.get("decision")
        or DecisionForm(departments=_editable_departments(user)),
        "reopen_form": forms.get("reopen") or ReopenForm(),
        "close_error": forms.get("close_error"),
        "commentary_errors": forms.get("commentary_errors", {}),
        "reopens": list(review.reopens.select_related("by")),
    }
    return render(request, "metrics/reviews/detail.html", context, status=status)


@login_required
def review_detail(request, week: str):
    perms.require(perms.can_read_reviews(request.user))
    return _page(request, _review(request, week))


def _back(review: Review, anchor: str = ""):
    response = redirect(review)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@login_required
@require_POST
def attendance_save(request, week: str, department_id: int):
    review = _review(request, week)
    department = get_object_or_404(Department, pk=department_id)
    perms.require(perms.can_edit_for_department(request.user, department))
    reps = perms.representatives_by_department([department.pk]).get(department.pk, [])
    form = AttendanceForm(request.POST, representatives=reps)
    form.is_valid()  # checkboxes: always valid
    try:
        for user, present in form.presence():
            services.attendance_record(
                actor=request.user, review=review, department=department, user=user, present=present
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(review, f"department-{department.slug}")


@login_required
@require_POST
def commentary_save(request, week: str, kpi_id: int):
    review = _review(request, week)
    kpi = get_object_or_404(KPI.objects.select_related("goal__department"), pk=kpi_id)
    perms.require(perms.can_edit_for_department(request.user, kpi.goal.department))
    form = CommentaryForm(request.POST)
    if form.is_valid():
        try:
            services.commentary_save(
                actor=request.user, review=review, kpi=kpi, text=form.cleaned_data["text"]
            )
            return _back(review, f"kpi-{kpi.pk}")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    errors = [e for errors in form.errors.values() for e in errors]
    return _page(request, review, forms={"commentary_errors": {kpi.pk: errors}}, status=400)


def _add(request, week: str, form_class, service, *, anchor: str, key: str) -> HttpResponse:
    """A form that adds to the review: the service with the form's data, back to the
    review's section; or the page again with the form's errors (400)."""
    review = _review(request, week)
    form = form_class(request.POST, departments=_editable_departments(request.user))
    if form.is_valid():
        try:
            service(actor=request.user, review=review, **form.cleaned_data)
            return _back(review, anchor)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _page(request, review, forms={key: form}, status=400)


@login_required
@require_POST
def action_item_add(request, week: str):
    return _add(
        request,
        week,
        ActionItemForm,
        services.action_item_create,
        anchor="action-items",
        key="item",
    )


@login_required
@require_POST
def action_item_status(request, pk: int):
    item = get_object_or_404(selectors.action_item_list(user=request.user), pk=pk)
    form = ActionItemStatusForm(request.POST)
    target = selectors.review_current(user=request.user) or item.raised_in
    if form.is_valid():
        try:
            services.action_item_update(
                actor=request.user, item=item, status=form.cleaned_data["status"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose open, done or dropped.")
    return _back(target, "action-items")


@login_required
@require_POST
def decision_add(request, week: str):
    return _add(
        request, week, DecisionForm, services.decision_record, anchor="decisions", key="decision"
    )


@login_required
@require_POST
def review_close(request, week: str):
    review = _review(request, week)
    try:
        services.review_close(actor=request.user, review=review)
    except ValidationError as exc:
        return _page(request, review, forms={"close_error": " ".join(exc.messages)}, status=400)
    messages.success(request, f"The review of {review.week} is closed and frozen.")
    return redirect(review)


@login_required
@require_POST
def review_reopen(request, week: str):
    review = _review(request, week)
    perms.require(perms.can_close_reviews(request.user), "Only an admin reopens a review.")
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.review_reopen(
                actor=request.user, review=review, reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"The review of {review.week} is open again.")
            return redirect(review)
        except ValidationError as exc:
            apply_service_errors(form, exc)
    return _page(request, review, forms={"reopen": form}, status=400)


@login_required
def review_pdf(request, week: str):
    """The stored PDF of a closed review; of an open one, a draft made now."""
    perms.require(perms.can_read_reviews(request.user))
    review = _review(request, week)
    if review.is_closed and review.frozen_pdf:
        data = bytes(review.frozen_pdf)
    else:
        if pdf.missing():
            return HttpResponse(pdf.missing(), status=503, content_type="text/plain")
        content = selectors.review_content(review=review)
        html = services.review_render_html(content)
        data = pdf.render(html, selectors.canonical_json(content), name=f"review-{review.week}")
    name = f"review-{review.week}{'' if review.is_closed else '-draft'}.pdf"
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def review_record(request, week: str, kind: str):
    """A closed review's stored record: the JSON (as hashed) or the HTML."""
    perms.require(perms.can_read_reviews(request.user))
    review = _review(request, week)
    if not review.is_closed:
        raise Http404("An open review has no frozen record yet.")
    if kind == "json":
        response = HttpResponse(review.frozen_json, content_type="application/json")
    else:
        response = HttpResponse(review.frozen_html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-{review.week}.{kind}"'
    response["X-Content-SHA256"] = review.frozen_sha256
    return response
