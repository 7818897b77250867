from django.db import migrations

STAGES = [
    ("identified", "Identified"),
    ("following", "Following"),
    ("engaged", "Engaged"),
    ("conversation", "Conversation"),
    ("meeting", "Meeting"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
]


def add_default_stages(apps, schema_editor):
    Stage = apps.get_model("prospects", "Stage")
    if Stage.objects.exists():
        return
    for position, (key, name) in enumerate(STAGES, start=1):
        Stage.objects.create(key=key, name=name, position=position)
    Stage.objects.create(key="lost", name="Lost", position=99, is_lost=True)


class Migration(migrations.Migration):
    dependencies = [("prospects", "0001_initial")]

    operations = [migrations.RunPython(add_default_stages, migrations.RunPython.noop)]
