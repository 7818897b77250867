"""Changing the weekly review: each function one transaction, validated and audited
(socialops.services.instance_save). Closing freezes the review; nothing recorded in a
closed review changes until an admin reopens it with a reason."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from departments.models import KPI, Department
from metrics.reviews import digest, pdf, selectors
from metrics.reviews import permissions as perms
from metrics.reviews.models import (
    ActionItem,
    Attendance,
    Commentary,
    Decision,
    Review,
    ReviewReopen,
)
from metrics.rollups import organisation_zone
from socialops.models import AuditEvent, User
from socialops.services import audit_record, fields_check, instance_delete, instance_save, snapshot
from socialops.webhooks.services import event_emit


def _queue(task: str, review_id: int) -> None:
    """Queue a digest once the transaction commits. Imported here: metrics.reviews.tasks
    calls these services (importing it also registers the task in a web process)."""

    def send() -> None:
        # A cycle: the tasks module imports these services.
        from metrics.reviews import tasks  # noqa: F401

        current_app.tasks[task].delay(review_id)

    transaction.on_commit(send, robust=True)


def _locked_open(review: Review, what: str = "changed") -> Review:
    """The review, row-locked for this transaction, refused when it is closed."""
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.is_closed:
        raise ValidationError(
            f"The review of {review.week} is closed: nothing in it can be {what}. "
            "An admin can reopen it, with a reason."
        )
    return review


# --- opening ----------------------------------------------------------------------------


def review_open(*, week_start: date, actor: User | None = None) -> tuple[Review, bool]:
    """The review of the week starting `week_start` (a Monday), made if missing: running
    it twice, or two beats at once, makes one review and sends one digest."""
    monday = selectors.week_start(week_start)
    existing = Review.objects.filter(week_start=monday).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            review = Review(week_start=monday)
            instance_save(actor=actor, instance=review)
            _queue("metrics.reviews.open_digest", review.pk)
    except IntegrityError:  # made meanwhile by another process
        return Review.objects.get(week_start=monday), False
    return review, True


def review_open_due(*, now: datetime | None = None) -> Review | None:
    """Beat's entry (every few minutes): open this week's review once the organisation's
    clock is past the week's opening day and hour (settings.REVIEW_OPEN_WEEKDAY, _HOUR)."""
    local = timezone.localtime(now or timezone.now(), organisation_zone())
    monday = selectors.week_start(local.date())
    opens = datetime.combine(
        monday + timedelta(days=settings.REVIEW_OPEN_WEEKDAY), datetime.min.time()
    ).replace(hour=settings.REVIEW_OPEN_HOUR, tzinfo=local.tzinfo)
    if local < opens:
        return None
    review, _ = review_open(week_start=monday)
    return review


# --- recorded in the meeting ------------------------------------------------------------


def attendance_record(
    *, actor: User, review: Review, department: Department, user: User, present: bool
) -> Attendance:
    perms.require(
        perms.can_edit_for_department(actor, department),
        "Only the department's representatives or an admin record its attendance.",
    )
    with transaction.atomic():
        review = _locked_open(review)
        reps = perms.representatives_by_department([department.pk]).get(department.pk, [])
        if user.pk not in {m.user_id for m in reps}:
            raise ValidationError({"user": f"{user.display_name} does not represent {department}."})
        attendance = Attendance.objects.filter(
            review=review, department=department, user=user
        ).first()
        before = snapshot(attendance) if attendance else None
        if attendance is None:
            attendance = Attendance(review=review, department=department, user=user)
        attendance.present = present
        attendance.recorded_by = actor
        instance_save(actor=actor, instance=attendance, before=before, department=department)
    return attendance


def commentary_save(*, actor: User, review: Review, kpi: KPI, text: str) -> Commentary | None:
    """Write (or replace) a KPI's commentary; an empty text removes it."""
    department = kpi.goal.department
    perms.require(
        perms.can_edit_for_department(actor, department),
        "Only the department's representatives or an admin write its commentary.",
    )
    with transaction.atomic():
        review = _locked_open(review)
        note = Commentary.objects.filter(review=review, kpi=kpi).first()
        text = (text or "").strip()
        if not text:
            if note is not None:
                instance_delete(actor=actor, instance=note, department=department)
            return None
        before = snapshot(note) if note else None
        if note is None:
            note = Commentary(review=review, kpi=kpi)
        note.text = text
        note.author = actor
        instance_save(actor=actor, instance=note, before=before, department=department)
    return note


