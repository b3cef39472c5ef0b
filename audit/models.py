"""The audit trail: who changed which business record, when, and what changed.

Every writing service records one ``AuditEvent`` in the same transaction as its change, with
an action name such as ``org.division.updated``. Events are append-only: nothing updates or
deletes them (the admin is read-only and the PostgreSQL migration adds a trigger that refuses
it). Each event carries the division it concerns, so supervisors see the trail of their part
of the tree and nobody else's.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields


class AuditEvent(models.Model):
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), null=True, blank=True, on_delete=models.PROTECT
    )
    target_id = models.CharField(_("record id"), max_length=64, blank=True)
    target_repr = models.CharField(_("record"), max_length=200, blank=True)
    division = models.ForeignKey(
        "org.Division", verbose_name=_("division"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "org.Organisation", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    scope = ScopeFields(division="division", organisation="organisation")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]

    def __str__(self):
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.target_repr}"
