"""The rule pack: the standards, ratios, caps and quorums from policy, as data.

Each city has its own pack, loaded from a TOML file the city can edit (the default is
``rulepack/packs/default.toml``, with every rule citing the policy document it comes from).
A pack is immutable once loaded: changing a threshold loads a new version, and the old ones
stay for the record. Modules read their rules through ``rulepack.selectors``; what each
rule kind means is code (``rulepack.kinds`` and the modules' evaluators), what its numbers
are is data.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields


class RulePack(models.Model):
    city = models.ForeignKey("org.Division", verbose_name=_("city"), on_delete=models.PROTECT, related_name="rule_packs")
    version = models.CharField(_("version"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("rule pack file (TOML)"))
    sha256 = models.CharField(max_length=64)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("loaded by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # Everyone in the city works under its pack.
    scope = ScopeFields(division="city", include_ancestors=True)

    class Meta:
        verbose_name = _("rule pack")
        verbose_name_plural = _("rule packs")
        ordering = ["-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["city"], condition=Q(is_active=True), name="rulepack_one_active_per_city"),
        ]

    def __str__(self):
        return f"{self.title} ({self.version})"


class Source(models.Model):
    """A document the rules cite, e.g. Haining's implementing opinions of 2023: its full title, and
    the short name pages use where space is short (海宁市)."""

    pack = models.ForeignKey(RulePack, on_delete=models.CASCADE, related_name="sources")
    tag = models.CharField(_("tag"), max_length=30)
    title = models.CharField(_("document"), max_length=300)
    short = models.CharField(_("short name"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("source document")
        verbose_name_plural = _("source documents")
        constraints = [models.UniqueConstraint(fields=["pack", "tag"], name="rulepack_source_unique_tag")]

    def __str__(self):
        return self.title

    @property
    def short_name(self) -> str:
        """The short name; a pack loaded before sources had one takes the default pack's, else the title."""
        from .selectors import default_sources

        return self.short or default_sources().get(self.tag, {}).get("short") or self.title


class Rule(models.Model):
    pack = models.ForeignKey(RulePack, on_delete=models.CASCADE, related_name="rules")
    key = models.CharField(_("key"), max_length=100)
    module = models.CharField(_("module"), max_length=30)
    kind = models.CharField(_("kind"), max_length=50)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict)
    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="rules")
    citation = models.TextField(_("citation"), blank=True)
    note = models.TextField(_("note"), blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["pack", "order"]
        constraints = [models.UniqueConstraint(fields=["pack", "key"], name="rulepack_rule_unique_key")]

    def __str__(self):
        return self.title

    def param(self, name: str, default=None):
        return self.params.get(name, default)
