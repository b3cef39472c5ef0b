"""Work waiting for a person is in front of them: agreements waiting for the street, with the days they
have waited, flagged once they pass the city's ``operations.approval_overdue_days``."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from operations import services
from operations.models import Agreement
from rulepack.selectors import param, waiting_queue

from .conftest import draft

pytestmark = pytest.mark.django_db


def submitted(world, ops, *, days_ago: int, room):
    agreement = draft(world, ops, room=room)
    return services.agreement_submit(actor=world.users["community_worker"], agreement=agreement,
                                     now=timezone.now() - timedelta(days=days_ago, minutes=1))


def test_an_agreement_past_the_citys_limit_is_flagged_with_the_days_it_has_waited(client, world, ops):
    limit = int(param(division=ops.community, key="operations.approval_overdue_days"))
    assert limit == 30  # the platform's default; the city sets its own
    old = submitted(world, ops, days_ago=limit + 1, room=ops.hall)
    fresh = submitted(world, ops, days_ago=limit, room=ops.barn)
    queue = waiting_queue(Agreement.objects.filter(status="submitted"), since="submitted_at", division="division",
                          key="operations.approval_overdue_days")
    assert [a.pk for a in queue.items] == [old.pk, fresh.pk]  # the longest waiting first
    assert [(a.waiting.days, a.waiting.overdue) for a in queue.items] == [(limit + 1, True), (limit, False)]
    assert (queue.count, queue.overdue) == (2, 1)

    client.force_login(world.users["street_admin"])
    desk = client.get("/operations/").content.decode()
    assert f"已等待 {limit + 1} 天 · 已超期" in desk and f"已等待 {limit} 天" in desk and "1 项已超期" in desk
    card = client.get("/").content.decode()
    assert 'href="/operations/#approvals">2</a>' in card and "1 项已超期" in card
    client.force_login(world.users["community_worker"])  # who drafted them: waiting for the street
    assert "待街道审批的协议" in client.get("/operations/").content.decode()
    assert 'href="/operations/#submitted">2</a>' in client.get("/").content.decode()


def test_the_desks_queue_costs_the_same_queries_for_one_or_three_waiting(client, world, ops):
    client.force_login(world.users["street_admin"])
    submitted(world, ops, days_ago=40, room=ops.hall)

    def cost():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/operations/").status_code == 200
        return len(captured)

    one = cost()
    submitted(world, ops, days_ago=10, room=ops.barn)
    submitted(world, ops, days_ago=50, room=ops.annex)
    assert cost() == one
