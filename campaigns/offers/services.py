"""Use cases for offers (coupons) and the conversions a shop, a CRM or the team reports.

Offers: one transaction each, rights checked, full_clean(), audited. Conversions are
idempotent on the shop's external id and on the API's Idempotency-Key, and attributed
to a campaign by the click id first, then by the coupon code, else left unattributed."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Click, Conversion, Offer
from campaigns.offers import permissions as perms
from departments.selectors import organisation_get
from socialops.marks import Family, mark
from socialops.models import User
from socialops.permissions import require
from socialops.services import audit_saved, fields_check, instance_save, snapshot
from socialops.webhooks.services import event_emit

# What a conversion's webhook event carries: the conversion as the API shows it.
CONVERSION_API = "campaigns.offers.api.ConversionSerializer"
# Letters, digits, - and _: what a customer can type at a checkout without surprises.
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
# The click id the redirect appends as sc_cid: uuid4().hex.
CLICK_ID_RE = re.compile(r"^[0-9a-f]{32}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Clocks of shops and CRMs drift; a conversion a few minutes "ahead" is not a typo.
FUTURE_SKEW = dt.timedelta(minutes=5)
# How long a conversion's unknown click id is looked for again (clicks wait in the
# Redis buffer for seconds, at worst minutes; an id that never arrives is not ours).
PENDING_WINDOW = dt.timedelta(days=7)


def _org_zone() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(organisation_get().time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _merge_clean(instance: Any, errors: dict[str, list], **kwargs: Any) -> None:
    """full_clean(), its field errors added to `errors` (ours come first per field)."""
    try:
        instance.full_clean(**kwargs)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            if name not in errors:
                errors[name] = messages


# --- Offers ---------------------------------------------------------------------------


def _offer_check(offer: Offer) -> None:
    """Field errors for everything the database would refuse, named by field (the
    constraints would only say __all__), plus the code's shape and percent ≤ 100."""
    errors: dict[str, list] = {}
    offer.code = (offer.code or "").strip()
    if offer.code and not CODE_RE.match(offer.code):
        errors["code"] = ["Use letters, digits, - and _ only (for example SPRING20)."]
    elif offer.code:
        taken = Offer.objects.filter(code__iexact=offer.code).exclude(pk=offer.pk).first()
        if taken is not None:
            errors["code"] = [f"The code {taken.code} is already used by another offer."]
    if offer.valid_from and offer.valid_until and offer.valid_until < offer.valid_from:
        errors["valid_until"] = ["An offer cannot end before it starts."]
    if offer.value is not None:
        if offer.value < 0:
            errors["value"] = ["The value cannot be negative."]
        elif offer.value_kind == Offer.ValueKind.PERCENT and offer.value > 100:
            errors["value"] = ["A percentage is at most 100."]
    _merge_clean(offer, errors, validate_constraints=False)
    if errors:
        raise ValidationError(errors)


def _offer_save(*, actor: User, offer: Offer, before: dict[str, Any] | None) -> None:
    _offer_check(offer)
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError:
        # Two offers with one code raced past the check; the constraint kept the first.
        if Offer.objects.filter(code__iexact=offer.code).exclude(pk=offer.pk).exists():
            raise ValidationError(
                {"code": [f"The code {offer.code} is already used by another offer."]}
            ) from None
        raise
    audit_saved(actor=actor, instance=offer, before=before, department=offer.campaign.department)


@transaction.atomic
def offer_create(
    *,
    actor: User,
    campaign: Campaign,
    code: str,
    description: str,
    valid_from: dt.date,
    valid_until: dt.date,
    value_kind: str = Offer.ValueKind.AMOUNT,
    value: Decimal = Decimal("0"),
) -> Offer:
    require(perms.can_edit_offer(actor, campaign), "Only this campaign's department can do that.")
    offer = Offer(
        campaign=campaign,
        code=code,
        description=description,
        valid_from=valid_from,
        valid_until=valid_until,
        value_kind=value_kind,
        value=value,
        created_by=actor,
    )
    _offer_save(actor=actor, offer=offer, before=None)
    return offer


OFFER_FIELDS = {
    "campaign",
    "code",
    "description",
    "valid_from",
    "valid_until",
    "value_kind",
    "value",
}


