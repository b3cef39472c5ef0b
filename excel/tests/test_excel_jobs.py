"""Excel registers end to end: template, export and import through the real task worker."""

import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from excel import services
from excel.models import ExcelJob
from excel.tests.roundtrip import assert_reimport_changes_nothing
from org.models import Division, Organisation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def run_worker():
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def workbook_bytes(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name="divisions.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


HEADER = ["区划代码", "名称", "上级代码", "人口", "户数", "社区类型", "纬度", "经度"]


# The worker closes its database connection after each task, as it should; only a test whose
# data is committed (transaction=True) survives that on PostgreSQL.
@pytest.mark.django_db(transaction=True)
class TestExport:
    def test_an_export_runs_in_the_worker_and_holds_what_the_user_can_see(self, world, django_capture_on_commit_callbacks, settings):
        settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
        with django_capture_on_commit_callbacks(execute=True):
            job = services.excel_export_start(actor=world.users["street_admin"], register_name="org.divisions")
        assert ExcelJob.objects.get(pk=job.pk).status == "queued"
        run_worker()
        job.refresh_from_db()
        assert job.status == "done", job.errors
        assert job.progress == 100 and job.summary == {"rows": 5}
        sheet = load_workbook(job.result.open("rb"), read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0] == tuple(HEADER)
        assert [r[1] for r in rows[1:]] == ["甲市一区一街", "甲市一区一街一社", "甲市一区一街一社一格", "甲市一区一街二社", "甲市一区一街二社一格"]
        assert rows[2][5] == "老旧小区"

    def test_the_download_is_the_requesters_alone(self, client, world, django_capture_on_commit_callbacks, settings):
        settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
        with django_capture_on_commit_callbacks(execute=True):
            job = services.excel_export_start(actor=world.users["street_admin"], register_name="org.divisions")
        run_worker()
        client.force_login(world.users["supervisor"])
        assert client.get(f"/api/v1/excel/jobs/{job.pk}/download").status_code == 404
        client.force_login(world.users["street_admin"])
        response = client.get(f"/api/v1/excel/jobs/{job.pk}/download")
        assert response.status_code == 200
        assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0].max_row == 6

    def test_an_export_is_named_in_chinese_and_downloads_under_that_name(self, client, world, django_capture_on_commit_callbacks,
                                                                         settings):
        settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
        with django_capture_on_commit_callbacks(execute=True):
            job = services.excel_export_start(actor=world.users["street_admin"], register_name="org.divisions")
        run_worker()
        job.refresh_from_db()
        assert job.title == f"行政区划导出 · 甲市一区一街 · {timezone.localtime(job.created_at):%Y-%m-%d %H:%M}"
        assert job.download_name == f"甲市一区一街_行政区划_{timezone.localtime(job.finished_at):%Y%m%d}.xlsx"
        client.force_login(world.users["street_admin"])
        for url in (f"/excel/jobs/{job.pk}/download/", f"/api/v1/excel/jobs/{job.pk}/download"):
            assert client.get(url)["Content-Disposition"] == "attachment; filename*=utf-8''" + quote(job.download_name)
        page = client.get("/excel/").content.decode()
        assert f">{job.title}</a>" in page and "org.divisions<" not in page
        assert client.get("/api/v1/excel/jobs").json()["items"][0]["title"] == job.title
        within = services.excel_export_start(actor=world.users["street_admin"], register_name="org.divisions",
                                             params={"within": world.node("甲市一区一街一社").code})
        assert within.title.startswith("行政区划导出 · 甲市一区一街一社 · ")

    def test_the_template_has_chinese_headers_and_a_notes_sheet(self, client, world):
        client.force_login(world.users["supervisor"])
        response = client.get("/api/v1/excel/registers/org.divisions/template")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in book.worksheets[0][1]] == HEADER
        assert book.sheetnames[1] == "填写说明"


