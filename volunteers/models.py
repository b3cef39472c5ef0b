"""Volunteers (志愿者): who volunteers, in which teams, for which posts, and the hours they served.

* ``Volunteer``: a resident signed up on the phone, with skills from ``Skill``, availability by
  weekday and time of day (``"1:morning"`` … ``"7:evening"``), and consent to the volunteer
  agreement with its version and timestamp. ``confirmed_minutes`` is the time bank (时间银行):
  the kept total of their confirmed hours, added in the same transaction as each confirmation
  and recomputable from the records (``selectors.volunteers_unreconciled``).
* ``Team`` (志愿服务队): led by a community (or street) or by an operator serving it; members join.
* ``GridRole``: building heads (楼栋长) and grid volunteers (网格志愿者) are volunteers with a
  role at a grid of their community.
* ``Opportunity`` (志愿岗位/活动招募): posted by a community or an operator, optionally for a
  neighbourhood activity, need or service order and for one of the community's 五社联动 projects
  (whose volunteer hours are then the confirmed hours served at its opportunities), with places,
  time and place; volunteers apply (``Application``) and are accepted (never more than the places:
  a check constraint).
* ``ServiceRecord``: one sign-in and sign-out by the opportunity's rotating QR code; the organiser
  confirms (or rejects) the minutes. At most one open record per volunteer (a partial unique
  constraint), so two simultaneous sign-ins cannot both succeed.
* ``HoursMonthTotal``: confirmed minutes per community (where the service was done) and month,
  kept with each confirmation, from which the street, district and city totals are summed.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

AGREEMENT_VERSION = "2026.1"


class Skill(models.TextChoices):
    ELDERLY_CARE = "elderly_care", _("care for older people")
    DISABILITY = "disability", _("help for people with disabilities")
    CHILDREN = "children", _("tutoring and care of children")
    MEDICAL = "medical", _("health care and first aid")
    LEGAL = "legal", _("legal advice")
    COUNSELLING = "counselling", _("psychological counselling")
    CULTURE = "culture", _("culture, arts and sports")
    ENVIRONMENT = "environment", _("environment and waste sorting")
    SAFETY = "safety", _("safety patrols and civility")
    EMERGENCY = "emergency", _("emergency relief")
    DIGITAL = "digital", _("phones and computers")
    REPAIR = "repair", _("repairs")
    PUBLICITY = "publicity", _("photography and publicity")
    DRIVING = "driving", _("driving")


def skill_labels(values) -> str:
    labels = dict(Skill.choices)
    return "、".join(str(labels[v]) for v in values if v in labels)


class TimeOfDay(models.TextChoices):
    MORNING = "morning", _("morning")
    AFTERNOON = "afternoon", _("afternoon")
    EVENING = "evening", _("evening")


class VolunteerStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("volunteer", "active")
    WITHDRAWN = "withdrawn", pgettext_lazy("volunteer", "withdrawn")


class Volunteer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="volunteer")
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="volunteers")
    real_name = models.CharField(_("real name"), max_length=40)
    phone = models.CharField(_("mobile number"), max_length=20)
    id_number = models.CharField(_("ID number"), max_length=20, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    availability = models.JSONField(_("available"), default=list, blank=True)
    agreement_version = models.CharField(_("volunteer agreement version"), max_length=20)
    consented_at = models.DateTimeField(_("agreed to the volunteer agreement at"))
    status = models.CharField(_("status"), max_length=10, choices=VolunteerStatus.choices, default=VolunteerStatus.ACTIVE)
    confirmed_minutes = models.PositiveIntegerField(_("confirmed service time (minutes)"), default=0)
    created_at = models.DateTimeField(_("signed up at"))

    scope = ScopeFields(division="community", owner="user")

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["community", "real_name", "id"]
        indexes = [models.Index(fields=["community", "confirmed_minutes"], name="volunteer_balance")]

    def __str__(self):
        return self.real_name

    @property
    def hours(self):
        from decimal import Decimal

        return (Decimal(self.confirmed_minutes) / 60).quantize(Decimal("0.1"))

    @property
    def skill_labels(self) -> str:
        return skill_labels(self.skills)


class Team(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="volunteer_teams")
    organisation = models.ForeignKey("org.Organisation", verbose_name=pgettext_lazy("team", "led by"), null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="volunteer_teams", help_text=_("Empty: the community itself."))
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("team leader"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    scope = ScopeFields(division="community", organisation="organisation", include_ancestors=True)

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="volunteer_team_name_once")]

    def __str__(self):
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="memberships")
    joined_at = models.DateTimeField(_("joined at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"], name="volunteer_team_member_once")]

    def __str__(self):
        return f"{self.team} · {self.volunteer}"


class GridRoleKind(models.TextChoices):
    BUILDING_HEAD = "building_head", _("building head")
    GRID_VOLUNTEER = "grid_volunteer", _("grid volunteer")


class GridRole(models.Model):
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="grid_roles")
    grid = models.ForeignKey("org.Division", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="volunteer_roles")
    role = models.CharField(_("role"), max_length=16, choices=GridRoleKind.choices)
    building = models.CharField(_("building"), max_length=40, blank=True)
    appointed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointed_at = models.DateTimeField(_("appointed at"))

    scope = ScopeFields(division="grid", owner="volunteer__user")

    class Meta:
        verbose_name = _("grid role")
        verbose_name_plural = _("grid roles")
        ordering = ["grid", "role", "building"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "grid", "role"], name="volunteer_grid_role_once"),
            models.CheckConstraint(condition=~Q(role="building_head") | ~Q(building=""), name="building_head_names_building"),
        ]

    def __str__(self):
        return f"{self.grid} {self.get_role_display()} {self.volunteer}"


class OpportunityStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity", "recruiting")
    CANCELLED = "cancelled", _("cancelled")


class Opportunity(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="volunteer_opportunities")
    organiser = models.ForeignKey("org.Organisation", verbose_name=_("run by"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="volunteer_opportunities", help_text=_("Empty: the community itself."))
    team = models.ForeignKey(Team, verbose_name=_("volunteer team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="opportunities")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    skills = models.JSONField(_("skills wanted"), default=list, blank=True)
    places = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1), MaxValueValidator(1000)])
    accepted_count = models.PositiveIntegerField(_("volunteers accepted"), default=0)
    auto_accept = models.BooleanField(_("accept applicants while places last"), default=False)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    place = models.CharField(pgettext_lazy("place", "where"), max_length=120)
    activity = models.ForeignKey("neighbourhood.Activity", verbose_name=_("activity"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="volunteer_opportunities")
    need = models.ForeignKey("neighbourhood.Need", verbose_name=_("need"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="volunteer_opportunities")
    service_order = models.ForeignKey("neighbourhood.ServiceOrder", verbose_name=_("service order"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="volunteer_opportunities")
    # The community's 五社联动 project the opportunity serves: its confirmed hours are the project's volunteer hours.
    project = models.ForeignKey("governance.PartnershipProject", verbose_name=_("five-party project"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="volunteer_opportunities")
    status = models.CharField(_("status"), max_length=10, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN)
    code_secret = models.CharField(max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    # A street's opportunity is listed in each of its communities.
    scope = ScopeFields(division="community", organisation="organiser", include_ancestors=True)

    class Meta:
        verbose_name = _("volunteer opportunity")
        verbose_name_plural = _("volunteer opportunities")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["community", "status", "starts_at"], name="opportunity_listing")]
        constraints = [
            models.CheckConstraint(condition=Q(accepted_count__lte=F("places")), name="opportunity_never_overfilled"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="opportunity_ends_after_it_starts"),
        ]

    def __str__(self):
        return self.title

    @property
    def skill_labels(self) -> str:
        return skill_labels(self.skills)

    @property
    def places_left(self) -> int:
        return max(0, self.places - self.accepted_count)


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("volunteer application", "applied")
    ACCEPTED = "accepted", pgettext_lazy("volunteer application", "accepted")
    DECLINED = "declined", pgettext_lazy("volunteer application", "declined")
    WITHDRAWN = "withdrawn", pgettext_lazy("volunteer application", "withdrawn")


class Application(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("volunteer opportunity"), on_delete=models.PROTECT,
                                    related_name="applications")
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("status"), max_length=10, choices=ApplicationStatus.choices)
    applied_at = models.DateTimeField(_("applied at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    scope = ScopeFields(division="opportunity__community", organisation="opportunity__organiser", owner="volunteer__user")

    class Meta:
        verbose_name = _("volunteer application")
        verbose_name_plural = _("volunteer applications")
        ordering = ["applied_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "volunteer"], condition=Q(status__in=["applied", "accepted"]),
                                    name="volunteer_application_once"),
        ]

    def __str__(self):
        return f"{self.opportunity} · {self.volunteer}"


class RecordStatus(models.TextChoices):
    OPEN = "open", _("signed in")
    PENDING = "pending", _("awaiting confirmation")
    CONFIRMED = "confirmed", pgettext_lazy("hours", "confirmed")
    REJECTED = "rejected", pgettext_lazy("hours", "not confirmed")


class SignMethod(models.TextChoices):
    QR = "qr", _("scanned the QR code")
    CODE = "code", _("typed the code")


class ServiceRecord(models.Model):
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("volunteer"), on_delete=models.PROTECT, related_name="records")
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("volunteer opportunity"), on_delete=models.PROTECT, related_name="records")
    # Where the service was done (the opportunity's community or street): what the totals group by.
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    signed_in_at = models.DateTimeField(_("signed in at"))
    signed_out_at = models.DateTimeField(_("signed out at"), null=True, blank=True)
    method = models.CharField(_("how"), max_length=6, choices=SignMethod.choices, default=SignMethod.QR)
    minutes = models.PositiveIntegerField(_("minutes"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=RecordStatus.choices, default=RecordStatus.OPEN)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeFields(division="opportunity__community", organisation="opportunity__organiser", owner="volunteer__user")

    class Meta:
        verbose_name = _("service hours record")
        verbose_name_plural = _("service hours records")
        ordering = ["-signed_in_at", "-id"]
        indexes = [
            models.Index(fields=["volunteer", "status"], name="record_by_volunteer"),
            models.Index(fields=["opportunity", "status"], name="record_by_opportunity"),
            models.Index(fields=["community", "signed_in_at"], name="record_by_place"),
        ]
        constraints = [
            # A volunteer is signed in at one place at a time: two simultaneous sign-ins cannot both open a record.
            models.UniqueConstraint(fields=["volunteer"], condition=Q(signed_out_at__isnull=True), name="record_one_open_per_volunteer"),
            models.CheckConstraint(condition=Q(signed_out_at__isnull=True) | Q(signed_out_at__gt=F("signed_in_at")),
                                   name="record_out_after_in"),
            models.CheckConstraint(condition=Q(status="open", signed_out_at__isnull=True) | (~Q(status="open") & Q(signed_out_at__isnull=False)),
                                   name="record_open_until_signed_out"),
            models.CheckConstraint(condition=~Q(status="confirmed") | Q(minutes__isnull=False, confirmed_by__isnull=False),
                                   name="record_confirmed_by_someone"),
        ]

    def __str__(self):
        return f"{self.volunteer} · {self.opportunity}"

    @property
    def hours(self):
        from decimal import Decimal

        return None if self.minutes is None else (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))


class HoursMonthTotal(models.Model):
    """Confirmed minutes served in a community (or a street, for its own opportunities) in a month."""

    community = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    minutes = models.PositiveBigIntegerField(default=0)

    scope = ScopeFields(division="community")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["community", "month"], name="hours_month_total_once")]

    def __str__(self):
        return f"{self.community} {self.month:%Y-%m}: {self.minutes}"
