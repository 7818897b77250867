"""Use cases of the editorial calendar: posts from draft to scheduled, their approvals,
recurring slots and calendar feeds. (Sending to X is campaigns.calendar.publishing.)

Each use case is one transaction: it checks the actor's rights
(campaigns.calendar.permissions), validates (full_clean() and X's rules), saves, writes a
PostEvent (who, when, what) and an audit row. A refusal raises PermissionDenied (403),
bad input a ValidationError with field errors (400 in the API, 422 on the pages), and
nothing is left half-written.

The workflow: draft → in_review (submit: complete, within X's length, in the future)
→ approved (every department the approval rules name has approved this review round)
→ scheduled (at approval when its time is ahead, or when it is given one; its links
become tracked short links). Rejected posts keep their reason.

Four eyes: the post's owner, its writer and everyone who has changed its content count as
its authors, and none of them approves it unless the approval rule allows it. A change of
content (CONTENT_FIELDS) after an approval voids it: a post in review, approved or
scheduled goes back into review in a new round that needs every approval again (to draft
when it is no longer complete), a rejected one back to draft. A change of what decides the
approvers (category, offer) keeps the approvals given and asks only for those the rules
now add; a new time, notes, owner, campaign or slot keep them.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from campaigns.calendar import permissions as perms
from campaigns.calendar import selectors
from campaigns.calendar import text as x_text
from campaigns.links.permissions import can_create_link
from campaigns.links.services import link_create
from campaigns.models import (
    CalendarFeed,
    Campaign,
    Offer,
    PostApproval,
    PostEvent,
    PostPart,
    RecurringSlot,
    ScheduledPost,
)
from departments.models import Department
from listening.models import XAccount
from socialops.models import User
from socialops.permissions import require
from socialops.services import audit_saved, fields_check, instance_save, snapshot

Status = ScheduledPost.Status
Kind = ScheduledPost.Kind
Action = PostEvent.Action

NOT_YOURS = "Only this department's team can do that."

# What an edit may change.
POST_FIELDS = {
    "account",
    "kind",
    "category",
    "text",
    "parts",
    "campaign",
    "offer",
    "slot",
    "target_x_id",
    "owner",
    "scheduled_at",
    "notes",
}
# What the approvers approved, with the thread's parts (and media once posts have media):
# the words, the links in them, the post it replies to, quotes or reposts, the account it
# goes out from. Whoever changes any of it counts as an author of the post (four eyes)
# and approvals given before the change no longer count.
CONTENT_FIELDS = {
    "text": "text",
    "kind": "kind",
    "target_x_id": "target post",
    "account": "account",
}
# What decides which departments must approve (the approval rules), not what the post says:
# a change keeps the approvals given and asks only for those the rules now add.
RULE_FIELDS = {"category", "offer"}
TARGET_NEEDED = {Kind.REPLY: "replies to", Kind.QUOTE: "quotes", Kind.REPOST: "reposts"}
REPOST_TARGET_NEEDED = "A repost needs the X post it reposts: paste its address on X or its id."


# --- helpers --------------------------------------------------------------------------


def _locked(post: ScheduledPost) -> ScheduledPost:
    """The post as the database has it, locked until the transaction ends: two approvals
    or an edit and an approval must not interleave."""
    return ScheduledPost.objects.select_for_update().get(pk=post.pk)


def _event(
    post: ScheduledPost,
    action: str,
    actor: User | None,
    *,
    at: datetime,
    department: Department | None = None,
    note: str = "",
) -> PostEvent:
    return PostEvent.objects.create(
        post=post, action=action, actor=actor, at=at, department=department, note=note
    )


def _local(at: datetime | None) -> str:
    if at is None:
        return "no time"
    return timezone.localtime(at, selectors.organisation_zone()).strftime("%a %-d %b %Y %H:%M")


def _status_label(post: ScheduledPost) -> str:
    return post.get_status_display().lower()


def _wrong_status(post: ScheduledPost, rule: str) -> ValidationError:
    return ValidationError({"status": f"{rule}; this one is {_status_label(post)}."})


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _clean_text(text: str | None) -> str:
    # Browsers send a textarea's line breaks as CRLF: unchanged words must compare equal
    # (or a notes-only edit would void approvals), and X gets plain line feeds.
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean_parts(parts: list[str] | None) -> list[str]:
    return [_clean_text(part) for part in parts or [] if part and part.strip()]


def _parts_of(post: ScheduledPost) -> list[str]:
    return [part.text for part in post.parts.order_by("position")]


def _check(
    post: ScheduledPost,
    parts: list[str],
    *,
    time_changed: bool,
    slot_given: bool,
    now: datetime,
) -> None:
    """Validate what is saved at any stage: the model's own rules, X's length per part,
    parts only for threads, no time in the past, a slot's department and time."""
    errors: dict[str, list[str]] = {}
    try:
        post.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                _add(errors, field, message)
    if post.text and (message := x_text.length_error(post.text)):
        _add(errors, "text", message)
    if post.kind == Kind.REPOST and post.target_x_id is None and "target_x_id" not in errors:
        # A repost is nothing but the post it reposts: even a draft needs it (a reply's or
        # a quote's draft has words of its own worth keeping meanwhile).
        _add(errors, "target_x_id", REPOST_TARGET_NEEDED)
    if parts and post.kind != Kind.THREAD:
        _add(errors, "parts", "Only a thread has further parts; make the post a thread.")
    for number, part in enumerate(parts, start=2):
        if message := x_text.length_error(part, label=f"Part {number}"):
            _add(errors, "parts", message)
    if time_changed and post.scheduled_at is not None and post.scheduled_at <= now:
        _add(errors, "scheduled_at", "Pick a time in the future.")
    if post.slot_id is not None and "slot" not in errors:
        slot = post.slot
        if slot.department_id != post.department_id:
            _add(errors, "slot", f"That slot is {slot.department}'s, not {post.department}'s.")
        elif slot_given and post.scheduled_at is None:
            _add(errors, "scheduled_at", f"Pick one of the times of “{slot}”.")
        elif slot_given and not selectors.slot_occurs_at(slot, post.scheduled_at):
            _add(errors, "scheduled_at", f"That is not one of the times of “{slot}”.")
    if errors:
        raise ValidationError(errors)