ACTION_ITEM_FIELDS = ("title", "owner", "due", "status", "department")


def action_item_create(
    *,
    actor: User,
    review: Review,
    department: Department,
    title: str,
    owner: User | None = None,
    due: date | None = None,
) -> ActionItem:
    perms.require(
        perms.can_edit_for_department(actor, department),
        "Only the department's representatives or an admin add its action items.",
    )
    with transaction.atomic():
        review = _locked_open(review, "added")
        item = ActionItem(
            raised_in=review,
            department=department,
            title=(title or "").strip(),
            owner=owner,
            due=due,
            created_by=actor,
        )
        instance_save(actor=actor, instance=item, department=department)
    return item


def action_item_update(*, actor: User, item: ActionItem, **fields: Any) -> ActionItem:
    """Change an item (title, owner, due, status, department); done or dropped records
    the day. Items carry over, so an item raised in a closed review still changes: the
    closed review's record keeps what it was at close."""
    fields_check(fields, ACTION_ITEM_FIELDS)
    perms.require(
        perms.can_edit_for_department(actor, item.department),
        "Only the department's representatives or an admin change its action items.",
    )
    if "department" in fields:
        perms.require(
            perms.can_edit_for_department(actor, fields["department"]),
            "You can only move an item to a department you represent.",
        )
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item.pk)
        before = snapshot(item)
        for name, value in fields.items():
            setattr(item, name, value.strip() if name == "title" and value else value)
        if "status" in fields and fields["status"] not in ActionItem.Status.values:
            raise ValidationError({"status": "Choose open, done or dropped."})
        if item.status == ActionItem.Status.OPEN:
            item.finished_on = None
        elif before["status"] == ActionItem.Status.OPEN:
            item.finished_on = selectors.organisation_today()
        instance_save(actor=actor, instance=item, before=before, department=item.department)
    return item


def action_item_delete(*, actor: User, item: ActionItem) -> None:
    """Only a mistake is deleted: an item of a review still open. Later, mark it dropped."""
    perms.require(
        perms.can_edit_for_department(actor, item.department),
        "Only the department's representatives or an admin delete its action items.",
    )
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=item.raised_in_id)
        if review.is_closed:
            raise ValidationError(
                f"It was raised in {review.week}, which is closed: mark it dropped instead."
            )
        instance_delete(actor=actor, instance=item, department=item.department)


def decision_record(
    *,
    actor: User,
    review: Review,
    text: str,
    decided_by: str,
    decided_on: date | None = None,
    department: Department | None = None,
    supersedes: Decision | None = None,
) -> Decision:
    """Append a decision. A correction is a new decision naming the one it supersedes."""
    if department is not None:
        perms.require(
            perms.can_edit_for_department(actor, department),
            "Only the department's representatives or an admin record its decisions.",
        )
    else:
        perms.require(
            perms.can_record_decisions(actor),
            "Only representatives and admins record the committee's decisions.",
        )
    with transaction.atomic():
        review = _locked_open(review, "added")
        if supersedes is not None:
            supersedes = Decision.objects.select_for_update().get(pk=supersedes.pk)
            if Decision.objects.filter(supersedes=supersedes).exists():
                raise ValidationError(
                    {"supersedes": "That decision is already superseded: supersede the newer one."}
                )
        decision = Decision(
            review=review,
            department=department,
            text=(text or "").strip(),
            decided_by=(decided_by or "").strip(),
            decided_on=decided_on or selectors.organisation_today(),
            supersedes=supersedes,
            recorded_by=actor,
        )
        instance_save(actor=actor, instance=decision, department=department)
    return decision


# --- closing and reopening --------------------------------------------------------------


