"""API shapes of Excel jobs."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from .models import ExcelJob


class RegisterOut(Schema):
    name: str
    title: str
    can_import: bool
    columns: list[str]


class ExcelJobOut(Schema):
    id: int
    title: str
    direction: ExcelJob.Direction
    register_name: str = Field(..., alias="register")
    status: ExcelJob.Status
    progress: int
    rows_total: int
    rows_done: int
    errors: list[dict[str, Any]]
    summary: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None = None
    download_url: str | None = None

    @staticmethod
    def resolve_progress(obj) -> int:
        return obj.live_progress()["progress"]

    @staticmethod
    def resolve_rows_done(obj) -> int:
        return obj.live_progress()["rows_done"]

    @staticmethod
    def resolve_download_url(obj) -> str | None:
        if obj.status in (ExcelJob.Status.DONE, ExcelJob.Status.FAILED) and obj.result:
            return f"/api/v1/excel/jobs/{obj.pk}/download"
        return None


class ExportIn(Schema):
    register_name: str
    params: dict[str, Any] = {}
