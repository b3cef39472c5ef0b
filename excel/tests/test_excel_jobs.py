"""Excel registers end to end: template, export and import through the real task worker."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from audit.models import AuditEvent
from excel import services
from excel.models import ExcelJob
from org.models import Division

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
        ])
        events_before = AuditEvent.objects.count()
        job = self._import(world.users["supervisor"], content, django_capture_on_commit_callbacks, settings)
        assert job.status == "failed"
        assert {e["row"] for e in job.errors} == {3, 4, 5}
        assert len([e for e in job.errors if e["row"] == 5]) == 3
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
