"""Community governance: 五社联动 projects and the community affairs admission list (社区工作事项准入清单).

The admission list [Huli]. A district keeps one list of the affairs its communities host (主办) or
assist (协办), each with its legal basis and the department responsible. The list is versioned: every
admission, removal or yearly review makes a new ``ListVersion`` (numbered 1, 2, … per district, with
the date it takes effect), and an ``Affair`` carries the version that put it on the list and the one
that took it off, so any version can be read back (``Affair.objects.on_version``). A department that
wants to hand communities a new task files an ``AffairApplication`` that the district admits (a new
version with the affair) or refuses with reasons. A community refuses a task that is not on the list
with a ``TaskRefusal`` that cites the version it read.

五社联动 [Xishan]. A ``PartnershipProject`` of a community records each party that takes part
(``Participation``: the community, social organisations, social workers, volunteers and charitable
resources) and what it brings: money in yuan, hours and things in kind. A project "involves all five"
when each of the five parties takes part.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

ZERO = Decimal("0.00")


# ----------------------------------------------------------------------------------------------
# The community affairs admission list
# ----------------------------------------------------------------------------------------------

class AffairRole(models.TextChoices):
    HOST = "host", _("hosted by the community")
    ASSIST = "assist", _("assisted by the community")


class VersionReason(models.TextChoices):
    INITIAL = "initial", _("list first published")
    ADMISSION = "admission", _("affair admitted")
    REVIEW = "review", _("yearly review")
    IMPORT = "import", _("list imported")


class ListVersion(models.Model):
    district = models.ForeignKey("org.Division", verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="affair_list_versions")
    number = models.PositiveIntegerField(_("version"))
    effective_on = models.DateField(_("in force from"))
    reason = models.CharField(_("reason"), max_length=16, choices=VersionReason.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The day the district was reminded that the review after this version was due (the clock's job).
    review_reminded_on = models.DateField(_("review reminder sent on"), null=True, blank=True)

    # Public to everyone in the district: the district's staff, and the streets' and communities' below.
    scope = ScopeFields(division="district", include_ancestors=True)

    class Meta:
        verbose_name = _("admission list version")
        verbose_name_plural = _("admission list versions")
        ordering = ["district", "-number"]
        constraints = [models.UniqueConstraint(fields=["district", "number"], name="governance_version_number_once"),
                       models.CheckConstraint(condition=Q(number__gte=1), name="governance_version_number_positive")]

    def __str__(self):
        return f"{self.district.name} · {self.number}"


class AffairQuerySet(models.QuerySet):
    def on_version(self, version: ListVersion) -> "AffairQuerySet":
        """The affairs on the list as ``version`` had it."""
        return self.filter(district_id=version.district_id, added_in__number__lte=version.number).filter(
            Q(removed_in__isnull=True) | Q(removed_in__number__gt=version.number))

    def current(self) -> "AffairQuerySet":
        return self.filter(removed_in__isnull=True)


class Affair(models.Model):
    district = models.ForeignKey("org.Division", verbose_name=_("district"), on_delete=models.PROTECT, related_name="affairs")
    number = models.PositiveIntegerField(_("item number"))
    title = models.CharField(_("affair"), max_length=200)
    role = models.CharField(_("the community"), max_length=8, choices=AffairRole.choices)
    legal_basis = models.TextField(_("legal basis"))
    department = models.ForeignKey("org.Organisation", verbose_name=_("responsible department"), on_delete=models.PROTECT,
                                   related_name="community_affairs")
    added_in = models.ForeignKey(ListVersion, verbose_name=_("put on the list in"), on_delete=models.PROTECT,
                                 related_name="added_affairs")
    removed_in = models.ForeignKey(ListVersion, verbose_name=_("taken off the list in"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="removed_affairs")

    objects = AffairQuerySet.as_manager()
    scope = ScopeFields(division="district", include_ancestors=True)

    class Meta:
        verbose_name = _("community affair")
        verbose_name_plural = _("community affairs")
        ordering = ["district", "number", "id"]
        constraints = [models.UniqueConstraint(fields=["district", "number"], condition=Q(removed_in__isnull=True),
                                               name="governance_affair_number_once")]
        indexes = [models.Index(fields=["district", "removed_in"], name="governance_affair_current")]

    def __str__(self):
        return self.title


class AffairApplicationStatus(models.TextChoices):
    PENDING = "pending", _("awaiting the district's review")
    ADMITTED = "admitted", _("admitted to the list")
    REFUSED = "refused", _("refused")


class AffairApplication(models.Model):
    district = models.ForeignKey("org.Division", verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="affair_applications")
    department = models.ForeignKey("org.Organisation", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="affair_applications")
    title = models.CharField(_("task"), max_length=200)
    role = models.CharField(_("the community would"), max_length=8, choices=AffairRole.choices)
    legal_basis = models.TextField(_("legal basis"))
    reason = models.TextField(_("why communities should take it on"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AffairApplicationStatus.choices, default=AffairApplicationStatus.PENDING)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(_("filed at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    affair = models.OneToOneField(Affair, verbose_name=_("affair"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="application")

    scope = ScopeFields(division="district")

    class Meta:
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="refused") | ~Q(decision_reason=""),
                                   name="governance_refusal_has_reasons"),
            models.CheckConstraint(condition=~Q(status="admitted") | Q(affair__isnull=False),
                                   name="governance_admission_has_affair"),
        ]

    def __str__(self):
        return self.title


class TaskRefusal(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="task_refusals")
    department = models.ForeignKey("org.Organisation", verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="task_refusals")
    title = models.CharField(_("task"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    version = models.ForeignKey(ListVersion, verbose_name=_("list version cited"), on_delete=models.PROTECT,
                                related_name="refusals")
    refused_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("refused by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    refused_at = models.DateTimeField(_("refused at"))

    scope = ScopeFields(division="community")

    class Meta:
        verbose_name = _("refused task")
        verbose_name_plural = _("refused tasks")
        ordering = ["-refused_at", "-id"]

    def __str__(self):
        return self.title


# ----------------------------------------------------------------------------------------------
# 五社联动 projects
# ----------------------------------------------------------------------------------------------

class Party(models.TextChoices):
    COMMUNITY = "community", _("community")
    SOCIAL_ORGANISATION = "social_org", _("social organisation")
    SOCIAL_WORKER = "social_worker", _("social workers")
    VOLUNTEERS = "volunteers", _("volunteers")
    CHARITY = "charity", _("charitable resources")


class PartnershipProject(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                  related_name="partnership_projects")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="community")

    class Meta:
        verbose_name = _("five-party project")
        verbose_name_plural = _("five-party projects")
        ordering = ["-starts_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                              name="governance_project_ends_after_start")]

    def __str__(self):
        return self.title


class Participation(models.Model):
    project = models.ForeignKey(PartnershipProject, verbose_name=_("project"), on_delete=models.PROTECT,
                                related_name="participations")
    party = models.CharField(pgettext_lazy("five-party project", "party"), max_length=16, choices=Party.choices)
    organisation = models.ForeignKey("org.Organisation", verbose_name=_("organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="partnership_participations")
    fund = models.ForeignKey("funds.Fund", verbose_name=_("community fund"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="partnership_participations")
    people = models.CharField(pgettext_lazy("five-party project", "people"), max_length=200, blank=True,
                              help_text=_("Names of the social workers, or of whoever takes part for the party."))
    headcount = models.PositiveIntegerField(_("people taking part"), default=0)
    money = models.DecimalField(_("money (yuan)"), max_digits=14, decimal_places=2, default=ZERO)
    hours = models.DecimalField(_("hours"), max_digits=10, decimal_places=1, default=Decimal("0.0"))
    in_kind = models.CharField(_("in kind"), max_length=200, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeFields(division="project__community")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["project", "party", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(money__gte=0) & Q(hours__gte=0), name="governance_contribution_not_negative"),
        ]

    def __str__(self):
        return f"{self.project} · {self.get_party_display()}"