def _ready_errors(post: ScheduledPost, parts: list[str], now: datetime) -> dict[str, list[str]]:
    """What a post still lacks before it can be reviewed."""
    errors: dict[str, list[str]] = {}
    if post.scheduled_at is None:
        _add(errors, "scheduled_at", "Pick when the post goes out.")
    elif post.scheduled_at <= now:
        _add(errors, "scheduled_at", "Pick a time in the future.")
    if post.kind == Kind.REPOST:
        if post.text.strip():
            _add(errors, "text", "A repost has no text of its own; make it a quote to add words.")
    elif not post.text.strip():
        _add(errors, "text", "Write the post.")
    elif message := x_text.length_error(post.text):
        _add(errors, "text", message)
    if post.kind == Kind.THREAD and not parts:
        _add(errors, "parts", "A thread needs at least two parts.")
    if parts and post.kind != Kind.THREAD:
        _add(errors, "parts", "Only a thread has further parts; make the post a thread.")
    for number, part in enumerate(parts, start=2):
        if message := x_text.length_error(part, label=f"Part {number}"):
            _add(errors, "parts", message)
    if post.kind in TARGET_NEEDED and post.target_x_id is None:
        _add(
            errors,
            "target_x_id",
            f"Give the id of the X post this {TARGET_NEEDED[post.kind]}.",
        )
    return errors


def _save_parts(post: ScheduledPost, parts: list[str]) -> None:
    post.parts.all().delete()
    PostPart.objects.bulk_create(
        PostPart(post=post, position=position, text=part)
        for position, part in enumerate(parts, start=1)
    )


# --- Posts ----------------------------------------------------------------------------


