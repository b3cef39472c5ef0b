"""Needs: recording, one support per resident, the ranked list, planned and met, matching and invitations, households."""

import pytest

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.models import Notification

from .. import matching, selectors, services
from ..models import Household, NeedStatus
from .conftest import agree, publish, residents

pytestmark = pytest.mark.django_db


def kind(code):
    return selectors.need_kinds().get(code=code)


def test_the_catalogue_has_dozens_of_kinds_in_each_of_the_five_categories():
    from django.db.models import Count

    # Read through the selector, which fills the catalogue into a table a transactional test emptied.
    counts = dict(selectors.need_kinds().values_list("category").annotate(n=Count("id")).order_by())
    assert set(counts) == {"elderly_child", "living_environment", "food_recreation", "medical_wellness", "employment_business"}
    assert all(n >= 24 for n in counts.values())


def test_a_resident_records_a_need_and_neighbours_support_it_once_each(world, community, resident):
    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="小区附近想要老年助餐点")
    assert need.supports == 1 and need.source == "resident" and need.category == "elderly_child"
    a, b = residents(world, 2)
    services.need_support(actor=a, need=need)
    services.need_support(actor=b, need=need)
    with pytest.raises(Conflict):
        services.need_support(actor=a, need=need)
    with pytest.raises(Conflict):
        services.need_support(actor=resident, need=need)  # the recorder's support is already counted
    with pytest.raises(PermissionDenied):
        services.need_support(actor=world.users["resident_b"], need=need)  # another community
    need.refresh_from_db()
    assert need.supports == 3 and need.support_rows.count() == 3


def test_each_communitys_list_is_ranked_by_support(world, community, resident, worker):
    low = services.need_record(actor=resident, community=community, kind=kind("street_lights"), title="路灯不亮")
    high = services.need_record(actor=worker, community=community, kind=kind("after_school"), title="课后托管", on_behalf_of="3号楼王女士")
    assert high.source == "grid_worker"
    for person in residents(world, 3):
        services.need_support(actor=person, need=high)
    ranked = list(selectors.need_list(user=worker, within=community))
    assert ranked[:2] == [high, low]
    assert list(selectors.need_list(user=world.users["resident_b"], within=community)) == []  # the neighbour sees none


def test_marking_a_need_met_names_what_meets_it_and_tells_the_supporters(world, community, resident, worker):
    need = services.need_record(actor=resident, community=community, kind=kind("tai_chi"), title="想学太极拳")
    supporter = residents(world, 1)[0]
    services.need_support(actor=supporter, need=need)
    with pytest.raises(ValidationFailed):
        services.need_mark(actor=worker, need=need, status=NeedStatus.DECLINED)  # a reason is needed
    with pytest.raises(ValidationFailed):
        services.need_mark(actor=worker, need=need, status=NeedStatus.MET)  # say what meets it
    with pytest.raises(PermissionDenied):
        services.need_mark(actor=resident, need=need, status=NeedStatus.PLANNED, note="x")
    services.need_mark(actor=worker, need=need, status=NeedStatus.PLANNED, note="下月开班")
    activity = publish(worker, community, title="太极拳入门班")
    services.need_mark(actor=worker, need=need, status=NeedStatus.MET, activity=activity)
    need.refresh_from_db()
    assert need.status == "met" and need.met_by_activity == activity
    assert Notification.objects.filter(user=supporter).count() == 2
    assert AuditEvent.objects.filter(action="neighbourhood.need.met").exists()


def test_similar_needs_are_offered_to_support_instead_of_a_duplicate(community, resident):
    services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="希望开老年食堂，方便老人吃饭")
    found = selectors.similar_needs(community=community, kind=kind("community_canteen"), text="老人吃饭难，想要社区食堂")
    assert [n.title for n in found] == ["希望开老年食堂，方便老人吃饭"]
    assert selectors.similar_needs(community=community, kind=kind("job_matching"), text="找工作") == []


def test_matching_ranks_the_agreed_service_and_admitted_operators_and_the_community_invites(world, community, resident, worker):
    operator = world.organisations["甲市一区一街一社服务中心"]
    other = world.organisations["甲市一区一街二社服务中心"]
    agree(world, community, operator, name="长者食堂助餐服务", category="elderly_child", description="每餐12元，可送餐上门")
    agree(world, community, other, name="少儿书画培训", category="food_recreation")
    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐", preferred_tier="low_cost")
    found = matching.matches_for(need)
    assert found[0].name == "长者食堂助餐服务" and found[0].scores["category"] == 1 and found[0].scores["tier"] == 1
    assert "少儿书画培训" not in [c.name for c in found[:1]]
    invitation = services.invitation_send(actor=worker, need=need, operator=operator, service_name=found[0].name, message="请来开个点")
    with pytest.raises(Conflict):
        services.invitation_send(actor=worker, need=need, operator=operator)
    services.invitation_answer(actor=world.users["operator_staff"], invitation=invitation, accept=True, answer="下周开始")
    need.refresh_from_db()
    assert need.status == "planned"


def test_household_tags_are_kept_only_with_consent(resident):
    with pytest.raises(ValidationFailed):
        services.household_save(actor=resident, members=3, tags=["elderly", "child"], consent=False)
    household = services.household_save(actor=resident, address="3-2-501", members=3, tags=["elderly", "child"], consent=True)
    assert household.tags == ["child", "elderly"] and household.tags_consented_at is not None
    household = services.household_save(actor=resident, address="3-2-501", members=3, tags=[], consent=False)
    assert household.tags == [] and household.tags_consented_at is None
    assert Household.objects.count() == 1
