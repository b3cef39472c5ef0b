"""The needs list as an Excel register: grid workers' lists imported all or nothing; exports of the registers."""

import pytest

from excel import services as excel_services
from excel.registers import REGISTERS
from excel.tests.test_excel_jobs import run_worker, upload, workbook_bytes

from .. import selectors, services
from ..models import Need
from .conftest import publish

HEADER = ["社区代码", "社区", "需求类型", "需求", "详细说明", "需求人", "可接受价格"]


def _import(actor, content, django_capture_on_commit_callbacks, settings):
    settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
    with django_capture_on_commit_callbacks(execute=True):
        job = excel_services.excel_import_start(actor=actor, register_name="neighbourhood.needs", upload=upload(content, "needs.xlsx"))
    run_worker()
    job.refresh_from_db()
    return job


@pytest.mark.django_db(transaction=True)
def test_a_grid_workers_list_of_needs_is_imported_all_or_nothing(world, django_capture_on_commit_callbacks, settings):
    code = world.node("甲市一区一街一社").code
    good = workbook_bytes([HEADER, [code, "", "老年助餐", "老人吃饭难", "", "3号楼李奶奶", "低偿"],
                           [code, "", "after_school", "四点半课堂", "双职工家庭", "", ""]])
    job = _import(world.users["community_worker"], good, django_capture_on_commit_callbacks, settings)
    assert job.status == "done", job.errors
    assert Need.objects.filter(source="grid_worker").count() == 2
    bad = workbook_bytes([HEADER, [code, "", "老年助餐", "又一条", "", "", ""], [code, "", "不存在的类型", "x", "", "", ""],
                          [world.node("甲市一区一街二社").code, "", "老年助餐", "邻居的", "", "", ""]])
    job = _import(world.users["community_worker"], bad, django_capture_on_commit_callbacks, settings)
    assert job.status == "failed" and {e["row"] for e in job.errors} == {3, 4}
    assert Need.objects.count() == 2


@pytest.mark.django_db
def test_exports_hold_what_the_user_may_see(world):
    community = world.node("甲市一区一街一社")
    worker, resident = world.users["community_worker"], world.users["resident"]
    services.need_record(actor=resident, community=community, kind=selectors.need_kinds().get(code="tai_chi"), title="想学太极")
    activity = publish(worker, community)
    services.registration_create(actor=resident, activity=activity)
    services.feedback_submit(actor=resident, category="noise", description="夜里噪音")
    services.order_place(actor=resident, category="living_environment", title="修水管")
    for name, expected in (("neighbourhood.needs", "想学太极"), ("neighbourhood.activities", "太极拳入门"),
                           ("neighbourhood.feedback", "夜里噪音"), ("neighbourhood.orders", "修水管")):
        count, rows = REGISTERS[name].export_rows(user=worker, params={"within": community.code})
        rows = list(rows)
        assert count == 1 and expected in rows[0], (name, rows)
        count, _rows = REGISTERS[name].export_rows(user=world.users["community_worker"], params={})
        outsider_count, _rows = REGISTERS[name].export_rows(
            user=__import__("tests.world", fromlist=["make_user"]).make_user(f"w2_{name}", role="community_worker",
                                                                               division=world.node("甲市一区一街二社")), params={})
        assert outsider_count == 0, name


@pytest.mark.django_db(transaction=True)
def test_a_grid_worker_imports_their_grids_needs_and_not_the_neighbours(world, django_capture_on_commit_callbacks, settings):
    from tests.world import make_user

    community = world.node("甲市一区一街一社")
    grid = world.node("甲市一区一街一社一格")
    worker = make_user("wangge_a", role="community_worker", division=grid)
    header = [*HEADER, "网格代码"]
    good = workbook_bytes([header, [community.code, "", "老年助餐", "老人吃饭难", "", "3号楼李奶奶", "低偿", ""],
                           [community.code, "", "after_school", "四点半课堂", "", "", "", grid.code]])
    job = _import(worker, good, django_capture_on_commit_callbacks, settings)
    assert job.status == "done", job.errors
    assert list(Need.objects.values_list("grid__code", "source")) == [(grid.code, "grid_worker")] * 2
    next_door = make_user("wangge_b", role="community_worker", division=world.node("甲市一区一街二社一格"))
    job = _import(next_door, workbook_bytes([header, [community.code, "", "老年助餐", "邻居的", "", "", "", ""]]),
                  django_capture_on_commit_callbacks, settings)
    assert job.status == "failed" and Need.objects.count() == 2


@pytest.mark.django_db
def test_an_unchanged_export_of_needs_imports_again_without_a_change(world):
    from excel.tests.roundtrip import assert_reimport_changes_nothing

    community = world.node("甲市一区一街一社")
    worker, resident = world.users["community_worker"], world.users["resident"]
    kinds = selectors.need_kinds()
    services.need_record(actor=resident, community=community, kind=kinds.get(code="tai_chi"), title="想学太极")
    for _twice in range(2):  # the same need heard twice is two needs
        services.need_record(actor=worker, community=community, kind=kinds.get(code="after_school"), description="双职工家庭",
                             on_behalf_of="3号楼李奶奶", preferred_tier="low_cost")
    assert_reimport_changes_nothing("neighbourhood.needs", worker, [Need])


@pytest.mark.django_db(transaction=True)
def test_a_need_names_its_community_by_name_from_the_list(world, django_capture_on_commit_callbacks, settings):
    content = workbook_bytes([["社区", "需求类型", "需求", "可接受价格"], ["甲市一区一街一社", "老年助餐", "按名称记下的", "免费"],
                              ["甲市一区一街二社", "老年助餐", "邻居的", None], [None, "老年助餐", "哪个社区？", None]])
    job = _import(world.users["community_worker"], content, django_capture_on_commit_callbacks, settings)
    assert job.status == "failed"
    assert {(e["row"], e["column"], e["message"]) for e in job.errors} == {
        (3, "社区", "甲市一区一街二社不是社区。"), (4, "社区", "请写明哪个社区：从下拉列表中选社区名称。")}
    job = _import(world.users["community_worker"], workbook_bytes([["社区", "需求类型", "需求", "可接受价格"],
                                                                    ["甲市一区一街一社", "老年助餐", "按名称记下的", "免费"]]),
                  django_capture_on_commit_callbacks, settings)
    assert job.status == "done", job.errors
    need = Need.objects.get(title="按名称记下的")
    assert need.community == world.node("甲市一区一街一社") and need.preferred_tier == "free"
