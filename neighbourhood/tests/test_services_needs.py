"""Needs: recording, one support per resident, the ranked list, planned and met, matching and invitations, households."""

import pytest

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.models import Notification

from .. import matching, selectors, services
from ..models import Household, Need, NeedStatus
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


def test_a_grid_worker_records_needs_of_their_grid_for_their_community(world, community, grids):
    need = services.need_record(actor=grids["worker"], community=community, kind=kind("elderly_meals"), title="独居老人吃饭难",
                                on_behalf_of="5号楼张大爷")
    assert (need.community, need.grid, need.source) == (community, grids["first"], "grid_worker")
    assert list(selectors.need_list(user=grids["worker"], within=grids["first"])) == [need]
    assert list(selectors.need_list(user=grids["neighbour"])) == []  # the grid beside sees only its own
    assert AuditEvent.objects.get(action="neighbourhood.need.recorded").changes["grid"] == grids["first"].code


def test_a_grid_worker_of_another_grid_or_community_is_refused(world, community, grids):
    with pytest.raises(PermissionDenied, match="自己网格"):
        services.need_record(actor=grids["neighbour"], community=community, kind=kind("street_lights"), grid=grids["first"])
    with pytest.raises(PermissionDenied):
        services.need_record(actor=grids["next_door"], community=community, kind=kind("street_lights"))
    assert not Need.objects.exists()


def test_the_communitys_staff_may_file_a_need_under_any_of_its_grids(world, community, grids, worker):
    need = services.need_record(actor=worker, community=community, kind=kind("after_school"), grid=grids["second"])
    assert need.grid == grids["second"] and need.source == "grid_worker"
    with pytest.raises(ValidationFailed):
        services.need_record(actor=worker, community=community, kind=kind("after_school"), grid=world.node("甲市一区一街二社一格"))


def test_a_residents_need_is_filed_under_the_grid_of_their_household(community, resident, grids):
    services.household_save(actor=resident, address="1-1-101", members=2, grid=grids["second"])
    need = services.need_record(actor=resident, community=community, kind=kind("tai_chi"))
    assert need.grid == grids["second"] and need.source == "resident"


def test_a_need_is_met_by_an_agreed_service_and_the_residents_see_by_what(client, world, community, resident, worker):
    operator = world.organisations["甲市一区一街一社服务中心"]
    canteen = agree(world, community, operator, name="长者食堂助餐服务", category="elderly_child")
    elsewhere = agree(world, world.node("甲市一区一街二社"), world.organisations["甲市一区一街二社服务中心"], name="外社区助餐",
                      category="elderly_child")
    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐")
    with pytest.raises(ValidationFailed, match="不是为本需求所在社区约定的服务"):
        services.need_mark(actor=worker, need=need, status=NeedStatus.MET, service=elsewhere)
    services.need_mark(actor=worker, need=need, status=NeedStatus.MET, service=canteen)
    need.refresh_from_db()
    assert (need.met_by_service, need.met_by_operator) == (canteen, operator)
    client.force_login(resident)
    page = client.get(f"/neighbourhood/needs/{need.pk}/").content.decode()
    assert "由长者食堂助餐服务（甲市一区一街一社服务中心）满足" in page


def test_the_staff_page_offers_only_the_communitys_services_and_marks_with_one(client, world, community, resident, worker):
    operator = world.organisations["甲市一区一街一社服务中心"]
    canteen = agree(world, community, operator, name="长者食堂助餐服务", category="elderly_child")
    agree(world, world.node("甲市一区一街二社"), world.organisations["甲市一区一街二社服务中心"], name="外社区助餐", category="elderly_child")
    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐")
    client.force_login(worker)
    page = client.get(f"/neighbourhood/needs/{need.pk}/").content.decode()
    assert "长者食堂助餐服务" in page and "外社区助餐" not in page
    client.post(f"/neighbourhood/needs/{need.pk}/", {"mark": "1", "status": "met", "service": canteen.pk})
    need.refresh_from_db()
    assert need.status == "met" and need.met_by_service == canteen


