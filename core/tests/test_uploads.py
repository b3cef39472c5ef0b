"""Uploads are re-encoded, renamed and served sandboxed: a photo can never carry a page or a position."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.errors import ValidationFailed
from core.uploads import document_from_upload, photo_from_upload, serve_upload
from tests.images import png_bytes

PAGE = b"<html><script>alert(document.cookie)</script></html>"


def jpeg_with_position() -> bytes:
    """A JPEG whose EXIF says where it was taken (GPS latitude 24.5 N) and that it lies on its side."""
    image = Image.new("RGB", (40, 20), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    exif.get_ifd(0x8825).update({1: "N", 2: (24.0, 30.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


class TestPhotos:
    def test_a_page_hidden_behind_a_png_is_not_kept(self):
        upload = SimpleUploadedFile("evil.html", png_bytes(32, 32) + PAGE, content_type="text/html")
        clean = photo_from_upload(upload)
        assert clean.name.endswith(".jpg") and "evil" not in clean.name
        data = clean.read()
        assert data.startswith(b"\xff\xd8\xff") and b"<script" not in data

    def test_the_position_is_dropped_and_the_photo_turned_upright(self):
        clean = photo_from_upload(SimpleUploadedFile("me.jpg", jpeg_with_position()))
        with Image.open(io.BytesIO(clean.read())) as image:
            assert not image.getexif().get_ifd(0x8825) and image.size == (20, 40)

    def test_a_huge_photo_is_kept_at_a_sensible_size(self, settings):
        settings.UPLOAD_PHOTO_MAX_SIDE = 100
        clean = photo_from_upload(SimpleUploadedFile("big.png", png_bytes(400, 300)))
        with Image.open(io.BytesIO(clean.read())) as image:
            assert image.size == (100, 75)

    @pytest.mark.parametrize("content", [b"not a picture at all", PAGE, b"GIF89a" + b"\x00" * 40])
    def test_what_is_not_a_photo_is_refused_in_chinese(self, content):
        with pytest.raises(ValidationFailed) as refused:
            photo_from_upload(SimpleUploadedFile("x.png", content), field="image")
        assert refused.value.code == "not_a_photo" and "不是照片" in str(refused.value.fields["image"][0])

    def test_an_oversize_photo_is_refused_before_it_is_read(self):
        with pytest.raises(ValidationFailed) as refused:
            photo_from_upload(SimpleUploadedFile("x.png", png_bytes() + b"\x00" * (1024 * 1024 + 1)), max_mb=1)
        assert refused.value.code == "photo_too_large" and "1" in str(refused.value.message)


class TestDocuments:
    def test_a_pdf_is_kept_as_a_pdf_under_our_name(self):
        clean = document_from_upload(SimpleUploadedFile("合同.pdf", b"%PDF-1.7\n1 0 obj\n"))
        assert clean.name.endswith(".pdf") and clean.read().startswith(b"%PDF-")

    def test_a_photographed_scan_is_re_encoded(self):
        assert document_from_upload(SimpleUploadedFile("scan.png", png_bytes())).name.endswith(".jpg")

    def test_a_page_posing_as_a_document_is_refused(self):
        with pytest.raises(ValidationFailed) as refused:
            document_from_upload(SimpleUploadedFile("scan.pdf", PAGE))
        assert refused.value.code == "not_a_document" and "PDF" in str(refused.value.message)


@pytest.mark.django_db
class TestServing:
    def _stored(self, name: str, content: bytes):
        from funds.models import Evidence

        field = Evidence._meta.get_field("file")
        holder = Evidence()
        stored = field.attr_class(holder, field, None)
        stored.save(name, ContentFile(content), save=False)
        return stored

    def test_a_photo_is_shown_inline_and_sandboxed(self):
        response = serve_upload(self._stored("a.jpg", b"\xff\xd8\xff"))
        assert response["Content-Type"] == "image/jpeg" and "sandbox" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith("inline")

    def test_a_file_of_any_other_kind_only_downloads(self):
        response = serve_upload(self._stored("old.html", PAGE))
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
