"""The register as Excel: a whole workbook in, all or nothing, every problem at once, and back out unchanged."""

import io
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from excel import services as excel_services
from excel.registers import REGISTERS, ImportRejected, import_workbook
from excel.tests.roundtrip import assert_reimport_changes_nothing
from excel.workbooks import write_template
from registry.models import Cost, Room, Site
from rulepack.services import rulepack_ensure

SITE_HEADER = ["场所编号", "所属社区或街道代码", "场所名称", "场所类型", "建筑面积（平方米）", "首层面积（平方米）",
               "沿街独立出入口", "开放时间", "产权性质", "产权来源", "产权人或出租方", "租期起", "租期止", "年租金（元）"]
ROOM_HEADER = ["场所编号", "房间名称", "楼层", "面积（平方米）", "容纳人数", "用途", "功能"]
COST_HEADER = ["场所编号", "房间名称", "年度", "费用类别", "金额（元）", "支付方"]


def workbook(sites, rooms, costs, site_header=SITE_HEADER) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in (("场所", site_header, sites), ("房间", ROOM_HEADER, rooms), ("费用", COST_HEADER, costs)):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run_import(actor, content, capture, settings):
    settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
    upload = SimpleUploadedFile("register.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    with capture(execute=True):
        job = excel_services.excel_import_start(actor=actor, register_name="registry.workbook", upload=upload)
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    job.refresh_from_db()
    return job


def import_now(actor, content) -> dict:
    return import_workbook(io.BytesIO(content), REGISTERS["registry.workbook"], actor=actor, params={}, progress=lambda n: None)


def good_rows(world):
    one, two = world.node("甲市一区一街一社").code, world.node("甲市一区一街二社").code
    sites = [
        [f"{one}-S01", one, "一社党群服务中心", "党群服务中心", 900, 600, "是", "周一至周五 08:30-17:30", "行政事业性国有资产", "街道自有", None, None, None, None],
        [None, two, "二社长者食堂", "长者食堂", 300, 300, "否", "每天 10:30-13:00", "混合产权", "租赁", "某物业公司", "2024-01-01", "2027-12-31", 48000],
    ]
    rooms = [
        [f"{one}-S01", "党群服务大厅", 1, 200, 60, "服务", "党群服务大厅、便民服务窗口"],
        [f"{one}-S01", "调解室", 2, 25, 8, "服务", "mediation_room"],
        [f"{one}-S01", "办公室", 2, 60, 10, "办公", None],
    ]
    costs = [[f"{one}-S01", None, 2025, "水电费", 36000, "街道"], [f"{one}-S01", "调解室", 2025, "维修费", 5000, "社区"]]
    return sites, rooms, costs


@pytest.mark.django_db(transaction=True)
class TestRegisterImport:
    def test_a_whole_workbook_goes_in_at_once(self, world, django_capture_on_commit_callbacks, settings):
        sites, rooms, costs = good_rows(world)
        sites[1][8:10] = ["行政事业性国有资产", "租赁"]  # a mixed class would need its shares
        job = run_import(world.users["street_admin"], workbook(sites, rooms, costs), django_capture_on_commit_callbacks, settings)
        assert job.status == "done", job.errors
        assert job.summary["created"] == 7 and job.summary["rows"] == 7
        centre = Site.objects.get(code=f"{world.node('甲市一区一街一社').code}-S01")
        assert centre.opening_hours["1"] == [["08:30", "17:30"]] and centre.independent_entrance
        canteen = Site.objects.get(name="二社长者食堂")
        assert canteen.code == f"{world.node('甲市一区一街二社').code}-S01" and canteen.annual_rent == Decimal("48000")
        hall = Room.objects.get(name="党群服务大厅")
        assert set(hall.functions.values_list("code", flat=True)) == {"party_hall", "service_window"}
        assert Cost.objects.count() == 2
        assert AuditEvent.objects.filter(action="registry.room.created", note="import").count() == 3

    def test_every_problem_of_every_sheet_is_reported_at_once_and_marked_in_the_file(
            self, client, world, django_capture_on_commit_callbacks, settings):
        one = "甲市一区一街一社"
        sites = [
            ["新1", one, "一社党群服务中心", "党群服务中心", 900, 600, "是", None, "行政事业性国有资产", "街道自有产权", None, None, None, None],
            [None, "火星社区", "坏场所", "其他", "八百", 0, "否", None, "其他", "街道自有", None, None, None, None],
            ["新1", one, "重名场所", "其他", 100, 0, "否", None, "其他", "街道自有", None, None, None, None],
        ]
        rooms = [
            ["新1", "大厅", 1, 100, 60, "服务", "党群服务大厅、长者食堂"],
            ["新1", "负面积", 1, -5, 5, "服务", "星际传送"],
            [None, None, None, None, None, None, None],  # a blank row is not a row
            ["新9", "无主房间", 1, 20, 5, "服务", None],
            ["新1", "活动室", 1, 30, "很多", "服务", None],
        ]
        costs = [["新1", None, 2025, "水电", 3600, "街道"], ["新1", None, 2025, "伙食费", -1, "街道"]]
        rulepack_ensure(city=world.node("甲市"))  # the city's catalogue, as any city in use has it
        events = AuditEvent.objects.count()
        job = run_import(world.users["street_admin"], workbook(sites, rooms, costs), django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        found = {(e["sheet"], e["row"], e["column"]): e for e in job.errors}
        assert set(found) == {
            ("场所", 3, "所属社区或街道"), ("场所", 3, "建筑面积（平方米）"), ("场所", 4, "场所编号"),
            ("房间", 3, "面积（平方米）"), ("房间", 3, "功能"), ("房间", 5, "场所编号"), ("房间", 6, "容纳人数"),
            ("费用", 3, "费用类别"), ("费用", 3, "金额（元）"),
        }
        assert found[("场所", 3, "建筑面积（平方米）")]["message"] == "请输入数字。"
        assert found[("场所", 3, "建筑面积（平方米）")]["value"] == "八百"
        assert found[("场所", 3, "所属社区或街道")]["value"] == "火星社区"
        assert found[("场所", 4, "场所编号")]["message"] == "新1 在本表中用了两次（另见第 2 行）。"
        assert found[("房间", 3, "面积（平方米）")]["message"] == "面积须大于 0 且不超过 100000 平方米。"
        assert found[("房间", 3, "功能")]["message"] == "不在市级功能目录中：星际传送"
        assert found[("房间", 5, "场所编号")]["value"] == "新9"
        assert found[("费用", 3, "费用类别")]["value"] == "伙食费"
        assert job.summary == {"rows": 9, "valid": 3, "invalid": 6,
                               "sheets": {"registry.sites": {"rows": 3}, "registry.rooms": {"rows": 4}, "registry.costs": {"rows": 2}}}
        assert not Site.objects.exists() and not Room.objects.exists() and not Cost.objects.exists()
        assert AuditEvent.objects.count() == events

        marked = load_workbook(job.result.open("rb"))
        assert marked.sheetnames[:3] == ["场所", "房间", "费用"] and "问题清单" in marked.sheetnames
        bad = marked["场所"]["E3"]
        assert bad.value == "八百" and bad.fill.fgColor.rgb.endswith("F8D7DA") and bad.comment.text == "请输入数字。"
        assert marked["房间"]["F6"].comment is None and marked["房间"]["E6"].comment.text == "请输入整数。"
        assert marked["问题清单"].max_row == len(job.errors) + 1

        client.force_login(world.users["street_admin"])
        page = client.get(f"/excel/jobs/{job.pk}/").content.decode()
        assert "读取 9 行：3 行无误，6 行有问题" in page
        assert ">火星社区</td>" in page and "社区服务用房台账导入 · 甲市一区一街 · " in page
        download = client.get(f"/excel/jobs/{job.pk}/download/")
        assert download["Content-Disposition"].startswith("attachment; filename*=utf-8''%E7%94%B2%E5%B8%82")

    def test_rows_of_another_street_are_refused(self, world, django_capture_on_commit_callbacks, settings):
        other = world.node("甲市一区二街一社").code
        sites = [[None, other, "越界", "其他", 100, 0, "否", None, "其他", "街道自有", None, None, None, None]]
        job = run_import(world.users["street_admin"], workbook(sites, [], []), django_capture_on_commit_callbacks, settings)
        assert job.status == "failed" and not Site.objects.exists()

    def test_a_200_mb_upload_is_refused_before_it_is_read(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.post("/api/v1/excel/imports", data=b"x", content_type="multipart/form-data; boundary=x",
                               CONTENT_LENGTH=str(200 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json()["code"] == "too_large"


@pytest.mark.django_db
class TestOneWorkbook:
    def test_new_sites_and_their_rooms_and_costs_come_in_one_workbook_by_keys_of_the_file(self, world):
        one, two = world.node("甲市一区一街一社"), world.node("甲市一区一街二社")
        sites = [
            ["A", "甲市一区一街一社", "一社中心", "综合服务中心", 500, 300, "是", None, "国有资产", "街道自有资产", None, None, None, None],
            [None, "甲市一区一街二社", "二社驿站", "妇女儿童驿站", 100, 100, "否", None, "村集体资产", "借用", "某村委", None, "2028-12-31", None],
            ["新B", two.code, "二社食堂", "老年食堂", 200, 200, "否", None, "其他资产", "租用", "某公司", "2025-01-01", "2027-12-31", 0],
        ]
        rooms = [["A", "大厅", 1, 120, 50, "服务用房", "党群大厅、长者食堂"], ["A", "办公室", 2, 40, 6, "办公用房", None],
                 ["新B", "餐厅", 1, 150, 80, "服务", "老年食堂（长者食堂）"]]
        costs = [["新B", "餐厅", 2025, "房租", 12000, "运营方"]]
        summary = import_now(world.users["street_admin"], workbook(sites, rooms, costs, site_header=["场所编号", "所属社区或街道"] + SITE_HEADER[2:]))
        assert summary["created"] == 7, summary
        centre = Site.objects.get(name="一社中心")
        assert centre.code == f"{one.code}-S01" and centre.kind == "party_mass_centre" and centre.property_source == "street_owned"
        canteen = Site.objects.get(name="二社食堂")
        assert canteen.code == f"{two.code}-S02" and canteen.property_source == "leased" and canteen.kind == "elderly_canteen"
        assert Site.objects.get(name="二社驿站").property_class == "village_collective"
        assert {r.name for r in centre.rooms.all()} == {"大厅", "办公室"}
        assert set(Room.objects.get(name="大厅").functions.values_list("code", flat=True)) == {"party_hall", "elderly_canteen"}
        assert Room.objects.get(name="办公室").use == "office"
        cost = Cost.objects.get()
        assert (cost.site, cost.room.name, cost.category, cost.paid_by) == (canteen, "餐厅", "rent", "operator")

    def test_an_unknown_key_a_key_used_twice_and_the_rooms_of_a_refused_site_are_each_reported(self, world):
        sites = [["A", "甲市一区一街一社", "一社中心", "党群服务中心", 500, 300, "是", None, "其他", "街道自有", None, None, None, None],
                 ["A", "甲市一区一街一社", "又一个", "其他", 100, 0, "否", None, "其他", "街道自有", None, None, None, None],
                 ["C", "甲市一区一街一社", "缺租期", "其他", 100, 0, "否", None, "其他", "租赁", None, None, None, None]]
        rooms = [["A", "大厅", 1, 100, 50, "服务", None], ["B", "大厅", 1, 100, 50, "服务", None], ["C", "厅", 1, 10, 5, "服务", None]]
        with pytest.raises(ImportRejected) as rejected:
            import_now(world.users["street_admin"], workbook(sites, rooms, []))
        found = {(e["sheet"], e["row"], e["column"]): e["message"] for e in rejected.value.errors}
        assert found[("场所", 3, "场所编号")] == "A 在本表中用了两次（另见第 2 行）。"
        assert found[("房间", 3, "场所编号")].startswith("没有场所 B")
        assert found[("房间", 4, "场所编号")] == "场所 C 在场所表中有问题（第 4 行）。"
        assert ("房间", 2, "场所编号") not in found
        assert not Site.objects.exists()

    def test_a_new_site_given_without_its_community_is_refused_by_the_import_itself(self, world):
        from registry.registers import import_sites

        row = {"code": "新A", "name": "无主场所", "kind": "other", "floor_area": Decimal(100)}
        with pytest.raises(ImportRejected) as rejected:
            import_sites(actor=world.users["street_admin"], rows=[(2, row, [])], params={}, progress=lambda n: None)
        assert [(e["row"], e["message"]) for e in rejected.value.errors] == [(2, "新场所须填写所属社区或街道。")]
        assert not Site.objects.exists()

    def test_an_unchanged_export_imported_again_changes_nothing(self, world):
        sites, rooms, costs = good_rows(world)
        sites[1][8:10] = ["行政事业性国有资产", "租赁"]
        sites[0][4] = 611.00
        sites.append([None, world.node("甲市一区一街").code, "街道共享空间", "共享公共资源", 120.5, 0, "否", None, "其他", "借用",
                      "某学校", None, "2030-06-30", None])
        costs.append(list(costs[0]))  # the same cost twice is two costs
        import_now(world.users["street_admin"], workbook(sites, rooms, costs))
        assert Cost.objects.count() == 3
        summary = assert_reimport_changes_nothing("registry.workbook", world.users["street_admin"], [Site, Room, Cost])
        assert summary["sheets"]["registry.costs"]["unchanged"] == 3
        for name in ("registry.sites", "registry.rooms", "registry.costs"):  # each sheet on its own too
            assert_reimport_changes_nothing(name, world.users["street_admin"], [Site, Room, Cost])

    def test_a_changed_row_updates_only_what_changed_and_says_so_in_the_audit_trail(self, world):
        sites, rooms, costs = good_rows(world)
        sites[1][8:10] = ["行政事业性国有资产", "租赁"]
        import_now(world.users["street_admin"], workbook(sites, rooms, costs))
        sites[1][0] = f"{world.node('甲市一区一街二社').code}-S01"  # the code it was given
        rooms[1][3] = "25.00"  # the same area written otherwise
        rooms[2][4] = 12
        summary = import_now(world.users["street_admin"], workbook(sites, rooms, costs))
        assert (summary["updated"], summary["unchanged"], summary["created"]) == (1, 6, 0)
        event = AuditEvent.objects.get(action="registry.room.updated")
        assert event.changes == {"capacity": [10, 12]}


@pytest.mark.django_db
def test_the_template_offers_every_allowed_value_as_a_drop_down_and_in_the_guide(client, world):
    client.force_login(world.users["street_admin"])
    response = client.get("/excel/registry.workbook/template/")
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("社区服务用房台账_填写模板.xlsx")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["场所", "房间", "费用", "填写说明"]  # every list is short enough to sit in its drop-down

    def drop_down(sheet, header):
        letter = next(c.column_letter for c in book[sheet][1] if c.value == header)
        validation = next(v for v in book[sheet].data_validations.dataValidation if str(v.sqref).startswith(f"{letter}2"))
        assert validation.type == "list" and str(validation.sqref) == f"{letter}2:{letter}1048576"
        return validation.formula1.strip('"').split(",")

    assert drop_down("场所", "产权来源") == ["街道自有", "租赁", "借用", "混合产权"]
    assert drop_down("场所", "场所类型")[:3] == ["党群服务中心", "邻里中心", "社区服务站"]
    assert drop_down("场所", "所属社区或街道") == ["甲市一区一街", "甲市一区一街一社", "甲市一区一街二社"]  # the street's own, by name
    assert "老年食堂（长者食堂）" in drop_down("房间", "功能") and "调解室" in drop_down("房间", "功能")
    assert drop_down("费用", "支付方") == ["街道", "社区", "运营机构", "其他"]
    guide = [[c.value for c in row] for row in book["填写说明"].iter_rows()]
    assert ["场所", "产权来源", "街道自有", "街道自有产权、街道自有资产、自有、自有产权、自有资产"] in [r[:4] for r in guide]
    assert ["场所", "产权来源", "租赁", "租用、租赁用房、承租、租房"] in [r[:4] for r in guide]
    assert ["场所", "所属社区或街道", "甲市一区一街二社", None] in [r[:4] for r in guide]
    assert any(r[:3] == ["房间", "功能", "老年食堂（长者食堂）"] and "长者食堂" in r[3] for r in guide)
    assert guide[9][:4] == ["场所", "建筑面积（平方米）", "是", "数字"]


@pytest.mark.django_db
def test_every_value_the_guide_lists_is_read_as_its_choice(world):
    """Each alias the template teaches imports as the value it stands for."""
    buffer = io.BytesIO()
    write_template(buffer, REGISTERS["registry.workbook"], user=world.users["street_admin"])
    guide = load_workbook(buffer)["填写说明"]
    columns = {str(c.header): c for part in REGISTERS["registry.workbook"].sheets for c in part.columns}
    rows = [row[:4] for row in guide.iter_rows(values_only=True)]
    values = rows[next(n for n, row in enumerate(rows) if row[2] == "可填的值") + 1:]
    checked = 0
    for _sheet, header, value, aliases in values:
        column = columns[header]
        if column.vocabulary is None:
            continue
        for alias in (aliases or "").split("、"):
            if alias:
                assert column.parse(alias) == column.parse(value), (header, alias)
                checked += 1
    assert checked > 40
