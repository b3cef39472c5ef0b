"""Saved solutions name how they were found by a stable code (``planning.siting.METHODS``)
instead of the engine's former English phrases, and the p-median's unit is a code too."""

from django.db import migrations

FORMER = {
    "exact enumeration": "enumeration",
    "greedy+swap": "greedy_swap",
    "greedy+swap, LP bound": "greedy_swap_lp",
    "greedy+swap/milp": "greedy_swap_milp",
    "greedy+swap, LP bound/milp": "greedy_swap_milp",
    "greedy/milp": "greedy_milp",
}


def forwards(apps, schema_editor):
    Scenario = apps.get_model("planning", "Scenario")
    for scenario in Scenario.objects.exclude(solution={}).only("pk", "solution").iterator():
        solution = dict(scenario.solution)
        method = FORMER.get(solution.get("method"), solution.get("method"))
        unit = "person_metres" if solution.get("unit") == "person-metres" else solution.get("unit")
        if method != solution.get("method") or unit != solution.get("unit"):
            solution.update({k: v for k, v in (("method", method), ("unit", unit)) if v is not None})
            Scenario.objects.filter(pk=scenario.pk).update(solution=solution)


class Migration(migrations.Migration):
    dependencies = [("planning", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