@transaction.atomic
def post_create(
    *,
    actor: User,
    account: XAccount,
    department: Department,
    category: str,
    text: str = "",
    kind: str = Kind.POST,
    parts: list[str] | None = None,
    campaign: Campaign | None = None,
    offer: Offer | None = None,
    slot: RecurringSlot | None = None,
    target_x_id: int | None = None,
    owner: User | None = None,
    scheduled_at: datetime | None = None,
    notes: str = "",
) -> ScheduledPost:
    """A new draft on the calendar, owned by `owner` (the actor when not given)."""
    require(perms.can_edit_posts(actor, department), NOT_YOURS)
    now = timezone.now()
    parts = _clean_parts(parts)
    post = ScheduledPost(
        account=account,
        department=department,
        category=category,
        text=_clean_text(text),
        kind=kind,
        campaign=campaign,
        offer=offer,
        slot=slot,
        target_x_id=target_x_id,
        owner=owner or actor,
        created_by=actor,
        scheduled_at=scheduled_at,
        notes=notes,
        status=Status.DRAFT,
    )
    _check(post, parts, time_changed=True, slot_given=slot is not None, now=now)
    post.save()
    _save_parts(post, parts)
    _event(post, Action.CREATED, actor, at=now)
    audit_saved(actor=actor, instance=post, department=post.department)
    return post


@transaction.atomic
def post_update(*, actor: User, post: ScheduledPost, **fields: Any) -> ScheduledPost:
    """Change a post.

    1. A change of content (CONTENT_FIELDS or the thread's parts) is recorded as a
       `rewritten` event: its actor counts as an author of the post from then on
       (perms.is_author), so may not approve it unless the rule allows self-approval.
    2. Such a change to a post in review, approved or scheduled voids the approvals of
       its round (a `voided` event names them) and puts it back into review in a new
       round, submitted by the actor; a post no longer complete enough for review goes
       to draft instead. A rejected post goes back to draft.
    3. A change of category or offer may change who must approve: approvals given keep
       counting; an approved or scheduled post that now needs another department goes
       back into review for it, and a post in review whose remaining approvals are no
       longer needed is approved.
    4. Anything else (time, notes, owner, campaign, slot) keeps the status; a post that
       loses its time is approved rather than scheduled (see also post_reschedule)."""
    require(perms.can_edit_posts(actor, post.department), NOT_YOURS)
    fields_check(fields, POST_FIELDS)
    post = _locked(post)
    if post.status not in selectors.EDITABLE:
        raise ValidationError({"status": f"A {_status_label(post)} post can no longer be edited."})
    now = timezone.now()
    before = snapshot(post)
    old_parts = _parts_of(post)
    new_parts = _clean_parts(fields.pop("parts")) if "parts" in fields else old_parts
    if "text" in fields:
        fields["text"] = _clean_text(fields["text"])
    for name, value in fields.items():
        setattr(post, name, value)
    after = snapshot(post)
    changed = {key for key, value in after.items() if before.get(key) != value}

    def touched(name: str) -> bool:
        return ScheduledPost._meta.get_field(name).attname in changed

    content = [label for name, label in CONTENT_FIELDS.items() if touched(name)]
    if new_parts != old_parts:
        content.append("thread parts")
    rules_changed = any(touched(name) for name in RULE_FIELDS)
    time_changed = "scheduled_at" in changed
    slot_given = fields.get("slot") is not None
    if (
        time_changed
        and not slot_given
        and post.slot_id is not None
        and (
            post.scheduled_at is None or not selectors.slot_occurs_at(post.slot, post.scheduled_at)
        )
    ):
        post.slot = None  # moved away from its slot's time: the slot is empty again
    _check(post, new_parts, time_changed=time_changed, slot_given=slot_given, now=now)
    if not changed and not content:
        return post
    voided: list[PostApproval] = []
    resubmitted = False
    note = ""
    if content and post.status in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED):
        voided = list(
            post.approvals.filter(review_round=post.review_round).select_related(
                "department", "approved_by"
            )
        )
        if _ready_errors(post, new_parts, now):
            note = f"Was {_status_label(post)}; back to draft: submit it again for approval."
            post.status = Status.DRAFT
        else:
            post.status = Status.IN_REVIEW
            post.review_round += 1
            post.submitted_at = now
            resubmitted = True
        post.approved_at = None
    elif content and post.status == Status.REJECTED:
        note = "Was rejected; back to draft: submit it again for approval."
        post.status = Status.DRAFT
    elif rules_changed and post.status in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED):
        note = _settle_approvals(post, now=now)
    if post.status == Status.SCHEDULED and post.scheduled_at is None:
        post.status = Status.APPROVED
    post.save()
    if new_parts != old_parts:
        _save_parts(post, new_parts)
    if content:
        changes = "Changed " + ", ".join(content) + "."
        _event(post, Action.REWRITTEN, actor, at=now, note=f"{changes} {note}".strip())
    else:
        _event(post, Action.EDITED, actor, at=now, note=note)
    if voided:
        given = "; ".join(f"{a.department} by {a.approved_by.username}" for a in voided)
        _event(
            post,
            Action.VOIDED,
            actor,
            at=now,
            note=f"The content changed after these approvals; they no longer count: {given}.",
        )
    if resubmitted:
        _event(
            post,
            Action.SUBMITTED,
            actor,
            at=now,
            note=f"Back in review after a change of content. {_needs(post)}",
        )
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    if post.status == Status.APPROVED and post.scheduled_at and post.scheduled_at > now:
        _schedule(actor=actor, post=post, now=now)
    return post


