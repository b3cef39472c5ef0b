"""Scenarios saved at the same moment never share a name (PostgreSQL, real threads)."""

import pytest

from planning import services
from planning.models import Scenario
from tests.concurrency import race, requires_postgresql

from .conftest import ACTOR

pytestmark = requires_postgresql

PLANNERS = 8


@pytest.mark.django_db(transaction=True)
def test_unnamed_scenarios_saved_at_once_get_different_names(grid):
    def create():
        return services.scenario_create(actor=ACTOR, demand=grid.demand, name="", facility_kind="elderly_canteen").name

    outcomes = race([create] * PLANNERS)
    names = sorted(Scenario.objects.values_list("name", flat=True))
    assert len(names) == PLANNERS and len(set(names)) == PLANNERS, outcomes
    assert sorted(outcomes) == names  # every planner got their scenario, under a name of its own
    assert names == sorted(f"老年食堂（15分钟） · 现状（{n}）" for n in range(1, PLANNERS + 1))
