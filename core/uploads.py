"""Files people upload — photos, scans, evidence — taken in and served back safely.

Nothing is stored as the uploader sent it. A photo is decoded and written again as a JPEG: that
drops anything hidden after the image data (a page, a script) and the EXIF block with the
phone's GPS position, turns it upright and caps its size. A document must be a PDF, JPEG or PNG
by its first bytes (images among them are re-encoded like photos). Every file gets a random name
with our extension, never the uploader's.

Served files carry the content type of that extension, ``nosniff`` and a sandboxing
Content-Security-Policy, so no upload can ever run as a page of the site; anything that is not a
picture is sent as a download.
"""

import io
import logging
import secrets
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import NotFound, ValidationFailed

logger = logging.getLogger(__name__)

PHOTO_FORMATS = {"JPEG", "PNG", "WEBP"}
PDF_MAGIC = b"%PDF-"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf"}
SHOWN_INLINE = {"image/jpeg", "image/png", "image/webp"}
SANDBOX = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"


def _refuse(field: str, message, code: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _check_size(upload, max_mb: int, field: str, message, code: str) -> None:
    if upload.size > max_mb * 1024 * 1024:
        raise _refuse(field, message % {"mb": max_mb}, code)


def _decoded(upload, field: str) -> Image.Image:
    """The upload's picture, fully decoded; refused if it is not a JPEG, PNG or WebP image."""
    not_a_photo = _("This file is not a photo (JPEG, PNG or WebP).")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            probe.verify()
            if probe.format not in PHOTO_FORMATS:
                raise _refuse(field, not_a_photo, "not_a_photo")
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise _refuse(field, not_a_photo, "not_a_photo") from None
    finally:
        upload.seek(0)
    return image


def _as_jpeg(image: Image.Image) -> ContentFile:
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flattened = Image.new("RGB", image.size, "white")
        flattened.paste(image, mask=image.getchannel("A"))
        image = flattened
    elif image.mode != "RGB":
        image = image.convert("RGB")
    side = settings.UPLOAD_PHOTO_MAX_SIDE
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: the metadata stays behind
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(8)}.jpg")


def photo_from_upload(upload, *, max_mb: int | None = None, field: str = "photo") -> ContentFile:
    """A clean JPEG of an uploaded photo, ready for ``FieldFile.save(content.name, content)``."""
    max_mb = max_mb or settings.UPLOAD_PHOTO_MAX_MB
    _check_size(upload, max_mb, field, _("A photo may be at most %(mb)s MB."), "photo_too_large")
    return _as_jpeg(_decoded(upload, field))


def document_from_upload(upload, *, max_mb: int | None = None, field: str = "document") -> ContentFile:
    """An uploaded scan as we keep it: a PDF as sent, a JPEG/PNG/WebP re-encoded; anything else refused."""
    max_mb = max_mb or settings.UPLOAD_DOCUMENT_MAX_MB
    _check_size(upload, max_mb, field, _("A file may be at most %(mb)s MB."), "file_too_large")
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return ContentFile(upload.read(), name=f"{secrets.token_hex(8)}.pdf")
    try:
        return _as_jpeg(_decoded(upload, field))
    except ValidationFailed:
        raise _refuse(field, _("A scan must be a PDF or a photo (JPEG, PNG or WebP)."), "not_a_document") from None


# An Excel workbook (.xlsx) is a zip holding at least these parts. Its parts unpacked may not pass
# WORKBOOK_MAX_UNPACKED (a real register unpacks to some ten times its size; a zip bomb to thousands).
WORKBOOK_PARTS = {"[Content_Types].xml", "xl/workbook.xml"}
WORKBOOK_MAX_UNPACKED = 1024 * 1024 * 1024
WORKBOOK_MAX_RATIO = 400


def workbook_check(upload, *, max_mb: int, field: str = "file") -> None:
    """Refuse an upload that is not really an Excel workbook (.xlsx) — by its content, not its name: a zip
    holding a workbook, of at most ``max_mb``, that does not unpack to more than a workbook could."""
    not_a_workbook = _("Upload an Excel workbook (.xlsx).")
    _check_size(upload, max_mb, field, _("A file may be at most %(mb)s MB."), "file_too_large")
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse(field, not_a_workbook, "not_a_workbook") from None
    finally:
        upload.seek(0)
    if not {part.filename for part in parts} >= WORKBOOK_PARTS:
        raise _refuse(field, not_a_workbook, "not_a_workbook")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > WORKBOOK_MAX_UNPACKED or any(
            part.file_size > WORKBOOK_MAX_RATIO * max(part.compress_size, 1024) for part in parts):
        raise _refuse(field, _("This workbook unpacks to far more than a register holds; it is refused."), "workbook_too_large")


def open_stored(field_file):
    """A stored file opened for reading, or ``NotFound`` (a 404, never a 500) when its record names a file
    the storage no longer holds (deleted by hand, lost with a disk, not restored, not yet copied to the
    object store) or none at all."""
    if not field_file:
        raise NotFound()
    try:
        return field_file.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        logger.warning("The stored file %s of a record is missing", field_file.name)
        raise NotFound(_("The file is missing from the store.")) from None


def serve_upload(field_file, *, download_name: str | None = None) -> FileResponse:
    """Send a stored upload back: pictures shown inline, everything else as a download, all sandboxed;
    a file that is missing is a 404."""
    extension = field_file.name.rsplit(".", 1)[-1].lower() if "." in (field_file.name or "") else ""
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    inline = content_type in SHOWN_INLINE
    filename = download_name or (field_file.name or "").rsplit("/", 1)[-1]
    response = FileResponse(open_stored(field_file), content_type=content_type, as_attachment=not inline, filename=filename)
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    return response
