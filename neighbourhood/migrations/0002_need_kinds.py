"""The catalogue of kinds of need (neighbourhood/catalogue.py), written into NeedKind."""

from django.db import migrations


def load(apps, schema_editor):
    from neighbourhood.catalogue import need_kinds_sync

    need_kinds_sync(apps.get_model("neighbourhood", "NeedKind"))


class Migration(migrations.Migration):
    dependencies = [("neighbourhood", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
