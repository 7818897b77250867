"""Audit rows written before snapshot() knew about secrets hold X accounts' access and
refresh tokens in clear: replace each with the marker the audit writes now."""

from django.db import migrations

SECRET_FIELDS = ("access_token", "refresh_token")


def _scrub(value):
    if isinstance(value, list):  # an update: [before, after]
        return [_scrub(item) for item in value]
    return "(secret)" if value else ""


def scrub(apps, schema_editor):
    AuditEvent = apps.get_model("socialops", "AuditEvent")
    for event in AuditEvent.objects.filter(object_type="listening.xaccount").iterator():
        changes = event.changes or {}
        if any(field in changes for field in SECRET_FIELDS):
            for field in SECRET_FIELDS:
                if field in changes:
                    changes[field] = _scrub(changes[field])
            event.changes = changes
            event.save(update_fields=["changes"])


class Migration(migrations.Migration):
    dependencies = [("socialops", "0004_audit_lockout")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
