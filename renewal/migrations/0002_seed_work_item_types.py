from django.db import migrations

from renewal.catalog import seed_work_item_types


def seed(apps, schema_editor):
    seed_work_item_types(apps.get_model("renewal", "WorkItemType"))


class Migration(migrations.Migration):
    dependencies = [("renewal", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
