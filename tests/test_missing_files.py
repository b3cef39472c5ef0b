"""A record whose stored file is gone (deleted by hand, lost with a disk, not restored) answers 404 —
on its page and in the API — never a 500.

Each case opens the file first (200, so the address and the reader are right), removes it from the
storage behind the record's back, and opens it again.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from excel.models import ExcelJob
from funds.models import Evidence
from neighbourhood.models import FeedbackRequest
from operations.models import ReportPhoto
from registry.models import Photo
from tests import authz
from tests.images import png_bytes

pytestmark = pytest.mark.django_db

HOME = "甲市一区一街一社"


def _gone_then_404(client, field_file, *urls):
    for url in urls:
        first = client.get(url)
        assert first.status_code == 200, f"{url}: {first.status_code}"
        if getattr(first, "streaming", False):
            b"".join(first.streaming_content)  # read to the end: the test client then closes the file
    default_storage.delete(field_file.name)
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 404, f"{url} with its file gone: {answer.status_code}"
        if url.startswith("/api/"):
            assert answer.json()["code"] == "not_found"


def test_a_site_photo_whose_file_is_gone(client, world):
    client.force_login(world.users["city_supervisor"])
    photo = Photo.objects.get(pk=authz._photo_at(world, world.node(HOME)))
    _gone_then_404(client, photo.image, f"/registry/photos/{photo.pk}/", f"/api/v1/registry/photos/{photo.pk}")


def test_a_fund_evidence_scan_whose_file_is_gone(client, world):
    evidence = Evidence.objects.get(pk=authz._fund_evidence_at(world, world.node(HOME)))
    client.force_login(world.users["city_supervisor"])
    _gone_then_404(client, evidence.file, f"/funds/evidence/{evidence.pk}/scan")


def test_a_report_photo_whose_file_is_gone(client, world):
    photo = ReportPhoto.objects.get(pk=authz._report_photo_at(world, world.node(HOME)))
    client.force_login(world.users["city_supervisor"])
    _gone_then_404(client, photo.image, f"/operations/files/report-photos/{photo.pk}/")


def test_a_feedback_photo_whose_file_is_gone(client, world):
    from neighbourhood import services

    item = services.feedback_submit(actor=world.users["resident"], category="noise", description="夜间施工", public=True,
                                    photo=SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"))
    item = FeedbackRequest.objects.get(pk=item.pk)
    client.force_login(world.users["resident"])
    _gone_then_404(client, item.photo, f"/neighbourhood/feedback/{item.pk}/photo/", f"/open311/v2/media/{item.pk}")


def test_an_exported_workbook_whose_file_is_gone(client, world):
    user = world.users["street_admin"]
    job = ExcelJob.objects.create(requested_by=user, direction="export", register="org.divisions", status="done")
    job.result.save("divisions.xlsx", ContentFile(b"PK\x03\x04 workbook"))
    client.force_login(user)
    _gone_then_404(client, job.result, f"/excel/jobs/{job.pk}/download/", f"/api/v1/excel/jobs/{job.pk}/download")
