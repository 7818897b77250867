"""Project-wide services: the audit trail (and the one validate-save-audit helper every app's
services use) and the heartbeat."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from socialops.fields import EncryptedTextField
from socialops.models import AuditEvent, Heartbeat, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


SECRET = "(secret)"
NEW_SECRET = "(new secret)"


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The concrete field values of a model instance, ready to diff (audit_record() keeps
    its secrets out of what it stores)."""
    return {
        field.attname: _jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if field.attname not in {"created_at", "updated_at"}
    }


def secret_fields(instance: models.Model) -> set[str]:
    """What the audit trail says is set or changed but never shows: fields encrypted at
    rest (an X account's tokens) and those the model names in `audit_secrets` (a calendar
    feed's token, its address's password). The trail is read by more people than may use
    them."""
    encrypted = {
        field.attname
        for field in instance._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    }
    return encrypted | set(getattr(instance, "audit_secrets", ()))


def _masked(value: Any) -> str:
    return SECRET if value else ""


def _masked_change(before: Any, after: Any) -> list[str]:
    return [SECRET, NEW_SECRET] if before and after else [_masked(before), _masked(after)]


def audit_record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    department=None,
    private_to: User | None = None,
    exclude: Collection[str] = (),
) -> AuditEvent | None:
    """Record a change. For updates, store only the fields that changed; none, no row.
    `private_to`: the change is to a private thing, and only this user may read the row.
    `exclude`: fields never stored at all (what a secret is looked up by or derived
    from); secrets themselves are shown as set or changed (secret_fields())."""
    after = snapshot(instance) if action != AuditEvent.Action.DELETE else {}
    if exclude:
        after = {key: value for key, value in after.items() if key not in exclude}
        before = before and {key: value for key, value in before.items() if key not in exclude}
    secrets = secret_fields(instance)
    if action == AuditEvent.Action.UPDATE:
        before = before or {}
        changes = {
            key: _masked_change(before.get(key), value)
            if key in secrets
            else [before.get(key), value]
            for key, value in after.items()
            if before.get(key) != value
        }
        if not changes:
            return None
    else:
        values = after if action == AuditEvent.Action.CREATE else before or {}
        changes = {key: _masked(v) if key in secrets else v for key, v in values.items()}
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk if instance.pk is not None else changes.get("id", "")),
        object_repr=str(instance)[:200],
        department=department,
        changes=changes,
        private_to=private_to,
    )


def fields_check(fields: dict[str, Any], allowed: Collection[str]) -> None:
    """Refuse a keyword an update service does not take: a misspelt field must fail
    loudly, not be ignored."""
    unknown = set(fields).difference(allowed)
    if unknown:
        raise TypeError(f"cannot update {', '.join(sorted(unknown))}")


def audit_saved(
    *,
    actor: User | None,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    department=None,
    private_to: User | None = None,
) -> AuditEvent | None:
    """The audit row for an instance just saved: a create when `before` is None (there was
    nothing before it), else an update holding what changed since `before`."""
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.CREATE if before is None else AuditEvent.Action.UPDATE,
        instance=instance,
        before=before,
        department=department,
        private_to=private_to,
    )


def instance_save(
    *,
    actor: User | None,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    department=None,
    private_to: User | None = None,
    validate: bool = True,
    update_fields: list[str] | None = None,
) -> AuditEvent | None:
    """Validate (full_clean(), unless the caller already did), save and audit one instance:
    a create when `before` is None, else an update against `before` (its snapshot()).
    Call it inside the service's transaction, so a refused save leaves no row behind."""
    if validate:
        instance.full_clean()
    instance.save(update_fields=update_fields)
    return audit_saved(
        actor=actor,
        instance=instance,
        before=before,
        department=department,
        private_to=private_to,
    )


def instance_delete(
    *,
    actor: User | None,
    instance: models.Model,
    department=None,
    private_to: User | None = None,
) -> None:
    """Audit and delete one instance; the row keeps what the instance was."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DELETE,
        instance=instance,
        before=snapshot(instance),
        department=department,
        private_to=private_to,
    )
    instance.delete()


def lockout_record(*, scope: str, username: str, ip_address: str, until: datetime) -> AuditEvent:
    """Record that an account or an address was locked out (sign-in, password reset, API
    tokens) and until when. Tied to the account when one has that username or e-mail."""
    user = None
    if username:
        user = User.objects.filter(
            models.Q(username=username) | models.Q(email__iexact=username)
        ).first()
    return AuditEvent.objects.create(
        actor=None,
        action=AuditEvent.Action.LOCKOUT,
        object_type=User._meta.label_lower if user else "socialops.address",
        object_id=str(user.pk) if user else ip_address,
        object_repr=f"{scope}: {username or ip_address}"[:200],
        changes={
            "scope": scope,
            "username": username,
            "ip_address": ip_address,
            "until": until.isoformat(),
        },
    )


def heartbeat_record(*, name: str, detail: str = "") -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"last_seen": timezone.now(), "detail": detail[:200]}
    )
    return beat
