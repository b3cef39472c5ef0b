"""Real races on PostgreSQL: simultaneous sign-ins of one volunteer, simultaneous confirmations."""

from datetime import timedelta

import pytest

from tests.concurrency import race, requires_postgresql
from volunteers import selectors, services
from volunteers.models import HoursMonthTotal, ServiceRecord, Volunteer

pytestmark = [requires_postgresql, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_sign_ins_open_one_record(world, worker, community, resident, now):
    services.volunteer_register(actor=resident, community=community, real_name="王", phone="13800001111", skills=["repair"],
                                availability=[], consent=True)
    items = [services.opportunity_publish(actor=worker, community=community, title=f"岗位{i}", places=2, starts_at=now,
                                          ends_at=now + timedelta(hours=2), place="p", auto_accept=True, now=now) for i in range(2)]
    for item in items:
        services.application_submit(actor=resident, opportunity=item, now=now)
    outcomes = race([lambda item=item: services.sign_in(actor=resident, opportunity=item, code=services.sign_code(item, now), now=now).pk
                     for item in [*items, *items]])
    assert sum(1 for o in outcomes.elements() if isinstance(o, int)) == 1, outcomes
    assert outcomes["refused:already_signed_in"] == 3, outcomes
    assert ServiceRecord.objects.filter(signed_out_at__isnull=True).count() == 1


def test_simultaneous_confirmations_keep_the_totals_right(world, worker, community, now):
    from tests.world import make_user

    item = services.opportunity_publish(actor=worker, community=community, title="岗位", places=20, starts_at=now - timedelta(hours=3),
                                        ends_at=now + timedelta(hours=2), place="p", auto_accept=True, now=now - timedelta(hours=4))
    records = []
    for i in range(8):
        person = make_user(f"v{i}", role="resident", division=community)
        volunteer = services.volunteer_register(actor=person, community=community, real_name="李", phone="13800001111", skills=["repair"],
                                                availability=[], consent=True)
        services.application_submit(actor=person, opportunity=item, now=now - timedelta(hours=4))
        records.append(ServiceRecord.objects.create(volunteer=volunteer, opportunity=item, community=community, signed_in_at=now - timedelta(hours=2),
                                                    signed_out_at=now - timedelta(hours=1), minutes=60, status="pending"))
    outcomes = race([lambda r=r: services.record_confirm(actor=worker, record=r).pk for r in records] * 2)
    assert outcomes["refused:already_decided"] == 8, outcomes
    assert HoursMonthTotal.objects.get().minutes == 480
    assert sum(Volunteer.objects.values_list("confirmed_minutes", flat=True)) == 480
    assert selectors.volunteers_unreconciled() == [] and selectors.month_totals_unreconciled() == []
