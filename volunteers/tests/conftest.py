from datetime import timedelta

import pytest
from django.utils import timezone

from tests.world import make_user

from .. import services


@pytest.fixture
def community(world):
    return world.node("甲市一区一街一社")


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


@pytest.fixture
def resident(world):
    return world.users["resident"]


@pytest.fixture
def volunteer(resident, community):
    return services.volunteer_register(actor=resident, community=community, real_name="王秀英", phone="13800001111",
                                       skills=["elderly_care"], availability=["6:morning"], consent=True)


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def opportunity(worker, community, now):
    return services.opportunity_publish(actor=worker, community=community, title="助老送餐", places=2, starts_at=now + timedelta(minutes=10),
                                        ends_at=now + timedelta(hours=3), place="社区食堂", auto_accept=True, now=now)


@pytest.fixture
def accepted(volunteer, opportunity, resident, now):
    return services.application_submit(actor=resident, opportunity=opportunity, now=now)


def signed(resident, opportunity, now, *, hours=2):
    """Sign in at ``now`` and out ``hours`` later with the codes shown then; returns the record."""
    services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    out = now + timedelta(hours=hours)
    return services.sign_out(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, out), now=out)


@pytest.fixture
def another_resident(community):
    return make_user("resident_c", role="resident", division=community)