def _needs(post: ScheduledPost) -> str:
    needed = ", ".join(str(r.department) for r in selectors.post_approval_requirements(post=post))
    return f"Needs approval by {needed}."


def _settle_approvals(post: ScheduledPost, *, now: datetime) -> str:
    """After a change of category or offer, the status the approvals of this round now
    give (the caller saves); returns what happened, for the event."""
    states = selectors.post_approval_states(post=post)
    missing = [state.department for state in states if not state.given]
    if missing and post.status in (Status.APPROVED, Status.SCHEDULED):
        post.status = Status.IN_REVIEW
        post.approved_at = None
        names = " and ".join(str(department) for department in missing)
        return f"Now also needs approval by {names}: back in review."
    if not missing and post.status == Status.IN_REVIEW:
        post.status = Status.APPROVED
        post.approved_at = now
        return "Every approval it now needs is in: approved."
    return ""


@transaction.atomic
def post_submit(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """Send a draft (or a rejected post) for review: a new review round starts, and every
    approval its rules ask for is needed again."""
    require(perms.can_edit_posts(actor, post.department), NOT_YOURS)
    post = _locked(post)
    if post.status not in (Status.DRAFT, Status.REJECTED):
        raise _wrong_status(post, "Only a draft can be submitted for review")
    now = timezone.now()
    errors = _ready_errors(post, _parts_of(post), now)
    if errors:
        raise ValidationError(errors)
    before = snapshot(post)
    post.status = Status.IN_REVIEW
    post.review_round += 1
    post.submitted_at = now
    post.approved_at = None
    post.rejection_reason = ""
    post.save()
    _event(post, Action.SUBMITTED, actor, at=now, note=_needs(post))
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    return post


def _approval_department(
    *,
    actor: User,
    post: ScheduledPost,
    states: list[selectors.ApprovalState],
    department: Department | None,
) -> selectors.ApprovalState:
    """Which of the approvals the post needs the actor gives: the one named, else the
    first still missing that the actor may give (a lead's own department first)."""
    if department is not None:
        for state in states:
            if state.department.pk == department.pk:
                if state.given:
                    raise ValidationError(
                        {"department": f"{department} has already approved this post."}
                    )
                require(
                    perms.can_approve_for(actor, department),
                    f"Only a lead of {department} can approve for {department}.",
                )
                return state
        raise ValidationError({"department": f"{department} does not need to approve this post."})
    missing = [state for state in states if not state.given]
    for state in missing:
        if not actor.is_org_admin and perms.can_approve_for(actor, state.department):
            return state
    if missing and actor.is_org_admin:
        return missing[0]
    if any(perms.can_approve_for(actor, state.department) for state in states):
        raise ValidationError({"department": "Your department has already approved this post."})
    names = " and ".join(str(state.department) for state in missing)
    raise PermissionDenied(f"Only a lead of {names} can approve this post.")


def self_approval_error(actor: User, post: ScheduledPost, state: selectors.ApprovalState) -> str:
    """Why an author may not give this approval (the page shows it beside the button)."""
    if actor.pk in {post.owner_id, post.created_by_id}:
        return (
            f"You cannot approve your own post: {state.department} requires another "
            "person's approval."
        )
    return (
        "You changed this post's content, so you count as its author: "
        f"{state.department} requires another person's approval."
    )


@transaction.atomic
def post_approve(
    *, actor: User, post: ScheduledPost, department: Department | None = None
) -> ScheduledPost:
    """Approve a post in review for one department (`department`, or the one the actor
    leads that has yet to approve). When every approval of this review round is in, the
    post is approved, and scheduled at once if its time is ahead.

    1. The departments that must approve come from the approval rules (see
       selectors.post_approval_requirements); no rule → the post's own department.
    2. The actor must lead that department (or be an admin acting for it).
    3. The post's authors — its owner, its writer and anyone who has changed its
       content — may not approve unless every rule naming that department allows it
       (four eyes by default).
    """
    require(perms.can_read_calendar(actor), "Sign in to approve posts.")
    post = _locked(post)
    if post.status != Status.IN_REVIEW:
        raise _wrong_status(post, "Only a post in review can be approved")
    states = selectors.post_approval_states(post=post)
    state = _approval_department(actor=actor, post=post, states=states, department=department)
    if perms.is_author(actor, post) and not state.requirement.allow_self_approval:
        raise ValidationError({NON_FIELD_ERRORS: self_approval_error(actor, post, state)})
    now = timezone.now()
    approval = PostApproval(
        post=post,
        department=state.department,
        review_round=post.review_round,
        approved_by=actor,
        approved_at=now,
    )
    instance_save(actor=actor, instance=approval, department=state.department)
    still_missing = [s for s in states if not s.given and s.department.pk != state.department.pk]
    note = (
        "Approved."
        if not still_missing
        else "Still needs " + " and ".join(str(s.department) for s in still_missing) + "."
    )
    _event(post, Action.APPROVED, actor, at=now, department=state.department, note=note)
    if still_missing:
        return post
    before = snapshot(post)
    post.status = Status.APPROVED
    post.approved_at = now
    post.save()
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    if post.scheduled_at is not None and post.scheduled_at > now:
        _schedule(actor=actor, post=post, now=now)
    return post


@transaction.atomic
def post_reject(
    *, actor: User, post: ScheduledPost, reason: str, department: Department | None = None
) -> ScheduledPost:
    """Turn a post down, with the reason its author will read. Anyone who could approve
    it (a lead of a department that must approve, or an admin) may, while it is in
    review, approved or scheduled."""
    post = _locked(post)
    states = selectors.post_approval_states(post=post)
    deciders = [s.department for s in states if perms.can_approve_for(actor, s.department)]
    if department is not None:
        deciders = [d for d in deciders if d.pk == department.pk]
    require(bool(deciders), "Only a lead of a department that approves this post can reject it.")
    if post.status not in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED):
        raise _wrong_status(post, "Only a post in review or approved can be rejected")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why, so the author can fix it."})
    now = timezone.now()
    before = snapshot(post)
    post.status = Status.REJECTED
    post.rejection_reason = reason
    post.save()
    _event(post, Action.REJECTED, actor, at=now, department=deciders[0], note=reason)
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    return post