def test_the_api_marks_a_need_met_by_an_agreed_service(client, world, community, resident, worker):
    canteen = agree(world, community, world.organisations["甲市一区一街一社服务中心"], name="长者食堂助餐服务", category="elderly_child")
    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐")
    client.force_login(worker)
    response = client.post(f"/api/v1/neighbourhood/needs/{need.pk}/status", {"status": "met", "service_id": canteen.pk},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["met_by_service_id"] == canteen.pk


# Invitations go only to operators admitted for the community.

@pytest.fixture
def canteen_need(community, resident):
    return services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐")


def test_an_invitation_for_an_agreed_service_names_it(world, community, worker, canteen_need):
    operator = world.organisations["甲市一区一街一社服务中心"]
    canteen = agree(world, community, operator, name="长者食堂助餐服务", category="elderly_child")
    invitation = services.invitation_send(actor=worker, need=canteen_need, operator=operator, service=canteen)
    assert (invitation.service, invitation.service_name) == (canteen, "长者食堂助餐服务")


@pytest.mark.parametrize(("standing", "message"), [("suspended", "已被暂停准入"), ("blacklisted", "已被列入黑名单"), ("none", "未获准入")])
def test_operators_not_admitted_suspended_or_blacklisted_are_not_invited(world, community, worker, canteen_need, standing, message):
    from operations import services as operations

    operator = world.organisations["甲市一区一街一社服务中心"]  # serves the community, but is it admitted?
    if standing != "none":
        admission = agree(world, community, operator, name="助餐", category="elderly_child").agreement.admission
        change = operations.admission_suspend if standing == "suspended" else operations.admission_blacklist
        change(actor=world.users["street_admin"], admission=admission, reason="居民投诉")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        services.invitation_send(actor=worker, need=canteen_need, operator=operator)
    assert not canteen_need.invitations.exists() and AuditEvent.objects.count() == events


def test_the_page_and_the_api_refuse_an_operator_not_admitted_in_chinese(client, world, community, worker, canteen_need):
    nearby = world.organisations["甲市一区一街一社服务中心"]  # serves the community, so its staff see it; not admitted
    client.force_login(worker)
    page = client.post(f"/neighbourhood/needs/{canteen_need.pk}/", {"invite": "1", "operator": nearby.pk}, follow=True)
    assert "未获准入" in page.content.decode()
    response = client.post(f"/api/v1/neighbourhood/needs/{canteen_need.pk}/invitations", {"operator_id": nearby.pk},
                           content_type="application/json")
    assert response.status_code == 422 and "未获准入" in response.json()["message"]
    assert not canteen_need.invitations.exists()


def test_an_operator_out_of_sight_is_not_found_and_its_name_never_told(client, world, community, worker, canteen_need):
    """Naming any operator's id must not read its name: one the staff cannot see and not admitted here is not found."""
    outsider = world.organisations["乙市一区一街一社服务中心"]
    client.force_login(worker)
    response = client.post(f"/api/v1/neighbourhood/needs/{canteen_need.pk}/invitations", {"operator_id": outsider.pk},
                           content_type="application/json")
    assert response.status_code == 404 and outsider.name not in response.content.decode()
    page = client.post(f"/neighbourhood/needs/{canteen_need.pk}/", {"invite": "1", "operator": outsider.pk}, follow=True)
    assert outsider.name not in page.content.decode()
    assert not canteen_need.invitations.exists()


def test_matching_costs_the_same_queries_however_many_operators_serve_around(world, community, resident):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from org.models import OperatorKind
    from org.services import organisation_create

    need = services.need_record(actor=resident, community=community, kind=kind("elderly_meals"), title="老年助餐")
    nearby = [world.node(name) for name in ("甲市一区一街一社", "甲市一区一街二社", "甲市一区二街一社")]

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            found = matching.candidates_for(need.community, max_km=10)
        return len(captured), len([c for c in found if c.kind == "operator"])

    organisation_create(actor="t", name="助餐服务社0", kind="operator", operator_kind=OperatorKind.SOCIAL_WORK_AGENCY,
                        home_division=nearby[0].parent, served_divisions=nearby)
    few, operators_before = queries()
    for n in range(1, 5):
        organisation_create(actor="t", name=f"助餐服务社{n}", kind="operator", operator_kind=OperatorKind.SOCIAL_WORK_AGENCY,
                            home_division=nearby[0].parent, served_divisions=nearby)
    many, operators_after = queries()
    assert operators_after == operators_before + 4
    assert many == few
