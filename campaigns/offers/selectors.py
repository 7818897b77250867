"""Reads for offers and conversions, narrowed to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, Conversion, Offer
from campaigns.offers import permissions as perms
from campaigns.selectors import campaign_choices
from departments.permissions import EDITOR_ROLES
from departments.selectors import organisation_get
from socialops.models import User

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def offer_list(*, user: User) -> QuerySet[Offer]:
    """Offers with their redemptions (conversions that used the code), new customers and
    revenue. Revenue adds up conversions in the organisation's currency only — amounts in
    other currencies are counted apart (`other_currency`), never summed with it."""
    if not perms.can_read_offers(user):
        return Offer.objects.none()
    currency = organisation_get().currency
    return Offer.objects.select_related("campaign__department", "created_by").annotate(
        redemptions=Count("conversions"),
        new_customers=Count("conversions", filter=Q(conversions__is_new_customer=True)),
        revenue=Coalesce(
            Sum("conversions__value", filter=Q(conversions__currency=currency)),
            Value(Decimal("0")),
            output_field=_MONEY,
        ),
        other_currency=Count("conversions", filter=~Q(conversions__currency=currency)),
    )


def campaigns_editable_by(*, user: User) -> QuerySet[Campaign]:
    """Campaigns whose offers the user may create: their departments' (all for admins)."""
    qs = campaign_choices(user=user)
    if user.is_authenticated and user.is_org_admin:
        return qs
    return qs.filter(
        department__memberships__user=user, department__memberships__role__in=EDITOR_ROLES
    ).distinct()


def conversion_list(*, user: User) -> QuerySet[Conversion]:
    if not perms.can_read_offers(user):
        return Conversion.objects.none()
    return Conversion.objects.select_related(
        "campaign__department", "offer", "link", "recorded_by"
    ).order_by("-occurred_at", "-pk")


@dataclass
class ConversionTotals:
    count: int = 0
    new_customers: int = 0
    # (currency, total) pairs, the organisation's currency first: amounts in different
    # currencies are never added together.
    values: list[tuple[str, Decimal]] = field(default_factory=list)
    by_attribution: dict[str, int] = field(default_factory=dict)


def conversion_totals(*, conversions: QuerySet[Conversion]) -> ConversionTotals:
    """Totals of an already filtered list, in two grouped queries."""
    base = conversions.order_by()
    totals = ConversionTotals()
    main = organisation_get().currency
    for row in base.values("currency").annotate(
        n=Count("pk"), new=Count("pk", filter=Q(is_new_customer=True)), total=Sum("value")
    ):
        totals.count += row["n"]
        totals.new_customers += row["new"]
        totals.values.append((row["currency"], row["total"] or Decimal("0")))
    totals.values.sort(key=lambda pair: (pair[0] != main, pair[0]))
    labels = dict(Conversion.Attribution.choices)
    counts = dict(base.values_list("attribution").annotate(n=Count("pk")))
    totals.by_attribution = {
        str(labels[key]): counts.get(key, 0) for key in Conversion.Attribution.values
    }
    return totals
