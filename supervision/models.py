"""Supervision (监督考核): the monthly figures of every division, kept so trends and past notices
never change when today's data does.

A ``Snapshot`` row is one measure (``core.measures``) of one division for one month: its numerator
and denominator, added up from the communities below it. The month is taken again each day while
it runs and once more after it ends; then it is closed (``final``) and never written again.
Which measures are indicators, their targets and weights, live in the rule pack
(``supervision.rules``), so a target can change without the figures being recomputed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields


class Snapshot(models.Model):
    month = models.DateField(_("month"))  # its first day
    division = models.ForeignKey("org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+")
    measure = models.CharField(_("measure"), max_length=80)
    numerator = models.DecimalField(_("numerator"), max_digits=20, decimal_places=4)
    denominator = models.DecimalField(_("denominator"), max_digits=20, decimal_places=4, null=True, blank=True)
    # How many divisions of the measure's level gave a figure (communities that record bookings, say).
    counted = models.PositiveIntegerField(_("divisions counted"), default=0)
    final = models.BooleanField(_("closed"), default=False)
    taken_at = models.DateTimeField(_("taken at"))

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [models.UniqueConstraint(fields=["division", "measure", "month"], name="snapshot_one_per_month")]
        indexes = [models.Index(fields=["month", "measure"], name="snapshot_month_measure")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.measure}"


class JobStatus(models.TextChoices):
    """Where the background computation of a notice's draft or an assessment's scores stands."""

    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


IN_PROGRESS = (JobStatus.QUEUED, JobStatus.RUNNING)


class JobStage(models.TextChoices):
    FIGURES = "figures", pgettext_lazy("job stage", "reading the monthly figures")
    COMPARING = "comparing", pgettext_lazy("job stage", "comparing the units with the targets")
    SCORING = "scoring", pgettext_lazy("job stage", "scoring the units")
    SAVING = "saving", pgettext_lazy("job stage", "saving")


class ComputedInBackground(models.Model):
    """A row created at once with its inputs, filled in by a background task (``supervision.tasks``):
    its state, how far the task has got (written in short transactions of their own, so a page
    polling it sees them) and, when it failed, why. What the task computes is written in one
    transaction at the end, so a failure leaves nothing half-written."""

    job_status = models.CharField(_("computation"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    stage = models.CharField(_("stage"), max_length=20, choices=JobStage.choices, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def computing(self) -> bool:
        return self.job_status in IN_PROGRESS

    @property
    def computed(self) -> bool:
        return self.job_status == JobStatus.DONE


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class Notice(ComputedInBackground):
    """A notice (通报) of the units that lag, for a month: drafted from the indicators (in the
    background: the row is queued with its month and units, the task writes its entries and
    wording), its wording edited by the bureau, then published to the units concerned. Once
    published it never changes: its entries hold the figures as they were."""

    issuer = models.ForeignKey("org.Division", verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    unit_level = models.CharField(_("units"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("wording"), blank=True)  # written by the task that drafts it
    status = models.CharField(_("status"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    # The bureau that issues it, and the units it names.
    scope = ScopeFields(division=("issuer", "receipts__division"), many=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-month", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="notice_progress_percent"),
            # One draft of a month and level at a time (a second press of the button while it computes).
            models.UniqueConstraint(fields=["issuer", "month", "unit_level"], condition=Q(job_status__in=IN_PROGRESS),
                                    name="notice_one_draft_computing"),
            models.CheckConstraint(condition=Q(status=NoticeStatus.DRAFT) | Q(job_status=JobStatus.DONE),
                                   name="notice_published_once_drafted"),
        ]

    def __str__(self):
        return self.title


class NoticeEntry(models.Model):
    """One unit below one target in a notice: the figures as they were when it was drafted."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="entries")
    division = models.ForeignKey("org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+")
    indicator_key = models.CharField(_("indicator"), max_length=100)
    indicator_title = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20)
    direction = models.CharField(_("direction"), max_length=10)
    value = models.DecimalField(_("figure"), max_digits=20, decimal_places=6)
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=6)
    rank = models.PositiveIntegerField(_("rank"))
    rule = models.TextField(_("rule missed"), blank=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("notice entry")
        verbose_name_plural = _("notice entries")
        ordering = ["notice", "indicator_key", "rank"]

    def __str__(self):
        return f"{self.indicator_title} · {self.division}"


class NoticeReceipt(models.Model):
    """A unit a published notice names: it stays on the unit's home page until the unit responds."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="receipts")
    division = models.ForeignKey("org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="+")
    response = models.TextField(_("response"), blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responded by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("notice received")
        verbose_name_plural = _("notices received")
        constraints = [models.UniqueConstraint(fields=["notice", "division"], name="notice_one_receipt_per_unit")]

    def __str__(self):
        return f"{self.notice} · {self.division}"


class FindingSource(models.TextChoices):
    STANDARD = "standard", _("a standard failed")
    BREACH = "breach", _("an operator's breach")
    INSPECTION = "inspection", _("an inspection finding")
    NOTICE = "notice", _("a notice")
    OTHER = "other", _("other")


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("to rectify")
    ANSWERED = "answered", _("rectified, to verify")
    CLOSED = "closed", _("verified and closed")


class Rectification(models.Model):
    """A rectification item (整改事项): what a unit is to put right, by whom and by when, its answer
    and evidence, and the supervisor's verification (closed, or returned to rectify again)."""

    division = models.ForeignKey("org.Division", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("found by"), max_length=20, choices=FindingSource.choices)
    source_text = models.CharField(_("finding"), max_length=300, blank=True)  # the rule, breach or notice, in words
    notice = models.ForeignKey(Notice, verbose_name=_("notice"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="rectifications")
    title = models.CharField(_("what is to be put right"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person responsible"), on_delete=models.PROTECT,
                              related_name="+")
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=20, choices=RectificationStatus.choices, default=RectificationStatus.OPEN)
    response = models.TextField(_("what was done"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to="supervision/evidence/%Y/%m/", blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    verification = models.TextField(_("verification"), blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    returned = models.PositiveIntegerField(_("times returned"), default=0)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT,
                                  related_name="+")
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["status", "deadline"], name="rectification_due")]

    def __str__(self):
        return self.title


class PlanStatus(models.TextChoices):
    OPEN = "open", _("in progress")
    CLOSED = "closed", _("standard met, closed")


class Plan(models.Model):
    """One community, one plan (一社区一方案): how a community that misses a standard of the register
    will meet it — its measures and dated milestones with owners. It closes only when the rule it
    addresses passes in the register."""

    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    rule_key = models.CharField(_("standard"), max_length=100)
    rule_title = models.CharField(_("standard"), max_length=200)
    measures = models.TextField(_("measures"))
    status = models.CharField(_("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn up by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("drawn up at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope = ScopeFields(division="community")

    class Meta:
        verbose_name = _("plan of a community")
        verbose_name_plural = _("plans of communities")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["community", "rule_key"], condition=models.Q(status="open"),
                                               name="plan_one_open_per_rule")]

    def __str__(self):
        return f"{self.community} · {self.rule_title}"


class Milestone(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person responsible"), on_delete=models.PROTECT,
                              related_name="+")
    due = models.DateField(pgettext_lazy("milestone", "due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    scope = ScopeFields(division="plan__community")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due", "id"]

    def __str__(self):
        return self.title


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("being assessed")
    SIGNED = "signed", _("signed off")


class Assessment(ComputedInBackground):
    """The yearly target-responsibility assessment (目标责任制考核) of the streets and towns (or
    districts) under a bureau: a score per indicator from the year's monthly figures (computed in
    the background: the row is queued with its year and units, the task writes the scores), weighed
    as the rule pack says, with items assessors add by hand; signed off by the bureau, then immutable."""

    issuer = models.ForeignKey("org.Division", verbose_name=_("assessed by"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField(_("year"))
    unit_level = models.CharField(_("units"), max_length=20)
    status = models.CharField(_("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    scoring = models.CharField(_("scoring"), max_length=30)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed off by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    scope = ScopeFields(division=("issuer", "scores__division"), many=True)

    class Meta:
        verbose_name = _("yearly assessment")
        verbose_name_plural = _("yearly assessments")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "year", "unit_level"], name="assessment_one_per_year"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="assessment_progress_percent"),
            models.CheckConstraint(condition=Q(status=AssessmentStatus.DRAFT) | Q(job_status=JobStatus.DONE),
                                   name="assessment_signed_once_scored"),
        ]

    def __str__(self):
        return f"{self.issuer} {self.year}"


class AssessmentScore(models.Model):
    """One unit's score on one indicator: the year's figure, the target, the weight and the points."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    division = models.ForeignKey("org.Division", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    indicator_key = models.CharField(_("indicator"), max_length=100)
    indicator_title = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit of the figure"), max_length=20)
    value = models.DecimalField(_("figure"), max_digits=20, decimal_places=6, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=6)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("assessment score")
        verbose_name_plural = _("assessment scores")
        ordering = ["assessment", "division", "indicator_key"]

    def __str__(self):
        return f"{self.division} · {self.indicator_title}"


class ManualItem(models.Model):
    """Points an assessor adds or takes off by hand (an award, a serious incident), with evidence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="manual_items")
    division = models.ForeignKey("org.Division", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("item"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    evidence = models.FileField(_("evidence"), upload_to="supervision/assessment/%Y/", blank=True)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assessor"), on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("item assessed by hand")
        verbose_name_plural = _("items assessed by hand")
        ordering = ["assessment", "division", "id"]

    def __str__(self):
        return self.title


class CampaignStatus(models.TextChoices):
    DRAWN = "drawn", _("drawn, inspecting")
    CLOSED = "closed", _("closed")


class InspectionCampaign(models.Model):
    """A "double random" inspection campaign (双随机): communities drawn at random from the scope and
    inspectors drawn at random from the pool for each, reproducibly — the seed is recorded and
    shown, so anyone can draw again and get the same list — never an inspector for their own unit."""

    issuer = models.ForeignKey("org.Division", verbose_name=_("inspecting unit"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    community_count = models.PositiveIntegerField(_("communities drawn"))
    inspectors_per_community = models.PositiveIntegerField(_("inspectors for each"))
    seed = models.CharField(_("seed of the draw"), max_length=64)
    pool = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("pool of inspectors"), related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAWN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"), auto_now_add=True)

    scope = ScopeFields(division=("issuer", "inspections__community"), many=True)

    class Meta:
        verbose_name = _("inspection campaign")
        verbose_name_plural = _("inspection campaigns")
        ordering = ["-drawn_at", "-id"]

    def __str__(self):
        return self.title


class Inspection(models.Model):
    """One community drawn in a campaign, its inspectors, and their checklist once filled in."""

    campaign = models.ForeignKey(InspectionCampaign, on_delete=models.CASCADE, related_name="inspections")
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    order = models.PositiveIntegerField(_("drawn as"))
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filled in by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("inspected at"), null=True, blank=True)

    scope = ScopeFields(division="community")

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "community"], name="inspection_once_per_campaign")]

    def __str__(self):
        return f"{self.campaign} · {self.community}"


class InspectionFinding(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    item_code = models.CharField(_("checklist item"), max_length=50)
    item_text = models.CharField(_("checklist item"), max_length=300)
    passed = models.BooleanField(_("as it should be"))
    note = models.TextField(_("what was found"), blank=True)
    photo = models.FileField(_("photo"), upload_to="supervision/inspections/%Y/%m/", blank=True)
    rectification = models.OneToOneField(Rectification, verbose_name=_("rectification item"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="finding")

    scope = ScopeFields(division="inspection__community")

    class Meta:
        verbose_name = _("inspection finding")
        verbose_name_plural = _("inspection findings")
        ordering = ["inspection", "id"]

    def __str__(self):
        return self.item_text
