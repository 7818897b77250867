"""Use cases for the time log: people log, change and delete their own time entries.
One transaction each, rights checked, full_clean(), audited."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import Campaign, TimeEntry
from campaigns.timelog import permissions as perms
from departments.models import Department
from departments.selectors import organisation_get
from socialops.marks import Family, mark
from socialops.models import User
from socialops.permissions import require
from socialops.services import fields_check, instance_delete, instance_save, snapshot

DAY_MINUTES = 24 * 60


def org_today() -> dt.date:
    """Today in the organisation's time zone, whoever asks and from wherever."""
    try:
        zone = zoneinfo.ZoneInfo(organisation_get().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return timezone.localtime(timezone.now(), zone).date()


def _check(*, actor: User, entry: TimeEntry) -> None:
    errors: dict[str, list] = {}
    minutes = entry.minutes
    if minutes is not None and not 1 <= minutes <= DAY_MINUTES:
        errors["minutes"] = ["Log between 1 minute and 24 hours (1,440 minutes)."]
    if entry.day is not None and entry.day > org_today():
        errors["day"] = ["This day is still to come; log time once it has been spent."]
    if entry.department is not None and not perms.can_log_for_department(actor, entry.department):
        errors["department"] = [
            f"You can log time only for departments you belong to; you are not in "
            f"{entry.department}."
        ]
    if entry.day is not None and minutes is not None and "minutes" not in errors:
        logged = (
            TimeEntry.objects.filter(user_id=entry.user_id, day=entry.day)
            .exclude(pk=entry.pk)
            .aggregate(total=Sum("minutes"))["total"]
            or 0
        )
        if logged + minutes > DAY_MINUTES:
            errors["minutes"] = [
                f"You already logged {logged} minutes on {entry.day:%d %b %Y}; a day has 1,440."
            ]
    try:
        entry.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def _lock_author(user: User) -> None:
    # One person's writes queue up, so the day total checked above cannot be overrun by
    # two quick entries sent at once.
    User.objects.select_for_update().filter(pk=user.pk).first()


def _department_of(entry: TimeEntry) -> Department | None:
    if entry.department is not None:
        return entry.department
    return entry.campaign.department if entry.campaign is not None else None


@transaction.atomic
def time_entry_create(
    *,
    actor: User,
    day: dt.date,
    minutes: int,
    activity: str,
    campaign: Campaign | None = None,
    department: Department | None = None,
    note: str = "",
) -> TimeEntry:
    """Log the actor's own time."""
    require(perms.can_log_time(actor), "Sign in to log time.")
    _lock_author(actor)
    entry = TimeEntry(
        user=actor,
        day=day,
        minutes=minutes,
        activity=activity,
        campaign=campaign,
        department=department,
        note=(note or "").strip(),
    )
    _check(actor=actor, entry=entry)
    instance_save(actor=actor, instance=entry, department=_department_of(entry), validate=False)
    mark(Family.TIME, [entry.day])
    return entry


TIME_ENTRY_FIELDS = {"day", "minutes", "activity", "campaign", "department", "note"}


@transaction.atomic
def time_entry_update(*, actor: User, entry: TimeEntry, **fields: Any) -> TimeEntry:
    require(perms.can_change_entry(actor, entry), "Only the person who logged it can change it.")
    fields_check(fields, TIME_ENTRY_FIELDS)
    _lock_author(actor)
    entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    before = snapshot(entry)
    day_before = entry.day
    for name, value in fields.items():
        setattr(entry, name, (value or "").strip() if name == "note" else value)
    _check(actor=actor, entry=entry)
    instance_save(
        actor=actor,
        instance=entry,
        before=before,
        department=_department_of(entry),
        validate=False,
    )
    # The day it was logged on and the day it is on now (the same, mostly).
    mark(Family.TIME, [day_before, entry.day])
    return entry


@transaction.atomic
def time_entry_delete(*, actor: User, entry: TimeEntry) -> None:
    require(perms.can_change_entry(actor, entry), "Only the person who logged it can delete it.")
    # The row as stored: the day to mark is the one it counts on now, whatever the
    # caller's copy says.
    entry = TimeEntry.objects.select_for_update().get(pk=entry.pk)
    instance_delete(actor=actor, instance=entry, department=_department_of(entry))
    mark(Family.TIME, [entry.day])
