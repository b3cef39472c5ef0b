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
from django.utils.translation import gettext_lazy as _

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


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class Notice(models.Model):
    """A notice (通报) of the units that lag, for a month: drafted from the indicators, its wording
    edited by the bureau, then published to the units concerned. Once published it never changes:
    its entries hold the figures as they were."""

    issuer = models.ForeignKey("org.Division", verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    unit_level = models.CharField(_("units"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("wording"))
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
