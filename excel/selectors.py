"""Reading Excel jobs and the registers a user may export or import."""

from django.db.models import QuerySet

from accounts.permissions import holds_any
from core.errors import NotFound

from .models import ExcelJob
from .registers import REGISTERS, Register, get_register


def registers_for(*, user) -> list[Register]:
    return [reg for reg in REGISTERS.values() if holds_any(user, reg.permission)]


def register_get(*, user, name: str) -> Register:
    """A register the user may export or import (its permission is held somewhere); else 404."""
    reg = get_register(name)
    if not holds_any(user, reg.permission):
        raise NotFound()
    return reg


def excel_job_list(*, user) -> QuerySet[ExcelJob]:
    """A user's own jobs: nobody sees another person's imports and exports."""
    return ExcelJob.objects.filter(requested_by=user).order_by("-created_at", "-id")


def excel_job_get(*, user, pk: int) -> ExcelJob:
    job = ExcelJob.objects.filter(requested_by=user, pk=pk).first()
    if job is None:
        raise NotFound()
    return job
