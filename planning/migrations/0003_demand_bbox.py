"""Demand sets keep the box around their points, so a scenario's page frames its map without
loading the points; the sets already saved get theirs from their files."""

import numpy as np
from django.core.files.storage import default_storage
from django.db import migrations, models


def backfill(apps, schema_editor):
    DemandSet = apps.get_model("planning", "DemandSet")
    for demand in DemandSet.objects.filter(bbox=[]).only("pk", "file").iterator():
        if not demand.file or not default_storage.exists(demand.file):
            continue  # the page falls back to the network's box
        with default_storage.open(demand.file, "rb") as stream, np.load(stream, allow_pickle=False) as data:
            lon, lat = data["lon"], data["lat"]
            if not len(lon):
                continue
            bbox = [round(float(v), 6) for v in (lon.min(), lat.min(), lon.max(), lat.max())]
        DemandSet.objects.filter(pk=demand.pk).update(bbox=bbox)


class Migration(migrations.Migration):
    dependencies = [("planning", "0002_solution_method_codes")]

    operations = [
        migrations.AddField(
            model_name="demandset",
            name="bbox",
            field=models.JSONField(blank=True, default=list, verbose_name="bounding box"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
