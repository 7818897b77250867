from datetime import UTC

from django.db import migrations, models


def mark_click_days(apps, schema_editor):
    """The new department × post cells exist only for days recomputed from now on: mark
    every day with clicks, and the next recompute (metrics.recompute_marked, every few
    minutes) fills them in."""
    Click = apps.get_model("campaigns", "Click")
    DirtyDay = apps.get_model("socialops", "DirtyDay")
    using = schema_editor.connection.alias
    clicks = Click.objects.using(using).order_by()
    days = {moment.date() for moment in clicks.datetimes("clicked_at", "day", tzinfo=UTC)}
    for day in days:
        mark, created = DirtyDay.objects.using(using).get_or_create(
            family="clicks", day=day, defaults={"version": 1}
        )
        if not created:
            DirtyDay.objects.using(using).filter(pk=mark.pk).update(version=models.F("version") + 1)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0004_rollup_dim_metric_day"),
        ("socialops", "0006_dirty_day"),
        ("campaigns", "0006_rollup_time_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dailyrollup",
            name="dim",
            field=models.CharField(
                choices=[
                    ("org", "Organisation"),
                    ("department", "Department"),
                    ("account", "X account"),
                    ("campaign", "Campaign"),
                    ("link", "Tracked link"),
                    ("source", "Source"),
                    ("activity", "Activity kind"),
                    ("dep_activity", "Department × activity kind"),
                    ("dep_post", "Department × post"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="dailyrollup",
            index=models.Index(
                condition=models.Q(("dim", "dep_post")),
                fields=["metric", "day", "dim_id"],
                include=("count",),
                name="rollup_dep_post",
            ),
        ),
        migrations.RunPython(mark_click_days, migrations.RunPython.noop),
    ]
