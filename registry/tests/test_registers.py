"""The register as Excel: a whole workbook in, all or nothing, and back out."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from excel import services as excel_services
from registry.models import Cost, Room, Site

SITE_HEADER = ["场所编号", "所属社区或街道代码", "场所名称", "场所类型", "建筑面积（平方米）", "首层面积（平方米）",
               "沿街独立出入口", "开放时间", "产权性质", "产权来源", "产权人或出租方", "租期起", "租期止", "年租金（元）"]
ROOM_HEADER = ["场所编号", "房间名称", "楼层", "面积（平方米）", "容纳人数", "用途", "功能"]
COST_HEADER = ["场所编号", "房间名称", "年度", "费用类别", "金额（元）", "支付方"]


def workbook(sites, rooms, costs) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in (("场所", SITE_HEADER, sites), ("房间", ROOM_HEADER, rooms), ("费用", COST_HEADER, costs)):
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
        assert job.summary["created"] == 7
        centre = Site.objects.get(code=f"{world.node('甲市一区一街一社').code}-S01")
        assert centre.opening_hours["1"] == [["08:30", "17:30"]] and centre.independent_entrance
        canteen = Site.objects.get(name="二社长者食堂")
        assert canteen.code == f"{world.node('甲市一区一街二社').code}-S01" and canteen.annual_rent == Decimal("48000")
        hall = Room.objects.get(name="党群服务大厅")
        assert set(hall.functions.values_list("code", flat=True)) == {"party_hall", "service_window"}
        assert Cost.objects.count() == 2
        assert AuditEvent.objects.filter(action="registry.room.created", note="import").count() == 3

    def test_one_bad_row_anywhere_writes_nothing_and_every_bad_row_is_reported(self, world, django_capture_on_commit_callbacks, settings):
        sites, rooms, costs = good_rows(world)
        sites[1][8:10] = ["行政事业性国有资产", "租赁"]
        sites.append([None, "999999999999", "无主场所", "其他", 100, 0, "否", None, "其他", "街道自有", None, None, None, None])  # unknown code
        sites.append([None, world.node("甲市一区一街二社").code, "负面积", "其他", -5, 0, "否", None, "其他", "街道自有", None, None, None, None])
        sites.append([None, world.node("甲市一区一街二社").code, "怪产权", "其他", 50, 0, "否", None, "皇家", "街道自有", None, None, None, None])
        sites.append([None, world.node("甲市一区一街二社").code, "倒租期", "其他", 50, 0, "否", None, "其他", "租赁", "某人",
                      "2026-05-01", "2025-05-01", 100])
        sites.append([None, world.node("甲市一区一街二社").code, "坏日期", "其他", 50, 0, "否", None, "其他", "租赁", "某人",
                      "去年春天", "2027-05-01", 100])
        rooms.append([f"{world.node('甲市一区一街一社').code}-S01", "调解室", 1, 20, 5, "服务", None])  # duplicate room
        rooms.append([f"{world.node('甲市一区一街一社').code}-S01", "巨厅", 1, 5000, 5, "服务", None])  # larger than its site
        job = run_import(world.users["street_admin"], workbook(sites, rooms, costs), django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        by_sheet = {}
        for error in job.errors:
            by_sheet.setdefault(error["sheet"], set()).add(error["row"])
        assert by_sheet["场所"] == {4, 5, 6, 7, 8}
        assert by_sheet["房间"] == {5, 6}
        assert not Site.objects.exists() and not Room.objects.exists() and not Cost.objects.exists()
        messages = " ".join(e["message"] for e in job.errors)
        assert "999999999999" in messages

    def test_rows_of_another_street_are_refused(self, world, django_capture_on_commit_callbacks, settings):
        other = world.node("甲市一区二街一社").code
        sites = [[None, other, "越界", "其他", 100, 0, "否", None, "其他", "街道自有", None, None, None, None]]
        job = run_import(world.users["street_admin"], workbook(sites, [], []), django_capture_on_commit_callbacks, settings)
        assert job.status == "failed" and not Site.objects.exists()

    def test_what_is_exported_imports_again_unchanged(self, world, django_capture_on_commit_callbacks, settings):
        sites, rooms, costs = good_rows(world)
        sites[1][8:10] = ["行政事业性国有资产", "租赁"]
        run_import(world.users["street_admin"], workbook(sites, rooms, []), django_capture_on_commit_callbacks, settings)
        with django_capture_on_commit_callbacks(execute=True):
            export = excel_services.excel_export_start(actor=world.users["street_admin"], register_name="registry.workbook")
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
        export.refresh_from_db()
        assert export.status == "done", export.errors
        book = load_workbook(export.result.open("rb"))
        assert book.sheetnames == ["场所", "房间", "费用"]
        assert book["房间"].max_row == 4
        again = run_import(world.users["street_admin"], export.result.open("rb").read(), django_capture_on_commit_callbacks, settings)
        assert again.status == "done", again.errors
        assert again.summary["updated"] == 5 and again.summary["created"] == 0
        assert Room.objects.count() == 3

    def test_a_200_mb_upload_is_refused_before_it_is_read(self, client, world):
        client.force_login(world.users["street_admin"])
        response = client.post("/api/v1/excel/imports", data=b"x", content_type="multipart/form-data; boundary=x",
                               CONTENT_LENGTH=str(200 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json()["code"] == "too_large"
