"""Starting Excel imports and exports. The worker runs them (excel.tasks.excel_job_run).

The caller has checked that the actor holds the register's permission.
"""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.permissions import active_roles
from core.errors import ValidationFailed
from core.uploads import workbook_check
from org.models import Division

from .models import ExcelJob
from .registers import MAX_UPLOAD_BYTES, check_upload, get_register
from .tasks import excel_job_run


def _job_language() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _scope_name(actor, params: dict) -> str:
    """Whose register a job holds, by name: the division asked for, else the requester's own place."""
    if params.get("within"):
        name = Division.objects.filter(code=str(params["within"])).values_list("name", flat=True).first()
        if name:
            return name
    for role in active_roles(actor):
        place = role.division or role.organisation
        if place is not None:
            return place.name
    return ""


def excel_export_start(*, actor, register_name: str, params: dict | None = None) -> ExcelJob:
    """Queue an export of a register, as the actor can see it."""
    reg = get_register(register_name)
    if reg.check_params is not None:
        reg.check_params(user=actor, params=params or {})
    with transaction.atomic():
        job = ExcelJob.objects.create(
            requested_by=actor, direction=ExcelJob.Direction.EXPORT, register=reg.name, params=params or {},
            language=_job_language(), scope_name=_scope_name(actor, params or {}),
        )
        transaction.on_commit(lambda: excel_job_run.enqueue(job.pk))
    return job


def excel_import_start(*, actor, register_name: str, upload, params: dict | None = None) -> ExcelJob:
    """Store an uploaded workbook and queue its import; nothing is written to the register yet."""
    reg = get_register(register_name)
    if not reg.can_import:
        raise ValidationFailed(fields={"register": [_("This register cannot be imported.")]})
    head = upload.read(4)
    upload.seek(0)
    check_upload(upload.name, upload.size, head)
    workbook_check(upload, max_mb=MAX_UPLOAD_BYTES // (1024 * 1024))  # a real workbook by its content, not a zip bomb
    with transaction.atomic():
        job = ExcelJob(requested_by=actor, direction=ExcelJob.Direction.IMPORT, register=reg.name, params=params or {},
                       language=_job_language(), scope_name=_scope_name(actor, params or {}))
        job.upload.save(upload.name, upload, save=False)
        job.save()
        transaction.on_commit(lambda: excel_job_run.enqueue(job.pk))
    return job
