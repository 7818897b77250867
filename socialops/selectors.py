"""Project-wide reads: the audit trail, narrowed to what the user may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from socialops.models import AuditEvent, User


def audit_event_list(*, user: User) -> QuerySet[AuditEvent]:
    """The audit rows the user may read: all but those about other people's private things
    (a row with `private_to` is that user's alone; organisation admins included)."""
    if not user.is_authenticated:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(Q(private_to__isnull=True) | Q(private_to=user))
        .select_related("actor", "department")
        .order_by("-at", "-id")
    )
