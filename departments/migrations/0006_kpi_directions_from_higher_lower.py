"""KPIs said "higher" or "lower is better"; they now say how they are judged. A total that
adds up over the period and should grow is to be reached (pro rata); a level or a ratio
stays above its target, and whatever was lower-is-better stays below. Followers are
counted per X account and for the organisation, never per department, so a followers KPI
of a department becomes the organisation's.

The metric sets are copied here, not imported: a migration must keep meaning what it
meant when it was written."""

from django.db import migrations

NOT_TOTALS = {
    "followers",
    "conversion_rate",
    "median_first_response_minutes",
    "positive_sentiment_share",
    "cost_per_conversion",
    "roi",
}
# Custom KPIs in these units are levels or ratios too.
LEVEL_UNITS = {"percent", "ratio", "minutes"}


def forwards(apps, schema_editor):
    KPI = apps.get_model("departments", "KPI")
    for kpi in KPI.objects.filter(direction__in=["higher", "lower"]).iterator():
        total = kpi.metric not in NOT_TOTALS and not (
            kpi.metric == "custom" and kpi.unit in LEVEL_UNITS
        )
        if kpi.direction == "lower":
            kpi.direction = "below"
        elif total and kpi.target > 0:
            kpi.direction = "reach"
        else:
            kpi.direction = "above"
        if kpi.metric == "followers" and kpi.scope == "department":
            kpi.scope = "organisation"
        kpi.save(update_fields=["direction", "scope"])


def backwards(apps, schema_editor):
    KPI = apps.get_model("departments", "KPI")
    KPI.objects.filter(direction="below").update(direction="lower")
    KPI.objects.exclude(direction="lower").update(direction="higher")
    KPI.objects.exclude(scope="department").update(scope="department", account=None, campaign=None)


class Migration(migrations.Migration):
    dependencies = [("departments", "0005_kpi_scope_direction_rag")]

    operations = [migrations.RunPython(forwards, backwards)]
