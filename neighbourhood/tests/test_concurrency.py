"""No activity is ever overbooked, however many residents register at once (PostgreSQL, real threads)."""

import threading

import pytest
from django.db import close_old_connections, connection

from .. import services
from ..models import Activity, Registration
from .conftest import publish, residents

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="needs PostgreSQL (run with DATABASE_URL=postgres://…): real concurrent transactions")

PEOPLE, PLACES = 60, 15


@pytest.mark.django_db(transaction=True)
def test_sixty_residents_racing_for_fifteen_places_get_exactly_fifteen(world):
    community = world.node("甲市一区一街一社")
    activity = publish(world.users["community_worker"], community, capacity=PLACES, title="热门：中秋手工月饼")
    people = residents(world, PEOPLE, prefix="racer")
    barrier = threading.Barrier(PEOPLE)
    outcomes: list[str] = []
    lock = threading.Lock()

    def register(user):
        try:
            barrier.wait(timeout=30)
            result = services.registration_create(actor=user, activity=activity).status
        except Exception as error:  # anything else is a failure of the test
            result = f"error: {error!r}"
        finally:
            close_old_connections()
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=register, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(set(outcomes)) == ["registered", "waitlisted"], outcomes
    assert outcomes.count("registered") == PLACES and outcomes.count("waitlisted") == PEOPLE - PLACES
    activity.refresh_from_db()
    assert activity.registered_places == PLACES and activity.waitlisted_places == PEOPLE - PLACES
    assert Registration.objects.filter(activity=activity, status="registered").count() == PLACES


@pytest.mark.django_db(transaction=True)
def test_the_database_itself_refuses_an_overbooked_activity(world):
    from django.db import IntegrityError

    activity = publish(world.users["community_worker"], world.node("甲市一区一街一社"), capacity=2)
    with pytest.raises(IntegrityError):
        Activity.objects.filter(pk=activity.pk).update(registered_places=3)
