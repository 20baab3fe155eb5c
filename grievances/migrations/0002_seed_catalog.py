from django.db import migrations

from grievances.catalog import seed_catalog


def seed(apps, schema_editor):
    seed_catalog(apps.get_model("grievances", "Category"),
                 apps.get_model("grievances", "DeadlineRule"))


class Migration(migrations.Migration):
    dependencies = [("grievances", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