@pytest.mark.django_db(transaction=True)
class TestImport:
    def _import(self, actor, content, django_capture_on_commit_callbacks, settings, name="divisions.xlsx"):
        settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
        with django_capture_on_commit_callbacks(execute=True):
            job = services.excel_import_start(actor=actor, register_name="org.divisions", upload=upload(content, name))
        run_worker()
        job.refresh_from_db()
        return job

    def test_a_good_file_creates_and_updates_in_one_go(self, world, django_capture_on_commit_callbacks, settings):
        street = world.node("甲市一区一街")
        content = workbook_bytes([
            HEADER,
            ["350101001003", "三社", street.code, 3000, 1100, "新建商品房小区", 24.51, 118.11],
            [350101001004, "四社", int(street.code), "4,000", 1500, "village in city", None, None],
            ["350101001003-01", "三社一格", "350101001003", 800, 300, None, None, None],
            ["350101001001", "甲市一区一街一社", street.code, 1234, 500, "老旧小区", None, None],
        ])
        job = self._import(world.users["supervisor"], content, django_capture_on_commit_callbacks, settings)
        assert job.status == "done", job.errors
        assert (job.summary["created"], job.summary["updated"], job.summary["rows"]) == (3, 1, 4)
        assert Division.objects.get(code="350101001004").community_type == "urban_village"
        assert Division.objects.get(code="350101001003-01").parent.code == "350101001003"
        assert Division.objects.get(code="350101001001").population == 1234

    def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(self, world, django_capture_on_commit_callbacks, settings):
        street = world.node("甲市一区一街")
        content = workbook_bytes([
            HEADER,
            ["350101001003", "三社", street.code, 3000, 1100, None, None, None],   # fine
            ["350101001004", "四社", street.code, -5, 1100, None, None, None],       # negative population
            ["350101001005", "五社", "999999999999", 10, 5, None, None, None],       # unknown parent
            ["350101001006", "", street.code, "many", 5, "火星", None, None],       # no name, not a number, bad type
            ["350101001007", "七社", "999999999998", "许多", 5, None, None, None],   # not a number and an unknown parent
        ])
        events_before = AuditEvent.objects.count()
        job = self._import(world.users["supervisor"], content, django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        assert {e["row"] for e in job.errors} == {3, 4, 5, 6}
        assert len([e for e in job.errors if e["row"] == 5]) == 3
        assert {(e["column"], e["message"]) for e in job.errors if e["row"] == 6} == {
            ("人口", "请输入整数。"), ("上级代码", "未知上级代码：999999999998")}
        assert job.summary == {"rows": 5, "valid": 1, "invalid": 4, "sheets": {"org.divisions": {"rows": 5}}}
        assert not Division.objects.filter(code__in=["350101001003", "350101001004", "350101001005"]).exists()
        assert AuditEvent.objects.count() == events_before

    def test_rows_outside_the_users_scope_are_refused(self, world, django_capture_on_commit_callbacks, settings):
        outside = world.node("甲市二区一街")
        content = workbook_bytes([HEADER, ["350102001009", "越界", outside.code, 1, 1, None, None, None]])
        job = self._import(world.users["supervisor"], content, django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        assert not Division.objects.filter(code="350102001009").exists()

    def test_a_file_that_is_not_a_workbook_is_refused_before_it_is_stored(self, world, settings):
        settings.MEDIA_ROOT = settings.BASE_DIR / "var" / "test-media"
        from core.errors import ValidationFailed

        with pytest.raises(ValidationFailed):
            services.excel_import_start(actor=world.users["supervisor"], register_name="org.divisions",
                                        upload=upload(b"name,code\n", "divisions.csv"))
        with pytest.raises(ValidationFailed):
            services.excel_import_start(actor=world.users["supervisor"], register_name="org.divisions",
                                        upload=upload(b"not really a zip", "divisions.xlsx"))
        assert not ExcelJob.objects.exists()

    def test_an_oversized_upload_is_refused(self, client, world, settings, monkeypatch):
        monkeypatch.setattr("excel.registers.MAX_UPLOAD_BYTES", 1000)
        client.force_login(world.users["supervisor"])
        response = client.post("/api/v1/excel/imports", {"register_name": "org.divisions",
                                                          "file": upload(workbook_bytes([HEADER] * 200))})
        assert response.status_code == 422
        assert "file" in response.json()["fields"]
        assert not ExcelJob.objects.exists()

    def test_a_missing_column_rejects_the_file(self, world, django_capture_on_commit_callbacks, settings):
        job = self._import(world.users["supervisor"], workbook_bytes([["名称"], ["x"]]), django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        assert "区划代码" in job.errors[0]["message"]


@pytest.mark.django_db
def test_an_unchanged_export_of_divisions_and_organisations_imports_again_without_a_change(world):
    assert_reimport_changes_nothing("org.divisions", world.users["supervisor"], [Division])
    assert_reimport_changes_nothing("org.organisations", world.users["supervisor"], [Organisation])


@pytest.mark.django_db
def test_a_refused_imports_problems_are_listed_page_by_page_with_their_cells(client, world, django_assert_max_num_queries):
    errors = [{"sheet": "场所", "row": n, "column": "建筑面积（平方米）", "value": f"第{n}个", "message": "请输入数字。"}
              for n in range(2, 122)]
    job = ExcelJob.objects.create(requested_by=world.users["street_admin"], direction="import", register="registry.workbook",
                                  status="failed", errors=errors, scope_name="甲市一区一街",
                                  summary={"rows": 130, "valid": 10, "invalid": 120})
    client.force_login(world.users["street_admin"])
    first = client.get(f"/excel/jobs/{job.pk}/").content.decode()
    assert "读取 130 行：10 行无误，120 行有问题（下列 120 处）" in first
    assert first.count("请输入数字。") == 50 and ">第2个</td>" in first and ">第52个</td>" not in first
    last = client.get(f"/excel/jobs/{job.pk}/?page=3").content.decode()
    assert last.count("请输入数字。") == 20 and ">第121个</td>" in last
    for n in range(30):
        ExcelJob.objects.create(requested_by=world.users["street_admin"], direction="export", register="registry.workbook",
                                status="done", scope_name="甲市一区一街", summary={"rows": n})
    with django_assert_max_num_queries(12):
        page = client.get("/excel/").content.decode()
    assert page.count("社区服务用房台账导出 · 甲市一区一街 · ") == 20 and "共 31 条" in page
