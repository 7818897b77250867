"""Use cases for campaigns and the organisation-wide UTM naming registry. Each is one
transaction: it checks the actor's rights, validates (field errors), saves and writes an
audit row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from campaigns import permissions as perms
from campaigns.models import Campaign, UtmTag, validate_utm_value
from departments.models import Department, Goal
from socialops.marks import Family, mark_all
from socialops.models import AuditEvent, User
from socialops.permissions import require
from socialops.services import audit_saved, fields_check, instance_save, snapshot

Errors = dict[str, list[str]]

# What utm_tags_ensure_defaults() registers: the values most organisations on X start
# with. Lower-case, as validate_utm_value wants (x, not X or twitter).
DEFAULT_UTM_TAGS: list[tuple[str, str, str]] = [
    (UtmTag.Parameter.SOURCE, "x", "Posts, replies and the profile on X"),
    (UtmTag.Parameter.SOURCE, "newsletter", "Our e-mail newsletter"),
    (UtmTag.Parameter.SOURCE, "linkedin", "Posts on LinkedIn"),
    (UtmTag.Parameter.MEDIUM, "social", "Organic social media posts"),
    (UtmTag.Parameter.MEDIUM, "paid-social", "Promoted posts and ads"),
    (UtmTag.Parameter.MEDIUM, "email", "E-mail"),
    (UtmTag.Parameter.MEDIUM, "referral", "A link on someone else's page"),
    (UtmTag.Parameter.CONTENT, "post", "A single post"),
    (UtmTag.Parameter.CONTENT, "thread", "A thread"),
    (UtmTag.Parameter.CONTENT, "reply", "A reply to someone"),
    (UtmTag.Parameter.CONTENT, "bio", "The link in our profile"),
    (UtmTag.Parameter.CONTENT, "dm", "A direct message"),
]

UTM_LABELS = dict(UtmTag.Parameter.choices)


# --- UTM naming registry ---------------------------------------------------------------


def utm_value_errors(*, parameter: str, value: str) -> list[str]:
    """Why `value` may not be used for `parameter` (empty when it may): it must be in the
    registry and active. Empty values are the caller's business (they mean "none")."""
    if not value:
        return []
    tag = UtmTag.objects.filter(parameter=parameter, value=value).first()
    label = UTM_LABELS.get(parameter, parameter)
    if tag is None:
        return [
            f"“{value}” is not in the UTM registry for {label.lower()}; "
            "pick a registered value or ask a lead to add it."
        ]
    if not tag.is_active:
        return [f"“{value}” was retired from the UTM registry; pick an active value."]
    return []


def utm_values_check(**values: str) -> None:
    """Raise field errors for every `utm_*=value` given that is not an active registry
    value. Used by campaigns and by the pages' and API's link creation."""
    errors: Errors = {}
    for parameter, value in values.items():
        problems = utm_value_errors(parameter=parameter, value=value)
        if problems:
            errors[parameter] = problems
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def utm_tag_create(*, actor: User, parameter: str, value: str, description: str = "") -> UtmTag:
    require(
        perms.can_manage_utm_registry(actor),
        "Only department leads and admins add values to the UTM registry.",
    )
    value = (value or "").strip()
    tag = UtmTag(parameter=parameter, value=value, description=description, created_by=actor)
    if UtmTag.objects.filter(parameter=parameter, value=value).exists():
        label = UTM_LABELS.get(parameter, parameter).lower()
        raise ValidationError({"value": f"“{value}” is already registered for {label}."})
    instance_save(actor=actor, instance=tag)
    return tag


@transaction.atomic
def utm_tag_update(
    *, actor: User, tag: UtmTag, is_active: bool | None = None, description: str | None = None
) -> UtmTag:
    """Retire a value (or bring it back), or describe it better. The value itself never
    changes: links already carry it. Campaigns and links that have a retired value keep
    it; only new choices are limited to active values."""
    require(
        perms.can_manage_utm_registry(actor),
        "Only department leads and admins change the UTM registry.",
    )
    tag = UtmTag.objects.select_for_update().get(pk=tag.pk)
    before = snapshot(tag)
    if is_active is not None:
        tag.is_active = is_active
    if description is not None:
        tag.description = description
    instance_save(actor=actor, instance=tag, before=before)
    return tag


def utm_tag_set_active(*, actor: User, tag: UtmTag, is_active: bool) -> UtmTag:
    return utm_tag_update(actor=actor, tag=tag, is_active=is_active)