def short_link_url(code: str) -> str:
    """A short link's absolute address, on the site's public address (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("shortlinks:follow", kwargs={"code": code})


def _post_link_tags(post: ScheduledPost) -> dict[str, str]:
    """UTM tags for the links of a post: its campaign's (the link falls back to them), or
    the registry's usual x / social for a post outside any campaign — a click from X is
    then still told apart in the shop's analytics. utm_content says what kind of post."""
    tags = {"utm_content": post.kind if post.kind != Kind.QUOTE else Kind.POST}
    if post.campaign_id is None:
        tags.update(utm_source="x", utm_medium="social")
    return tags


def post_links_track(*, actor: User, post: ScheduledPost) -> int:
    """Replace every http(s) URL of the post's text and parts by a tracked short link of
    its campaign (one per distinct URL; our own short links are left alone, so running it
    twice changes nothing). Returns how many links were made. It saves the parts but not
    the post's own text: call it inside the caller's transaction, on a locked post, and
    save the post (post_schedule does; so must anything else that puts a post on the
    schedule)."""
    own_prefix = short_link_url("x")[:-1]  # …/l/
    parts = list(post.parts.order_by("position"))
    urls: list[str] = []
    for body in [post.text, *(part.text for part in parts)]:
        for url in x_text.http_urls(body):
            if not url.startswith(own_prefix) and url not in urls:
                urls.append(url)
    if not urls:
        return 0
    # The links are made on behalf of the actor, or the post's owner or writer when the
    # actor (an approver from another department) does not make this campaign's links.
    maker = next(
        (
            user
            for user in (actor, post.owner, post.created_by)
            if user is not None and can_create_link(user, post.campaign)
        ),
        None,
    )
    if maker is None:
        raise ValidationError(
            {"text": "Nobody involved may make tracked links for this post's campaign."}
        )
    short: dict[str, str] = {}
    for url in urls:
        try:
            link = link_create(
                actor=maker, destination=url, campaign=post.campaign, **_post_link_tags(post)
            )
        except ValidationError as exc:
            raise ValidationError({"text": f"{url}: {' '.join(exc.messages)}"}) from exc
        link.post = post
        link.save(update_fields=["post"])
        short[url] = short_link_url(link.code)

    def swap(url: str) -> str:
        return short.get(url, url)

    post.text = x_text.replace_http_urls(post.text, swap)
    for part in parts:
        new_text = x_text.replace_http_urls(part.text, swap)
        if new_text != part.text:
            part.text = new_text
            part.save(update_fields=["text"])
    return len(urls)