@transaction.atomic
def offer_update(*, actor: User, offer: Offer, **fields: Any) -> Offer:
    """Change an offer. Moving it to another campaign needs rights on both."""
    require(
        perms.can_edit_offer(actor, offer.campaign), "Only this campaign's department can do that."
    )
    fields_check(fields, OFFER_FIELDS)
    offer = (
        Offer.objects.select_for_update().select_related("campaign__department").get(pk=offer.pk)
    )
    before = snapshot(offer)
    for name, value in fields.items():
        setattr(offer, name, value)
    if "campaign" in fields:
        require(
            perms.can_edit_offer(actor, offer.campaign),
            "You cannot move the offer to another department's campaign.",
        )
    _offer_save(actor=actor, offer=offer, before=before)
    return offer


# --- Conversions ----------------------------------------------------------------------


def _existing_conversion(*, external_id: str | None, idempotency_key: str | None):
    """The conversion a repeated request refers to: by external id first (the shop's own
    identity of the sale), then by idempotency key."""
    if external_id is None and idempotency_key is None:
        return None
    condition = Q()
    if external_id is not None:
        condition |= Q(external_id=external_id)
    if idempotency_key is not None:
        condition |= Q(idempotency_key=idempotency_key)
    found = list(Conversion.objects.filter(condition))
    for conversion in found:
        if external_id is not None and conversion.external_id == external_id:
            return conversion
    return found[0] if found else None


def _click_for(click_id: str) -> Click | None:
    return Click.objects.select_related("link").filter(click_id=click_id).first()


def _conversion_build(
    *,
    actor: User,
    kind: str,
    value: Decimal | None,
    currency: str | None,
    occurred_at: dt.datetime | None,
    is_new_customer: bool,
    click_id: str,
    coupon_code: str,
    external_id: str | None,
    idempotency_key: str | None,
    channel: str,
) -> Conversion:
    """Validate and attribute a new conversion (not saved). Every problem is a field
    error, all reported at once."""
    errors: dict[str, list] = {}
    zone = _org_zone()

    currency = (currency or "").strip().upper() or organisation_get().currency
    if not CURRENCY_RE.match(currency):
        errors["currency"] = ["Use a three-letter ISO 4217 code, e.g. EUR."]
    if value is not None and value < 0:
        errors["value"] = ["A conversion's value cannot be negative."]
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at, zone)
        if occurred_at > timezone.now() + FUTURE_SKEW:
            errors["occurred_at"] = [
                "This time is in the future; a conversion is reported once it has happened."
            ]

    click_id = (click_id or "").strip().lower()
    if click_id and not CLICK_ID_RE.match(click_id):
        errors["click_id"] = [
            "Not a click id of our short links (the sc_cid parameter: 32 hexadecimal characters)."
        ]

    offer = None
    coupon_code = (coupon_code or "").strip()
    if coupon_code:
        offer = (
            Offer.objects.select_related("campaign__department")
            .filter(code__iexact=coupon_code)
            .first()
        )
        if offer is None:
            errors["coupon_code"] = [f"No offer has the code {coupon_code}."]
        elif occurred_at is not None and "occurred_at" not in errors:
            day = timezone.localtime(occurred_at, zone).date()
            if not offer.valid_from <= day <= offer.valid_until:
                errors["coupon_code"] = [
                    f"The offer {offer.code} is valid from {offer.valid_from:%d %b %Y} to "
                    f"{offer.valid_until:%d %b %Y}; this conversion happened on {day:%d %b %Y}."
                ]

    conversion = Conversion(
        kind=kind,
        value=value,
        currency=currency,
        occurred_at=occurred_at,
        is_new_customer=is_new_customer,
        click_id=click_id,
        coupon_code=coupon_code,
        offer=offer,
        external_id=external_id,
        idempotency_key=idempotency_key,
        channel=channel,
        recorded_by=actor,
    )
    # Uniqueness is the database's job: a duplicate that raced past the lookup must be
    # an IntegrityError (answered with the existing row), not a validation error.
    _merge_clean(conversion, errors, validate_unique=False)
    if errors:
        raise ValidationError(errors)
    _attribute(conversion, click=_click_for(click_id) if click_id else None)
    return conversion


def _attribute(conversion: Conversion, *, click: Click | None) -> None:
    """Click id first, then coupon, else none. A coupon's offer is kept either way: the
    coupon was redeemed, whichever campaign gets the credit."""
    if click is not None:
        conversion.link = click.link
        conversion.campaign_id = click.link.campaign_id
        conversion.attribution = Conversion.Attribution.CLICK
    elif conversion.offer is not None:
        conversion.link = None
        conversion.campaign_id = conversion.offer.campaign_id
        conversion.attribution = Conversion.Attribution.COUPON
    else:
        conversion.link = None
        conversion.campaign = None
        conversion.attribution = Conversion.Attribution.NONE


