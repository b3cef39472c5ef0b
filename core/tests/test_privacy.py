"""The one rule for residents' personal data (core.privacy): the masks, and who sees it whole."""

from decimal import Decimal

import pytest

from core.privacy import (
    ADDRESS,
    ID_NUMBER,
    NAME,
    PHONE,
    coarse,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_username,
    redact_text,
    residents_among,
    viewer_of,
)
from tests.world import make_user


def test_the_masks_leave_enough_to_tell_people_apart_and_no_more():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == "" and mask_phone("1234") == "****"
    assert mask_name("张三") == "张*" and mask_name("赵阿姨") == "赵**" and mask_name("欧阳娜娜") == "欧**"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_address("3-2-501") == "3-2-***"
    assert mask_address("5号楼2单元301室") == "5号楼2单元***室"
    assert mask_address("中心广场东门") == "中心广场东门" and mask_address("5号楼2单元") == "5号楼2单元"  # no door in them
    assert mask_username("13800000001") == "138****0001" and mask_username("jiedao") == "jiedao"
    assert redact_text("请打13812345678找我，身份证11010519491231002X") == "请打138****5678找我，身份证110105********002X"
    assert coarse(Decimal("24.512345")) == 24.512 and coarse(None) is None


@pytest.fixture
def places(world):
    community = world.node("甲市一区一街一社")
    return {"community": community, "street": world.node("甲市一区一街"), "next_door": world.node("甲市一区一街二社"),
            "operator": world.organisations["甲市一区一街一社服务中心"], "other_operator": world.organisations["甲市一区一街二社服务中心"]}


def test_the_community_worker_sees_the_residents_of_their_community_whole(world, places):
    worker = viewer_of(world.users["community_worker"])
    assert all(worker.sees(kind, division=places["community"]) for kind in (NAME, PHONE, ADDRESS))
    assert not worker.sees(NAME, division=places["next_door"])
    assert not worker.sees(ID_NUMBER, division=places["community"])  # an ID number is whole for its holder only
    grid_worker = viewer_of(make_user("wangge", role="community_worker", division=world.node("甲市一区一街一社一格")))
    assert grid_worker.sees(PHONE, division=places["community"].pk)


def test_street_and_bureau_see_masked_what_they_do_not_handle(world, places):
    street = viewer_of(world.users["street_admin"])
    assert not street.sees(NAME, division=places["community"]) and street.sees(PHONE, division=places["street"])
    for role in ("supervisor", "city_supervisor", "charity_staff", "fund_committee", "unit_staff", "resident"):
        viewer = viewer_of(world.users[role])
        assert not any(viewer.sees(kind, division=places["community"]) for kind in (NAME, PHONE, ADDRESS)), role
    assert viewer_of(world.users["supervisor"]).show("13812345678", PHONE, division=places["community"]) == "138****5678"


def test_an_operator_sees_names_on_its_own_records_never_numbers(world, places):
    operator = viewer_of(world.users["operator_staff"])
    assert operator.sees(NAME, division=places["community"], organisation=places["operator"])
    assert not operator.sees(PHONE, division=places["community"], organisation=places["operator"])
    assert not operator.sees(NAME, division=places["community"], organisation=places["other_operator"])


def test_a_person_sees_their_own_and_the_system_administrator_all(world, places):
    resident = world.users["resident"]
    assert viewer_of(resident).sees(ID_NUMBER, division=places["community"], owner=resident)
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    assert viewer_of(admin).sees(PHONE, division=places["community"])
    assert viewer_of(None).show("张三", NAME) == "张*"


def test_residents_are_those_with_no_other_role(world):
    ids = {world.users[role].pk for role in ("resident", "resident_b", "community_worker", "fund_committee")}
    assert residents_among(ids) == {world.users["resident"].pk, world.users["resident_b"].pk}
