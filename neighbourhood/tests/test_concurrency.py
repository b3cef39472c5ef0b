"""No activity is ever overbooked, however many residents register at once (PostgreSQL, real threads)."""


import pytest

from tests.concurrency import race, requires_postgresql

from .. import services
from ..models import Activity, Registration
from .conftest import publish, residents

pytestmark = requires_postgresql

PEOPLE, PLACES = 60, 15


@pytest.mark.django_db(transaction=True)
def test_sixty_residents_racing_for_fifteen_places_get_exactly_fifteen(world):
    community = world.node("甲市一区一街一社")
    activity = publish(world.users["community_worker"], community, capacity=PLACES, title="热门：中秋手工月饼")
    people = residents(world, PEOPLE, prefix="racer")

    def register(user):
        return lambda: services.registration_create(actor=user, activity=activity).status

    outcomes = race([register(user) for user in people])
    assert sorted(outcomes) == ["registered", "waitlisted"], outcomes
    assert outcomes["registered"] == PLACES and outcomes["waitlisted"] == PEOPLE - PLACES
    activity.refresh_from_db()
    assert activity.registered_places == PLACES and activity.waitlisted_places == PEOPLE - PLACES
    assert Registration.objects.filter(activity=activity, status="registered").count() == PLACES


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_an_overbooked_activity(world):
    from django.db import IntegrityError

    activity = publish(world.users["community_worker"], world.node("甲市一区一街一社"), capacity=2)
    with pytest.raises(IntegrityError):
        Activity.objects.filter(pk=activity.pk).update(registered_places=3)