def conversion_record(
    *,
    actor: User,
    kind: str,
    value: Decimal,
    currency: str | None,
    occurred_at: dt.datetime,
    is_new_customer: bool,
    click_id: str = "",
    coupon_code: str = "",
    external_id: str | None = None,
    idempotency_key: str | None = None,
    channel: str,
) -> Conversion:
    """Record a conversion once, however often it is reported.

    1. The actor must be an admin or a lead or member of some department.
    2. A conversion with the same external id (or, failing that, the same idempotency
       key) is returned unchanged: nothing is validated, written or audited again.
    3. The input is validated (field errors, all at once): currency (blank: the
       organisation's), value ≥ 0, occurred_at not in the future (FUTURE_SKEW allowed),
       a well-formed click id, a known coupon code valid on the conversion's day.
    4. Attribution: a click id found among the clicks credits its link's campaign; else
       a coupon credits its offer's campaign; else unattributed. A well-formed click id
       not stored yet (still in the click buffer) is kept: conversions_attribute_pending()
       credits it once the click is flushed.
    5. The row and its audit entry are written in one transaction. Two identical
       requests racing past step 2 both reach the unique constraints; the loser's
       IntegrityError is answered with the winner's row.

    The returned conversion carries `was_created`: False when it already existed (the
    API then answers 200 instead of 201)."""
    require(perms.can_record_conversion(actor), "You cannot record conversions.")
    external_id = (external_id or "").strip() or None
    idempotency_key = (idempotency_key or "").strip() or None
    existing = _existing_conversion(external_id=external_id, idempotency_key=idempotency_key)
    if existing is not None:
        existing.was_created = False
        return existing
    conversion = _conversion_build(
        actor=actor,
        kind=kind,
        value=value,
        currency=currency,
        occurred_at=occurred_at,
        is_new_customer=is_new_customer,
        click_id=click_id,
        coupon_code=coupon_code,
        external_id=external_id,
        idempotency_key=idempotency_key,
        channel=channel,
    )
    try:
        with transaction.atomic():
            # _conversion_build() validated it; the unique keys are left to the database.
            instance_save(
                actor=actor,
                instance=conversion,
                department=_department_of(conversion),
                validate=False,
            )
            mark(Family.CONVERSIONS, [conversion.occurred_at])
            event_emit("conversion.created", instance=conversion, serializer=CONVERSION_API)
    except IntegrityError:
        existing = _existing_conversion(external_id=external_id, idempotency_key=idempotency_key)
        if existing is None:
            raise
        existing.was_created = False
        return existing
    conversion.was_created = True
    return conversion


def _department_of(conversion: Conversion):
    if conversion.campaign_id is None:
        return None
    return Campaign.objects.only("department").get(pk=conversion.campaign_id).department


def conversions_attribute_pending(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Credit conversions whose click id was not stored when they arrived (the click was
    still in the Redis buffer) now that the click is there. Looks back PENDING_WINDOW;
    safe to run twice or concurrently (rows are locked and re-checked). Call it after a
    click flush. Returns how many conversions were attributed to their click."""
    cutoff = (now or timezone.now()) - PENDING_WINDOW
    pending = (
        Conversion.objects.filter(link__isnull=True, created_at__gte=cutoff)
        .exclude(click_id="")
        .order_by("pk")
    )
    done = 0
    last_pk = 0
    while True:
        chunk = list(pending.filter(pk__gt=last_pk).values_list("pk", "click_id")[:batch])
        if not chunk:
            return done
        last_pk = chunk[-1][0]
        clicks = {
            click.click_id: click
            for click in Click.objects.select_related("link").filter(
                click_id__in={click_id for _, click_id in chunk}
            )
        }
        if not clicks:
            continue
        with transaction.atomic():
            rows = pending.select_for_update().filter(
                pk__in=[pk for pk, click_id in chunk if click_id in clicks]
            )
            moments = []
            for conversion in rows:
                before = snapshot(conversion)
                _attribute(conversion, click=clicks[conversion.click_id])
                instance_save(
                    actor=None,
                    instance=conversion,
                    before=before,
                    department=_department_of(conversion),
                    validate=False,
                    update_fields=["link", "campaign", "attribution"],
                )
                moments.append(conversion.occurred_at)
                done += 1
            mark(Family.CONVERSIONS, moments)
