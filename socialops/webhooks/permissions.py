"""Who may manage webhooks: organisation admins only (an endpoint receives the whole
organisation's events)."""

from __future__ import annotations

from socialops.models import User


def can_manage_webhooks(user: User) -> bool:
    return bool(user.is_authenticated and user.is_org_admin)
