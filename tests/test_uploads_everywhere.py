"""Every upload is checked by its content and its size before anything is stored.

The inventory below names every file field of a form, every file in an API body and every view that
reads ``request.FILES`` itself, with the check it goes through: ``core.uploads`` (photos re-encoded,
documents by their first bytes, workbooks by their zip) or a check of its own kind of content (a rule
pack as UTF-8 TOML, a PBF by its header, points as text). A new upload fails here until it is listed
with its check; each check is looked for where the inventory says it is made.
"""

import importlib
import inspect
import io
import json
import os
import re
import zipfile

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile

from config.api import api
from core.errors import ValidationFailed
from core.uploads import workbook_check
from excel.models import ExcelJob
from tests.test_settings import ROOT

# Where each upload goes, as (the file that checks it, the check as written there).
PHOTO = "photo_from_upload("
DOCUMENT = "document_from_upload("
UPLOADS = {
    "excel.forms.ImportForm.file": ("excel/services.py", "workbook_check("),
    "rulepack.forms.PackForm.upload": ("rulepack/forms.py", "MAX_PACK_FILE"),  # 512 KB of UTF-8, then TOML, rule by rule
    "registry.forms.PhotoForm.image": ("registry/services/sites.py", PHOTO),
    "registry.forms.SignForm.photo": ("registry/services/signs.py", PHOTO),
    "registry.forms.SignRemovalForm.photo": ("registry/services/signs.py", PHOTO),
    "funds.forms.EvidenceForm.file": ("funds/services.py", DOCUMENT),
    "operations.forms.MilestoneDecisionForm.evidence_file": ("operations/services/fundings.py", DOCUMENT),
    "operations.forms.QualificationForm.document": ("operations/services/base.py", DOCUMENT),
    "operations.forms.ReportForm.photos": ("operations/services/reports.py", PHOTO),
    "planning.forms.NetworkForm.file": ("planning/services/networks.py", "check_pbf("),  # 512 MB, an OSM PBF header
    "planning.forms.DemandForm.file": ("planning/services/demand.py", "MAX_UPLOAD_BYTES"),  # 50 MB of CSV/GeoJSON text
    "planning.forms.ScenarioForm.file": ("planning/services/candidates.py", "MAX_UPLOAD_BYTES"),
    "neighbourhood.forms.FeedbackForm.photo": ("neighbourhood/services/feedback.py", PHOTO),
    "supervision.forms.AnswerForm.evidence": ("supervision/services/rectifications.py", DOCUMENT),
    "supervision.forms.ManualItemForm.evidence": ("supervision/services/assessments.py", DOCUMENT),
    # API operations with a file in their body.
    "api:excel_api_start_import": ("excel/services.py", "workbook_check("),
    "api:registry_api_add_photo": ("registry/services/sites.py", PHOTO),
    "api:registry_api_remove_sign": ("registry/services/signs.py", PHOTO),
    "api:planning_api_import_network": ("planning/services/networks.py", "check_pbf("),
    "api:planning_api_create_demand": ("planning/services/demand.py", "MAX_UPLOAD_BYTES"),
    # Views reading request.FILES without a form.
    "files:supervision/views.py": ("supervision/services/inspections.py", PHOTO),  # inspection photos
    "files:neighbourhood/open311.py": ("neighbourhood/services/feedback.py", PHOTO),  # Open311's media
}
# Views that hand request.FILES to one of the forms above.
FORM_VIEWS = {"funds/views.py", "planning/views.py", "rulepack/views.py", "registry/views.py", "neighbourhood/views.py",
              "operations/views.py", "excel/views.py", "supervision/views.py", "core/forms.py"}


def _uploads_found() -> set[str]:
    found = set()
    for app in apps.get_app_configs():
        if not app.path.startswith(str(ROOT)):
            continue
        try:
            module = importlib.import_module(f"{app.name}.forms")
        except ModuleNotFoundError:
            continue
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found |= {f"{module.__name__}.{name}.{field}" for field, kind in cls.base_fields.items()
                          if isinstance(kind, forms.FileField)}
    for item in api.get_openapi_schema(path_prefix="/api/")["paths"].values():
        for operation in item.values():
            if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
                found.add(f"api:{operation['operationId']}")
    for path in ROOT.glob("*/*.py"):
        relative = str(path.relative_to(ROOT))
        if relative.startswith((".venv", "node_modules", "tests")) or "/tests/" in relative:
            continue
        if re.search(r"request\.FILES\.get\(|request\.FILES\[", path.read_text()) and relative not in FORM_VIEWS - {"supervision/views.py"}:
            found.add(f"files:{relative}")
    return found


def test_every_upload_is_listed_with_its_check():
    found = _uploads_found()
    assert found - set(UPLOADS) == set(), "uploads without a check listed here"
    assert set(UPLOADS) - found == set(), "listed uploads that no longer exist"
    for upload, (where, check) in UPLOADS.items():
        assert check in (ROOT / where).read_text(), f"{upload}: {check} is not in {where}"


def _zip(parts: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return SimpleUploadedFile("登记表.xlsx", buffer.getvalue())


WORKBOOK = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"<worksheet/>"}


def test_a_workbook_is_a_zip_holding_a_workbook_of_a_sensible_size():
    workbook_check(_zip(WORKBOOK), max_mb=1)
    for upload in (SimpleUploadedFile("x.xlsx", b"PK\x03\x04 not really a zip"), _zip({"word/document.xml": b"<w/>"}),
                   SimpleUploadedFile("x.xlsx", b"<html><script>alert(1)</script></html>")):
        with pytest.raises(ValidationFailed) as refused:
            workbook_check(upload, max_mb=1)
        assert refused.value.code == "not_a_workbook"
    bomb = _zip({**WORKBOOK, "xl/worksheets/sheet1.xml": b"0" * (20 * 1024 * 1024)})
    with pytest.raises(ValidationFailed) as refused:
        workbook_check(bomb, max_mb=1)
    assert refused.value.code == "workbook_too_large"
    with pytest.raises(ValidationFailed) as refused:
        workbook_check(_zip({**WORKBOOK, "xl/media/photo.jpg": os.urandom(1_200_000)}), max_mb=1)
    assert refused.value.code == "file_too_large"


@pytest.mark.django_db
def test_an_import_that_is_no_workbook_is_refused_before_anything_is_stored(client, world):
    client.force_login(world.users["street_admin"])
    for upload in (_zip({"[Content_Types].xml": b"<Types/>", "payload.html": b"<script>alert(1)</script>"}),
                   _zip({**WORKBOOK, "xl/worksheets/sheet1.xml": b"0" * (20 * 1024 * 1024)})):
        answer = client.post("/api/v1/excel/imports", {"register_name": "org.divisions", "file": upload})
        assert answer.status_code == 422, answer.content
        assert "file" in json.loads(answer.content)["fields"]
    assert not ExcelJob.objects.exists()


@pytest.mark.django_db
def test_a_network_upload_that_is_no_pbf_is_refused(client, world):
    client.force_login(world.users["street_admin"])
    answer = client.post("/api/v1/planning/networks", {"division": world.node("甲市一区一街").code, "name": "路网",
                                                       "file": SimpleUploadedFile("city.osm.pbf", b"<html>not a map</html>")})
    assert answer.status_code == 422 and "file" in answer.json()["fields"]
