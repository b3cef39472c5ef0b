"""Supervision (监督考核): the monthly figures of every division, kept so trends and past notices
never change when today's data does.

A ``Snapshot`` row is one measure (``core.measures``) of one division for one month: its numerator
and denominator, added up from the communities below it. The month is taken again each day while
it runs and once more after it ends; then it is closed (``final``) and never written again.
Which measures are indicators, their targets and weights, live in the rule pack
(``supervision.rules``), so a target can change without the figures being recomputed.
"""

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
