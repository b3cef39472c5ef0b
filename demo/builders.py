"""The steps that build the demo city, in order. Each module appends its own step here.

A step is ``"module.path:function"`` taking the ``DemoContext``; later steps see what the
earlier ones made (``ctx.communities``, ``ctx.organisations``, ...).
"""

import random

from django.db import transaction
from django.utils.module_loading import import_string

from core.statistics import statistics_refresh
from org.models import Division

from .context import DemoContext

STEPS = [
    "org.demo.build_tree",
    "org.demo.build_organisations",
    "accounts.demo.build_users",
    "registry.demo.build_register",
    "scheduling.demo.build_schedule",
    "funds.demo.build_funds",
    "operations.demo.build_operations",
    "planning.demo.build_life_circle",
    "neighbourhood.demo.build_neighbourhood",
    "volunteers.demo.build_volunteers",
    "registry.demo.build_online_services",
    "registry.demo.build_signs_and_suggestions",
    "governance.demo.build_governance",
    "supervision.demo.build_supervision",
    "scheduling.demo.build_open_resources",
]


def demo_city_exists() -> bool:
    return Division.objects.exists()


def build_demo_city(*, seed: int = 2026, verbose: bool = True) -> DemoContext:
    from core import listcache

    ctx = DemoContext(seed=seed, rng=random.Random(seed), verbose=verbose)
    with listcache.paused(), transaction.atomic():  # one new generation of each kept answer, at the end
        for step in STEPS:
            ctx.say(f"step {step}")
            import_string(step.replace(":", "."))(ctx)
    statistics_refresh()  # the tables were filled in bulk: let the query planner know their sizes
    ctx.say("demo city ready")
    return ctx
