"""The Excel import and export jobs that run in the background, with their progress and errors."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .progress import progress_get


class ExcelJob(models.Model):
    """One import or export of a register (台账) as an Excel workbook, run by the task worker."""

    class Direction(models.TextChoices):
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="excel_jobs"
    )
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    register = models.CharField(_("register"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Whose register it is, by name (中山街道): the division asked for, or the requester's own place.
    scope_name = models.CharField(_("whose register"), max_length=120, blank=True)
    # Headers, labels and messages are written in the language of the person who asked.
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    upload = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/", blank=True)
    result = models.FileField(_("result file"), upload_to="exports/%Y/%m/", blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Excel job")
        verbose_name_plural = _("Excel jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def register_title(self) -> str:
        from .registers import REGISTERS

        reg = REGISTERS.get(self.register)
        return str(reg.title) if reg is not None else self.register

    @property
    def title(self) -> str:
        """How a person names the job: 社区服务用房台账导入 · 中山街道 · 2026-12-01 14:05."""
        what = (gettext("%(register)s import") if self.direction == self.Direction.IMPORT
                else gettext("%(register)s export")) % {"register": self.register_title}
        when = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M") if self.created_at else ""
        return " · ".join(part for part in (what, self.scope_name, when) if part)

    @property
    def download_name(self) -> str:
        """The result's file name as a person saves it: 中山街道_社区服务用房台账_20261201.xlsx."""
        from .workbooks import safe_file_name

        day = timezone.localtime(self.finished_at or self.created_at).strftime("%Y%m%d")
        if self.direction == self.Direction.IMPORT:
            return safe_file_name(self.scope_name, self.register_title, gettext("problems"), day)
        return safe_file_name(self.scope_name, self.register_title, day)

    def live_progress(self) -> dict:
        """Rows done and percent, from the worker's live figures while the job runs."""
        if self.status == self.Status.RUNNING:
            live = progress_get(self.pk) or {}
            done, total = live.get("rows_done", 0), live.get("rows_total", self.rows_total)
            return {"rows_done": done, "progress": min(99, done * 100 // total) if total else 0}
        return {"rows_done": self.rows_done, "progress": self.progress}