@transaction.atomic
def utm_tags_ensure_defaults(*, actor: User | None = None) -> int:
    """Register the usual values (x, social, …) that are missing. A value someone retired
    stays retired. `actor` None is the system (demo setup). Returns how many were added."""
    if actor is not None:
        require(
            perms.can_manage_utm_registry(actor),
            "Only department leads and admins change the UTM registry.",
        )
    existing = set(UtmTag.objects.values_list("parameter", "value"))
    added = 0
    for parameter, value, description in DEFAULT_UTM_TAGS:
        if (parameter, value) in existing:
            continue
        tag = UtmTag.objects.create(
            parameter=parameter, value=value, description=description, created_by=actor
        )
        audit_saved(actor=actor, instance=tag)
        added += 1
    return added


# --- Campaigns ------------------------------------------------------------------------


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _default_utm_campaign(name: str, *, exclude_pk: int | None) -> str:
    """A slug of the name, with -2, -3… when another campaign has it already."""
    base = slugify(name).replace("_", "-").strip("-")[:90] or "campaign"
    value, n = base, 2
    taken = Campaign.objects.exclude(pk=exclude_pk)
    while taken.filter(utm_campaign=value).exists():
        value, n = f"{base}-{n}", n + 1
    return value


def _check_utm_campaign(errors: Errors, value: str, *, exclude_pk: int | None) -> None:
    try:
        validate_utm_value(value)
    except ValidationError as exc:
        errors.setdefault("utm_campaign", []).extend(exc.messages)
        return
    if Campaign.objects.exclude(pk=exclude_pk).filter(utm_campaign=value).exists():
        _add(errors, "utm_campaign", f"Another campaign is tagged “{value}”; choose another.")
    tag = UtmTag.objects.filter(parameter=UtmTag.Parameter.CAMPAIGN, value=value).first()
    if tag is not None and not tag.is_active:
        _add(errors, "utm_campaign", f"“{value}” was retired from the UTM registry.")


def _check_goals(errors: Errors, goals: Iterable[Goal]) -> None:
    for goal in goals:
        if goal.status != Goal.Status.ACTIVE:
            _add(
                errors,
                "goals",
                f"“{goal.title}” is {goal.get_status_display().lower()}: "
                "link a campaign to active goals only.",
            )


def _validate(
    campaign: Campaign, errors: Errors, *, goals: list[Goal] | None, changed: set[str] | None
) -> None:
    """Field errors for everything wrong with `campaign`, all at once. `changed` None is
    a new campaign; otherwise registry checks apply only to the UTM values that changed
    (a retired value the campaign already has does not block other edits)."""
    for field in ("budget", "spend"):
        value = getattr(campaign, field)
        if value is not None and Decimal(value) < 0:
            _add(errors, field, "Cannot be negative.")
    for field in (UtmTag.Parameter.SOURCE, UtmTag.Parameter.MEDIUM):
        if changed is None or field in changed:
            value = getattr(campaign, field)
            if not value:
                _add(errors, field, "Pick a value from the UTM registry.")
            for problem in utm_value_errors(parameter=field, value=value):
                _add(errors, field, problem)
    if changed is None or "utm_campaign" in changed:
        _check_utm_campaign(errors, campaign.utm_campaign, exclude_pk=campaign.pk)
    if goals is not None:
        _check_goals(errors, goals)
    try:
        campaign.full_clean(exclude=set(errors) | {"goals"})
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _register_utm_campaign(*, actor: User, campaign: Campaign) -> None:
    """The campaign's own tag joins the registry, so links and reports name it alike."""
    tag, created = UtmTag.objects.get_or_create(
        parameter=UtmTag.Parameter.CAMPAIGN,
        value=campaign.utm_campaign,
        defaults={"description": campaign.name[:200], "created_by": actor},
    )
    if created:
        audit_saved(actor=actor, instance=tag, department=campaign.department)


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    department: Department,
    name: str,
    objective: str,
    period_start: date,
    period_end: date,
    goals: Iterable[Goal] = (),
    description: str = "",
    status: str = Campaign.Status.PLANNED,
    budget: Decimal = Decimal("0"),
    spend: Decimal = Decimal("0"),
    utm_source: str = "x",
    utm_medium: str = "social",
    utm_campaign: str = "",
) -> Campaign:
    """A new campaign of `department`. `utm_campaign` left empty is made from the name
    (unique among campaigns); source and medium must be active registry values."""
    require(
        perms.can_edit_campaign(actor, department),
        "Only this department's team can start its campaigns.",
    )
    goals = list(goals or [])
    name = (name or "").strip()
    utm_campaign = (utm_campaign or "").strip() or _default_utm_campaign(name, exclude_pk=None)
    campaign = Campaign(
        department=department,
        name=name,
        objective=objective,
        description=description,
        period_start=period_start,
        period_end=period_end,
        status=status,
        budget=budget if budget is not None else Decimal("0"),
        spend=spend if spend is not None else Decimal("0"),
        utm_source=utm_source,
        utm_medium=utm_medium,
        utm_campaign=utm_campaign,
        created_by=actor,
    )
    _validate(campaign, {}, goals=goals, changed=None)
    campaign.save()
    _spend_mark(campaign)
    campaign.goals.set(goals)
    _register_utm_campaign(actor=actor, campaign=campaign)
    audit_saved(actor=actor, instance=campaign, department=department)
    return campaign


