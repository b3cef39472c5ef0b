"""Demand sets and networks keep the name of the file they came from, never the folders it lay
in on the uploader's computer: paths recorded before are cut to the file's name."""

import re

from django.db import migrations


def _name(value: str) -> str:
    return re.split(r"[\\/]", value or "")[-1].strip()[:200]


def cut_paths(apps, schema_editor):
    DemandSet = apps.get_model("planning", "DemandSet")
    Network = apps.get_model("planning", "Network")
    for demand in DemandSet.objects.filter(params__has_key="file").only("pk", "params"):
        name = _name(str(demand.params.get("file") or ""))
        if name != demand.params.get("file"):
            DemandSet.objects.filter(pk=demand.pk).update(params={**demand.params, "file": name})
    for network in Network.objects.exclude(source_file="").only("pk", "source_file"):
        name = _name(network.source_file)
        if name != network.source_file:
            Network.objects.filter(pk=network.pk).update(source_file=name)


class Migration(migrations.Migration):

    dependencies = [
        ("planning", "0004_scenario_off_network"),
    ]

    operations = [migrations.RunPython(cut_paths, migrations.RunPython.noop)]