def review_render_html(content: dict[str, Any]) -> str:
    """The stand-alone document of a review (print CSS inline, sparklines as SVG): what
    is stored at close and what the PDF is made from."""
    # A stored, stand-alone document (downloaded, or read by WeasyPrint), never a page
    # served under the CSP: its stylesheet goes inside it, so it reads the same in years
    # whatever becomes of /static/.
    css = render_to_string("metrics/reviews/document.css", {"c": content})
    style = mark_safe(f"<style>{css}</style>")  # safe: our own template, no user input
    return render_to_string(
        "metrics/reviews/document.html",
        {"c": selectors.review_display(content), "style": style},
    )


def review_close(*, actor: User, review: Review, today: date | None = None) -> Review:
    """Freeze the review. The steps:
    1. lock it; refuse when closed, or while an amber or red KPI has no commentary;
    2. compute its content once more, add who closed it and when, and store it as
       canonical JSON with its SHA-256;
    3. render the HTML from that JSON, and the PDF from the HTML (with the JSON attached)
       when WeasyPrint and its libraries are there;
    4. queue the closing digest once the transaction commits."""
    perms.require(perms.can_close_reviews(actor), "Only an admin closes a review.")
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if review.is_closed:
            raise ValidationError(f"The review of {review.week} is already closed.")
        content = selectors.review_snapshot(review=review, today=today, fresh=True)
        missing = selectors.missing_commentary(content)
        if missing:
            listed = "; ".join(f"{d}: {k}" for d, k in missing)
            raise ValidationError(
                "Every amber or red KPI needs commentary (why, and what we do about it) "
                f"before the review closes. Missing: {listed}."
            )
        before = snapshot(review)
        closed_at = timezone.now()
        content["closed_at"] = closed_at.isoformat()
        content["closed_by"] = {"id": actor.pk, "name": actor.display_name}
        text = selectors.canonical_json(content)
        review.status = Review.Status.CLOSED
        review.closed_at = closed_at
        review.closed_by = actor
        review.frozen_json = text
        review.frozen_sha256 = hashlib.sha256(text.encode()).hexdigest()
        review.frozen_html = review_render_html(content)
        review.frozen_pdf = pdf.render(review.frozen_html, text, name=f"review-{review.week}")
        review.close_digest_sent_at = None
        review.save()
        audit_record(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            instance=review,
            before=before,
        )
        _queue("metrics.reviews.close_digest", review.pk)
        event_emit(
            "review.closed",
            instance=review,
            serializer="metrics.reviews.api.ReviewSummarySerializer",
        )
    return review


def review_reopen(*, actor: User, review: Review, reason: str) -> ReviewReopen:
    perms.require(perms.can_close_reviews(actor), "Only an admin reopens a review.")
    with transaction.atomic():
        review = Review.objects.select_for_update().get(pk=review.pk)
        if not review.is_closed:
            raise ValidationError(f"The review of {review.week} is open already.")
        record = ReviewReopen(
            review=review,
            by=actor,
            reason=(reason or "").strip(),
            previous_sha256=review.frozen_sha256,
            previous_json=review.frozen_json,
        )
        instance_save(actor=actor, instance=record)
        before = snapshot(review)
        review.status = Review.Status.OPEN
        review.closed_at = None
        review.closed_by = None
        review.frozen_json = review.frozen_html = review.frozen_sha256 = ""
        review.frozen_pdf = None
        review.save()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, instance=review, before=before)
    return record


# --- digests ----------------------------------------------------------------------------


def _digest_claim(review_id: int, field: str):
    """The review, locked, if its digest is still to be sent (skip a locked one: another
    worker has it); None otherwise."""
    return (
        Review.objects.select_for_update(skip_locked=True)
        .filter(pk=review_id, **{f"{field}__isnull": True})
        .first()
    )


def review_digest_send(*, review_id: int, kind: str) -> int:
    """Send the opening or closing digest to every representative, once: the review row
    is locked while sending and marked sent in the same transaction, so a retry after a
    failure sends again and a second run after success sends nothing. Returns how many
    messages went out."""
    field = "open_digest_sent_at" if kind == "open" else "close_digest_sent_at"
    with transaction.atomic():
        review = _digest_claim(review_id, field)
        if review is None or (kind == "close" and not review.is_closed):
            return 0
        sent = digest.send(review=review, kind=kind)
        Review.objects.filter(pk=review.pk).update(**{field: timezone.now()})
    return sent