def _spend_mark(spread: Campaign | tuple[Decimal, date, date]) -> None:
    """Mark the days a campaign's spend is spread over (metrics.facts.spend), if any."""
    if isinstance(spread, Campaign):
        spread = (spread.spend, spread.period_start, spread.period_end)
    spend, first, last = spread
    if spend and first and last and first <= last:
        mark_all(Family.SPEND, first, last)


# What people set on a campaign besides its department, in the order forms and the API show it.
CAMPAIGN_FIELDS = (
    "name",
    "objective",
    "goals",
    "description",
    "period_start",
    "period_end",
    "status",
    "budget",
    "spend",
    "utm_source",
    "utm_medium",
    "utm_campaign",
)


def _goal_ids(campaign: Campaign) -> list[int]:
    return sorted(campaign.goals.values_list("pk", flat=True))


def _audit_update(*, actor: User, campaign: Campaign, before: dict[str, Any]) -> None:
    """audit_saved() sees concrete fields only; linked goals are added to its changes."""
    goals_before, goals_after = before.pop("goals"), _goal_ids(campaign)
    event = audit_saved(
        actor=actor, instance=campaign, before=before, department=campaign.department
    )
    if goals_before == goals_after:
        return
    if event is None:
        event = AuditEvent(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            object_type=campaign._meta.label_lower,
            object_id=str(campaign.pk),
            object_repr=str(campaign)[:200],
            department=campaign.department,
            changes={},
        )
    event.changes["goals"] = [goals_before, goals_after]
    event.save()


@transaction.atomic
def campaign_update(*, actor: User, campaign: Campaign, **fields: Any) -> Campaign:
    """Change any of CAMPAIGN_FIELDS (the department stays). An emptied utm_campaign is
    made from the name again."""
    fields_check(fields, CAMPAIGN_FIELDS)
    require(
        perms.can_edit_campaign(actor, campaign.department),
        "Only this department's team can change its campaigns.",
    )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = {**snapshot(campaign), "goals": _goal_ids(campaign)}
    spread_before = (campaign.spend, campaign.period_start, campaign.period_end)
    goals = fields.pop("goals", None)
    goals = list(goals) if goals is not None else None
    for name, value in fields.items():
        if name in {"budget", "spend"} and value is None:
            value = Decimal("0")
        if isinstance(value, str) and name != "description":
            value = value.strip()
        setattr(campaign, name, value)
    if "utm_campaign" in fields and not campaign.utm_campaign:
        campaign.utm_campaign = _default_utm_campaign(campaign.name, exclude_pk=campaign.pk)
    # Registry checks apply to the UTM values that changed only (snapshot() holds them
    # as the same strings the fields have).
    changed = {name for name in fields if name.startswith("utm_")}
    changed = {name for name in changed if before.get(name) != getattr(campaign, name)}
    # Only goals linked now must be active: one achieved since does not block edits.
    added = [g for g in goals if g.pk not in before["goals"]] if goals is not None else None
    _validate(campaign, {}, goals=added, changed=changed)
    campaign.save()
    if (campaign.spend, campaign.period_start, campaign.period_end) != spread_before:
        # Its spend is spread over its days: the old days lose their share, the new gain.
        _spend_mark(spread_before)
        _spend_mark(campaign)
    if goals is not None:
        campaign.goals.set(goals)
    if "utm_campaign" in changed:
        _register_utm_campaign(actor=actor, campaign=campaign)
    _audit_update(actor=actor, campaign=campaign, before=before)
    return campaign


@transaction.atomic
def campaign_set_status(*, actor: User, campaign: Campaign, status: str) -> Campaign:
    """Planned → running → finished (or back: a paused campaign is planned again)."""
    require(
        perms.can_edit_campaign(actor, campaign.department),
        "Only this department's team can change its campaigns.",
    )
    if status not in Campaign.Status.values:
        raise ValidationError({"status": f"“{status}” is not a campaign status."})
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = snapshot(campaign)
    campaign.status = status
    instance_save(
        actor=actor,
        instance=campaign,
        before=before,
        department=campaign.department,
        validate=False,
        update_fields=["status", "updated_at"],
    )
    return campaign