def _schedule(*, actor: User, post: ScheduledPost, now: datetime) -> ScheduledPost:
    before = snapshot(post)
    made = post_links_track(actor=actor, post=post)
    post.status = Status.SCHEDULED
    post.save()
    note = f"For {_local(post.scheduled_at)}."
    if made:
        note += f" {made} link{'s' if made != 1 else ''} now tracked."
    _event(post, Action.SCHEDULED, actor, at=now, note=note)
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    return post


@transaction.atomic
def post_schedule(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """Put an approved post on the schedule at its time (which must be ahead): its links
    become tracked short links, and publishing picks it up when it is due."""
    require(perms.can_edit_posts(actor, post.department), NOT_YOURS)
    post = _locked(post)
    if post.status != Status.APPROVED:
        raise _wrong_status(post, "Only an approved post can be scheduled")
    now = timezone.now()
    if post.scheduled_at is None or post.scheduled_at <= now:
        raise ValidationError({"scheduled_at": "Pick a time in the future."})
    return _schedule(actor=actor, post=post, now=now)


@transaction.atomic
def post_reschedule(
    *, actor: User, post: ScheduledPost, scheduled_at: datetime | None
) -> ScheduledPost:
    """Move a post that has not gone out to another time (drag and drop, or the form).
    Its status stays; an approved post given a time ahead is scheduled. A post moved off
    its recurring slot's time leaves the slot empty."""
    require(perms.can_edit_posts(actor, post.department), NOT_YOURS)
    post = _locked(post)
    if post.status not in selectors.MOVABLE:
        raise ValidationError({"status": f"A {_status_label(post)} post cannot be moved."})
    now = timezone.now()
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": "Pick a day and time."})
    if scheduled_at <= now:
        raise ValidationError({"scheduled_at": "Pick a time in the future."})
    if scheduled_at == post.scheduled_at:
        return post
    before = snapshot(post)
    old = post.scheduled_at
    post.scheduled_at = scheduled_at
    if post.slot_id is not None and not selectors.slot_occurs_at(post.slot, scheduled_at):
        post.slot = None
    post.full_clean()
    post.save()
    _event(
        post,
        Action.RESCHEDULED,
        actor,
        at=now,
        note=f"From {_local(old)} to {_local(scheduled_at)}.",
    )
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    if post.status == Status.APPROVED:
        _schedule(actor=actor, post=post, now=now)
    return post


@transaction.atomic
def post_unschedule(*, actor: User, post: ScheduledPost) -> ScheduledPost:
    """Take a post in review, approved or scheduled back to draft (it keeps its time);
    going out again needs a new review round."""
    require(perms.can_edit_posts(actor, post.department), NOT_YOURS)
    post = _locked(post)
    if post.status not in (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED):
        raise _wrong_status(
            post, "Only a post in review, approved or scheduled can go back to draft"
        )
    now = timezone.now()
    before = snapshot(post)
    post.status = Status.DRAFT
    post.save()
    _event(post, Action.UNSCHEDULED, actor, at=now)
    audit_saved(actor=actor, instance=post, before=before, department=post.department)
    return post


# --- Recurring slots ------------------------------------------------------------------

SLOT_FIELDS = {
    "account",
    "title",
    "category",
    "weekday",
    "time",
    "every_weeks",
    "starts_on",
    "ends_on",
    "is_active",
}


@transaction.atomic
def recurring_slot_create(
    *,
    actor: User,
    department: Department,
    title: str,
    category: str,
    weekday: int,
    time: time,
    starts_on: date,
    every_weeks: int = 1,
    ends_on: date | None = None,
    account: XAccount | None = None,
    is_active: bool = True,
) -> RecurringSlot:
    """A standing place on the department's calendar ("tips every Tuesday 10:00", in the
    organisation's time zone) that shows as an empty slot until a post fills it."""
    require(perms.can_edit_posts(actor, department), NOT_YOURS)
    slot = RecurringSlot(
        department=department,
        title=title,
        category=category,
        weekday=weekday,
        time=time.replace(second=0, microsecond=0),
        every_weeks=every_weeks,
        starts_on=starts_on,
        ends_on=ends_on,
        account=account,
        is_active=is_active,
    )
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": "The slot cannot end before it starts."})
    instance_save(actor=actor, instance=slot, department=slot.department)
    return slot


@transaction.atomic
def recurring_slot_update(*, actor: User, slot: RecurringSlot, **fields: Any) -> RecurringSlot:
    require(perms.can_edit_posts(actor, slot.department), NOT_YOURS)
    fields_check(fields, SLOT_FIELDS)
    slot = RecurringSlot.objects.select_for_update().get(pk=slot.pk)
    before = snapshot(slot)
    for name, value in fields.items():
        setattr(slot, name, value)
    if slot.time is not None:
        slot.time = slot.time.replace(second=0, microsecond=0)
    if slot.ends_on is not None and slot.starts_on is not None and slot.ends_on < slot.starts_on:
        raise ValidationError({"ends_on": "The slot cannot end before it starts."})
    instance_save(actor=actor, instance=slot, before=before, department=slot.department)
    return slot


# --- Calendar feeds -------------------------------------------------------------------

FEED_TOKEN_BYTES = 32  # 43 url-safe characters


@transaction.atomic
def calendar_feed_create(*, actor: User, department: Department | None = None) -> CalendarFeed:
    """A secret iCalendar address for a department's calendar (or everyone's). Leads of
    the department and admins make it; there is one per department."""
    require(
        perms.can_manage_feed(actor, department),
        "Only a lead of the department can do that."
        if department
        else "Only organisation admins can do that.",
    )
    existing = CalendarFeed.objects.select_for_update().filter(department=department)
    if existing.exists():
        raise ValidationError(
            {"department": "There is a feed already; rotate its address to get a new one."}
        )
    feed = CalendarFeed(
        department=department, token=secrets.token_urlsafe(FEED_TOKEN_BYTES), created_by=actor
    )
    instance_save(actor=actor, instance=feed, department=feed.department)
    return feed


@transaction.atomic
def calendar_feed_rotate(*, actor: User, feed: CalendarFeed) -> CalendarFeed:
    """A new secret address for the feed; the old one stops working at once."""
    require(
        perms.can_manage_feed(actor, feed.department), "Only a lead of the department can do that."
    )
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    before = snapshot(feed)
    feed.token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    feed.created_by = actor
    instance_save(actor=actor, instance=feed, before=before, department=feed.department)
    return feed
