"""Named, scoped, revocable API tokens. Tokens made before scopes existed keep working
with all of their user's rights ({"*": "write"}) until they are replaced."""

from django.db import migrations, models


def all_rights(apps, schema_editor):
    ApiToken = apps.get_model("socialops", "ApiToken")
    ApiToken.objects.all().update(scopes={"*": "write"})


class Migration(migrations.Migration):
    dependencies = [
        ("socialops", "0007_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scopes",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(all_rights, migrations.RunPython.noop),
    ]
