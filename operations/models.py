"""Space for service (以场地换服务): operators, their admission, agreements, reports and public money.

Communities hand part of their rooms to operators, who bring free (公益), low-cost (低偿) and
market (市场) services, bear renovation and running costs, and pay a share of their revenue
into the community's fund [Zibo, Huli]. This module keeps:

* ``Qualification`` — an operator's licences and registrations;
* ``Admission`` — a street's or district's admission (准入) of an operator, with the checklist it
  was reviewed against, its scope of service categories and validity; suspension and
  blacklisting with reasons [Zibo, Xishan];
* ``Agreement`` — the co-operation agreement (合作协议) between a community (or street) and an
  admitted operator: its spaces (rooms and the weekly hours given over, which become bookings),
  services with their tier and price, who bears which costs, the revenue share per tier, the
  formal basis and, for state-owned rooms, the asset procedure [Huli, Quanzhou];
* ``OperatingReport`` — the operator's monthly figures; confirming one posts the fund's share (or holds it
  for the community until its fund is founded);
* ``Finding`` — a breach of the city's rules for the rooms' property class, with the figures;
* ``Funding`` — government-purchased services and subsidies with milestones and payments
  [Xishan, Quanzhou];
* ``PartnershipOffer`` / ``Interest`` — idle rooms published for partnership and operators'
  proposals for them [Huli].

The rules themselves are in ``operations.services`` and ``operations.compliance``; the numbers
come from the city's rule pack.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

ZERO = Decimal("0.00")
MONEY = {"max_digits": 14, "decimal_places": 2}


class ServiceTier(models.TextChoices):
    """"公益+低偿+市场" [Huli, Zibo]."""

    FREE = "free", _("free (public benefit)")
    LOW_COST = "low_cost", _("low-cost")
    MARKET = "market", _("market")


# Tiers that count as public benefit when the rules weigh public against commercial use.
PUBLIC_BENEFIT_TIERS = (ServiceTier.FREE, ServiceTier.LOW_COST)


class ServiceCategory(models.TextChoices):
    """The five categories of residents' needs [Zibo]."""

    ELDERLY_CHILD = "elderly_child", _("elderly and child care")
    LIVING_ENVIRONMENT = "living_environment", _("living environment")
    FOOD_RECREATION = "food_recreation", _("food and recreation")
    MEDICAL_WELLNESS = "medical_wellness", _("medical care and wellness")
    EMPLOYMENT_BUSINESS = "employment_business", _("employment and business")


class QualificationKind(models.TextChoices):
    BUSINESS_LICENCE = "business_licence", _("business licence")
    REGISTRATION = "registration", _("social organisation registration certificate")
    FOOD = "food", _("food business licence")
    CHILDCARE = "childcare", _("childcare institution filing")
    ELDERLY_CARE = "elderly_care", _("elderly care institution filing")
    MEDICAL = "medical", _("medical institution licence")
    FIRE_SAFETY = "fire_safety", _("fire safety inspection")
    OTHER = "other", _("other")


class Qualification(models.Model):
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT,
                                 related_name="qualifications")
    kind = models.CharField(_("kind"), max_length=20, choices=QualificationKind.choices)
    number = models.CharField(_("number"), max_length=60)
    issued_by = models.CharField(_("issued by"), max_length=120, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    document = models.FileField(_("scan"), upload_to="operations/qualifications/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="operator__served_divisions", organisation="operator", include_ancestors=True, many=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["operator", "kind"]
        constraints = [models.UniqueConstraint(fields=["operator", "kind", "number"], name="qualification_unique")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class AdmissionStatus(models.TextChoices):
    APPLIED = "applied", _("under review")
    ADMITTED = "admitted", _("admitted")
    REJECTED = "rejected", _("not admitted")
    SUSPENDED = "suspended", _("suspended")
    BLACKLISTED = "blacklisted", _("blacklisted")
    WITHDRAWN = "withdrawn", _("withdrawn")


# An application in one of these states is live: the operator cannot file another at the same place.
LIVE_ADMISSION = [AdmissionStatus.APPLIED, AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED, AdmissionStatus.BLACKLISTED]


class Admission(models.Model):
    """An operator's admission (准入) by a street or district: what it may do there, and until when."""

    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT,
                                 related_name="admissions")
    division = models.ForeignKey("org.Division", verbose_name=_("admitted by (street or district)"), on_delete=models.PROTECT,
                                 related_name="operator_admissions")
    status = models.CharField(_("status"), max_length=12, choices=AdmissionStatus.choices, default=AdmissionStatus.APPLIED,
                              db_index=True)
    categories = models.JSONField(_("service categories"), default=list)
    scope_description = models.TextField(_("scope of services"))
    references = models.TextField(_("track record and references"), blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(_("applied at"))
    checklist = models.JSONField(_("review checklist"), default=dict, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision_note = models.TextField(_("review note"), blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status_reason = models.TextField(_("reason for suspension or blacklisting"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    # Staff see the admissions made at and below their node, an operator its own. (Whom the street
    # or district admitted for a community is told by ``selectors.admitted_operators``.)
    scope = ScopeFields(division="division", organisation="operator")

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["operator", "division"], condition=Q(status__in=LIVE_ADMISSION),
                                    name="admission_one_live_per_place"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True) | Q(valid_from__isnull=True)
                                   | Q(valid_until__gte=F("valid_from")), name="admission_valid_until_after_from"),
            models.CheckConstraint(condition=~Q(status="admitted") | (Q(valid_from__isnull=False) & Q(valid_until__isnull=False)),
                                   name="admission_admitted_has_validity"),
        ]

    def __str__(self):
        return f"{self.operator} @ {self.division}"


class OperationMode(models.TextChoices):
    """How a neighbourhood centre or room is run [Quanzhou]."""

    SELF_RUN = "self_run", _("self-run by the community")
    CO_OPERATED = "co_operated", _("co-operated")
    ENTRUSTED = "entrusted", _("entrusted operation")


class CostBearer(models.TextChoices):
    COMMUNITY = "community", _("community")
    OPERATOR = "operator", _("operator")
    SHARED = "shared", _("shared")


class BasisKind(models.TextChoices):
    """The formal document that fixes a room's use, its public/commercial ratio and revenue
    distribution [Huli: 通过正式文件（如联席会议决议）明确]."""

    JOINT_MEETING = "joint_meeting", _("joint-meeting resolution")
    STREET_DECISION = "street_decision", _("street office decision")
    RESIDENTS_COUNCIL = "residents_council", _("residents' council resolution")
    COLLECTIVE_MEETING = "collective_meeting", _("village representatives' meeting resolution")
    OTHER = "other", _("other document")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("awaiting the street's approval")
    ACTIVE = "active", pgettext_lazy("agreement status", "in force")
    TERMINATED = "terminated", _("terminated")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Agreement(models.Model):
    """A co-operation agreement (合作协议) between a community (or street) and an admitted operator."""

    division = models.ForeignKey("org.Division", verbose_name=_("community or street"), on_delete=models.PROTECT,
                                 related_name="operator_agreements")
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="agreements")
    admission = models.ForeignKey(Admission, verbose_name=_("admission"), on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField(_("agreement number"), max_length=60, blank=True)
    title = models.CharField(_("title"), max_length=200)
    mode = models.CharField(_("operation mode"), max_length=12, choices=OperationMode.choices)
    status = models.CharField(_("status"), max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT,
                              db_index=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))

    renovation_by = models.CharField(_("renovation borne by"), max_length=10, choices=CostBearer.choices, default=CostBearer.OPERATOR)
    utilities_by = models.CharField(_("utilities borne by"), max_length=10, choices=CostBearer.choices, default=CostBearer.OPERATOR)
    maintenance_by = models.CharField(_("maintenance borne by"), max_length=10, choices=CostBearer.choices,
                                      default=CostBearer.OPERATOR)
    operator_renovation_cost = models.DecimalField(_("renovation paid by the operator (yuan, one-off)"), default=ZERO,
                                                   validators=[MinValueValidator(0)], **MONEY)
    operator_running_cost = models.DecimalField(_("running costs paid by the operator (yuan a year)"), default=ZERO,
                                                validators=[MinValueValidator(0)], **MONEY)
    annual_rent = models.DecimalField(_("rent paid by the operator (yuan a year; 0 for free use)"), default=ZERO,
                                      validators=[MinValueValidator(0)], **MONEY)
    non_profit_purpose = models.BooleanField(_("for a non-profit purpose"), default=True)
    public_benefit_share = models.DecimalField(
        _("agreed public-benefit share of sessions"), max_digits=4, decimal_places=3, default=Decimal("0.6"),
        validators=[MinValueValidator(0), MaxValueValidator(1)])
    low_cost_price_cap = models.DecimalField(_("agreed low-cost price cap (yuan)"), null=True, blank=True,
                                             validators=[MinValueValidator(0)], **MONEY)

    basis_kind = models.CharField(_("formal basis"), max_length=20, choices=BasisKind.choices, blank=True)
    basis_number = models.CharField(_("basis document number"), max_length=80, blank=True)
    basis_date = models.DateField(_("basis document date"), null=True, blank=True)
    revenue_distribution = models.TextField(_("revenue distribution"), blank=True)
    collective_resolution = models.CharField(
        _("village collective's resolution"), max_length=120, blank=True,
        help_text=_("For village-collective (or partly collective) rooms: the representatives' meeting resolution, number and date."))
    valuation_report_no = models.CharField(_("third-party valuation report"), max_length=80, blank=True)
    authorised_by = models.CharField(_("authorising department"), max_length=120, blank=True)
    authorisation_document = models.CharField(_("authorisation document"), max_length=80, blank=True)

    renewal_of = models.OneToOneField("self", verbose_name=_("renews"), null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="renewed_by")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("street's note"), blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    termination_reason = models.TextField(_("why terminated"), blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="division", organisation="operator")

    class Meta:
        verbose_name = _("co-operation agreement")
        verbose_name_plural = _("co-operation agreements")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="agreement_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(public_benefit_share__gte=0, public_benefit_share__lte=1),
                                   name="agreement_public_share_range"),
            models.CheckConstraint(condition=Q(operator_renovation_cost__gte=0, operator_running_cost__gte=0, annual_rent__gte=0),
                                   name="agreement_money_not_negative"),
        ]

    def __str__(self):
        return self.title

    def in_force_on(self, day) -> bool:
        end = self.terminated_on or self.ends_on
        return self.status == AgreementStatus.ACTIVE and self.starts_on <= day <= end

    @property
    def last_day(self):
        return min(self.terminated_on, self.ends_on) if self.terminated_on else self.ends_on


class AgreementSpace(models.Model):
    """A room, or part of one, given over to the operator at the weekly hours listed."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="spaces")
    room = models.ForeignKey("registry.Room", verbose_name=_("room"), on_delete=models.PROTECT, related_name="agreement_spaces")
    area = models.DecimalField(_("area given over (m²; empty for the whole room)"), max_digits=9, decimal_places=2, null=True,
                               blank=True, validators=[MinValueValidator(1)])
    # [{"weekday": 1, "start": "09:00", "end": "12:00"}, …]; 1 is Monday.
    hours = models.JSONField(_("weekly hours given over"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeFields(division="agreement__division", organisation="agreement__operator")

    class Meta:
        verbose_name = _("space given over")
        verbose_name_plural = _("spaces given over")
        ordering = ["agreement", "id"]
        constraints = [models.UniqueConstraint(fields=["agreement", "room"], name="agreement_space_room_once")]

    def __str__(self):
        return str(self.room)


class PriceUnit(models.TextChoices):
    SESSION = "session", _("per session")
    HOUR = "hour", _("per hour")
    MEAL = "meal", _("per meal")
    MONTH = "month", _("per month")
    COURSE = "course", _("per course")


class AgreementService(models.Model):
    """A service the operator brings under an agreement, with its tier and price."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("service"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=ServiceTier.choices)
    price = models.DecimalField(_("price (yuan)"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    price_unit = models.CharField(_("price unit"), max_length=10, choices=PriceUnit.choices, default=PriceUnit.SESSION)
    market_price = models.DecimalField(_("market price of the same service (yuan)"), null=True, blank=True,
                                       validators=[MinValueValidator(0)], **MONEY)
    capacity = models.PositiveIntegerField(_("places per session"), default=0)
    audience = models.CharField(_("for whom"), max_length=120, blank=True)

    scope = ScopeFields(division="agreement__division", organisation="agreement__operator")

    class Meta:
        verbose_name = _("agreed service")
        verbose_name_plural = _("agreed services")
        ordering = ["agreement", "tier", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="service_price_not_negative"),
            models.CheckConstraint(condition=~Q(tier="free") | Q(price=0), name="service_free_tier_costs_nothing"),
        ]

    def __str__(self):
        return self.name


class RevenueShare(models.Model):
    """What the operator pays into the community fund from one tier's revenue: a percentage, or a fixed sum a month."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="shares")
    tier = models.CharField(_("tier"), max_length=10, choices=ServiceTier.choices)
    percent = models.DecimalField(_("share of revenue (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
                                  validators=[MinValueValidator(0), MaxValueValidator(100)])
    fixed_monthly = models.DecimalField(_("fixed sum a month (yuan)"), null=True, blank=True,
                                        validators=[MinValueValidator(0)], **MONEY)

    scope = ScopeFields(division="agreement__division", organisation="agreement__operator")

    class Meta:
        verbose_name = _("revenue share")
        verbose_name_plural = _("revenue shares")
        ordering = ["agreement", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "tier"], name="revenue_share_once_per_tier"),
            models.CheckConstraint(condition=(Q(percent__isnull=False) & Q(fixed_monthly__isnull=True))
                                   | (Q(percent__isnull=True) & Q(fixed_monthly__isnull=False)),
                                   name="revenue_share_percent_or_fixed"),
            models.CheckConstraint(condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                                   name="revenue_share_percent_range"),
        ]

    def __str__(self):
        return f"{self.get_tier_display()}: {self.percent}%" if self.percent is not None else \
            f"{self.get_tier_display()}: ¥{self.fixed_monthly}"


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("awaiting confirmation")
    RETURNED = "returned", _("returned for correction")
    CONFIRMED = "confirmed", _("confirmed")


def month_after(month: date) -> date:
    """The first day of the month after the one ``month`` falls in."""
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


class OperatingReport(models.Model):
    """An operator's figures for one month of one agreement."""

    agreement = models.ForeignKey(Agreement, verbose_name=_("agreement"), on_delete=models.PROTECT, related_name="reports")
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    status = models.CharField(_("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    revenue_low_cost = models.DecimalField(_("low-cost revenue (yuan)"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    revenue_market = models.DecimalField(_("market revenue (yuan)"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    operating_cost = models.DecimalField(_("operating costs (yuan)"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    sessions_free = models.PositiveIntegerField(_("free sessions"), default=0)
    sessions_low_cost = models.PositiveIntegerField(_("low-cost sessions"), default=0)
    sessions_market = models.PositiveIntegerField(_("market sessions"), default=0)
    people_free = models.PositiveIntegerField(_("person-times served free"), default=0)
    people_low_cost = models.PositiveIntegerField(_("person-times served at low cost"), default=0)
    people_market = models.PositiveIntegerField(_("person-times served at market price"), default=0)
    note = models.TextField(_("note"), blank=True)
    fund_share = models.DecimalField(_("share due to the fund (yuan)"), default=ZERO, **MONEY)
    fund_income = models.OneToOneField("funds.Income", verbose_name=_("posted to the fund as"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="operating_report")
    fund_hold = models.OneToOneField("funds.HeldShare", verbose_name=_("held for the community's fund as"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="operating_report",
                                     help_text=_("The community had no fund when the report was confirmed."))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    return_note = models.TextField(_("why returned"), blank=True)

    scope = ScopeFields(division="agreement__division", organisation="agreement__operator")

    class Meta:
        verbose_name = _("operating report")
        verbose_name_plural = _("operating reports")
        ordering = ["-month", "agreement_id"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "month"], name="report_once_per_month"),
            models.CheckConstraint(condition=Q(revenue_low_cost__gte=0, revenue_market__gte=0, operating_cost__gte=0),
                                   name="report_money_not_negative"),
        ]

    def __str__(self):
        return f"{self.agreement} {self.month:%Y-%m}"

    @property
    def revenue(self) -> Decimal:
        return self.revenue_low_cost + self.revenue_market

    @property
    def sessions(self) -> int:
        return self.sessions_free + self.sessions_low_cost + self.sessions_market

    @property
    def people(self) -> int:
        return self.people_free + self.people_low_cost + self.people_market


class ReportPhoto(models.Model):
    report = models.ForeignKey(OperatingReport, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="operations/reports/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="report__agreement__division", organisation="report__agreement__operator")

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")
        ordering = ["report", "id"]

    def __str__(self):
        return self.caption or self.image.name


class Severity(models.TextChoices):
    BREACH = "breach", _("breach")
    WARNING = "warning", _("warning")


class Finding(models.Model):
    """A rule of the city's pack that an agreement or a report breaks, with the figures."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="findings")
    report = models.ForeignKey(OperatingReport, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    rule_key = models.CharField(_("rule"), max_length=80)
    title = models.CharField(_("rule title"), max_length=200)
    source = models.CharField(_("source"), max_length=30, blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.BREACH)
    figure = models.CharField(_("figure"), max_length=120)
    requirement = models.CharField(_("requirement"), max_length=120)
    message = models.CharField(_("finding"), max_length=300)
    found_at = models.DateTimeField(_("found at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    scope = ScopeFields(division="agreement__division", organisation="agreement__operator")

    class Meta:
        verbose_name = _("compliance finding")
        verbose_name_plural = _("compliance findings")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["agreement", "resolved_at"], name="finding_agreement_open")]

    def __str__(self):
        return self.message


class FundingKind(models.TextChoices):
    PURCHASE = "purchase", _("government-purchased service")
    CONSTRUCTION_SUBSIDY = "construction_subsidy", _("construction subsidy")
    REWARD = "reward", _("reward instead of subsidy")


class FundingStatus(models.TextChoices):
    ACTIVE = "active", _("in progress")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


class Funding(models.Model):
    """Public money for community services: a purchase-of-service contract with a social
    organisation, a construction subsidy (e.g. ¥100,000 per service station [Quanzhou]) or a
    reward-instead-of-subsidy (以奖代补) [Quanzhou, Xishan]."""

    kind = models.CharField(_("kind"), max_length=24, choices=FundingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("contract or document number"), max_length=80, blank=True)
    funder = models.ForeignKey("org.Division", verbose_name=_("paid by"), on_delete=models.PROTECT, related_name="fundings_paid")
    department = models.ForeignKey("org.Organisation", verbose_name=_("purchasing department"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="fundings_purchased")
    division = models.ForeignKey("org.Division", verbose_name=_("community or street served"), on_delete=models.PROTECT,
                                 related_name="fundings")
    recipient = models.ForeignKey("org.Organisation", verbose_name=_("provider or recipient organisation"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="fundings_received")
    site = models.ForeignKey("registry.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="fundings")
    amount = models.DecimalField(_("amount (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    conditions = models.TextField(_("conditions"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=FundingStatus.choices, default=FundingStatus.ACTIVE)
    paid = models.DecimalField(_("paid so far (yuan)"), default=ZERO, **MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division=("division", "funder"), organisation="recipient")

    class Meta:
        verbose_name = _("public funding")
        verbose_name_plural = _("public funding")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_amount_positive"),
            models.CheckConstraint(condition=Q(paid__gte=0) & Q(paid__lte=F("amount")), name="funding_never_overpaid"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="funding_ends_after_it_starts"),
        ]

    def __str__(self):
        return self.title


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    MET = "met", _("met")
    MISSED = "missed", _("missed")


class Milestone(models.Model):
    funding = models.ForeignKey(Funding, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("payment on this milestone (yuan)"), default=ZERO, validators=[MinValueValidator(0)], **MONEY)
    status = models.CharField(_("status"), max_length=8, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING)
    evidence = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="operations/evidence/%Y/", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    scope = ScopeFields(division=("funding__division", "funding__funder"), organisation="funding__recipient")

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["funding", "due_on", "id"]

    def __str__(self):
        return self.title


class Payment(models.Model):
    funding = models.ForeignKey(Funding, on_delete=models.PROTECT, related_name="payments")
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)
    paid_on = models.DateField(pgettext_lazy("money paid out", "paid on"))
    document = models.CharField(_("payment document"), max_length=80)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division=("funding__division", "funding__funder"), organisation="funding__recipient")

    class Meta:
        verbose_name = pgettext_lazy("money paid out", "payment")
        verbose_name_plural = pgettext_lazy("money paid out", "payments")
        ordering = ["funding", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.funding} ¥{self.amount}"


class OfferStatus(models.TextChoices):
    OPEN = "open", _("open for proposals")
    AWARDED = "awarded", _("partner chosen")
    WITHDRAWN = "withdrawn", _("withdrawn")


class PartnershipOffer(models.Model):
    """An idle room published as open for partnership: operators propose services for it [Huli]."""

    room = models.ForeignKey("registry.Room", verbose_name=_("room"), on_delete=models.PROTECT, related_name="partnership_offers")
    division = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT,
                                 related_name="partnership_offers")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("what the community is looking for"))
    categories = models.JSONField(_("service categories wanted"), default=list, blank=True)
    hours = models.JSONField(_("weekly hours offered"), default=list, blank=True)
    usage_rate = models.FloatField(_("usage rate when published"), null=True, blank=True)
    closes_on = models.DateField(_("proposals until"))
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()
    agreement = models.OneToOneField(Agreement, null=True, blank=True, on_delete=models.PROTECT, related_name="offer")

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("partnership offer")
        verbose_name_plural = _("partnership offers")
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["room"], condition=Q(status="open"), name="offer_one_open_per_room")]

    def __str__(self):
        return self.title


class InterestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    CHOSEN = "chosen", _("chosen")
    DECLINED = "declined", _("not chosen")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Interest(models.Model):
    """An operator's proposal for an idle room."""

    offer = models.ForeignKey(PartnershipOffer, on_delete=models.CASCADE, related_name="interests")
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT,
                                 related_name="partnership_interests")
    proposal = models.TextField(_("proposal"))
    # [{"name": …, "category": …, "tier": …, "price": "…"}, …]
    services = models.JSONField(_("services proposed"), default=list, blank=True)
    renovation_cost = models.DecimalField(_("renovation the operator would pay (yuan)"), default=ZERO,
                                          validators=[MinValueValidator(0)], **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=InterestStatus.choices, default=InterestStatus.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    scope = ScopeFields(division="offer__division", organisation="operator")

    class Meta:
        verbose_name = _("expression of interest")
        verbose_name_plural = _("expressions of interest")
        ordering = ["offer", "submitted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["offer", "operator"], condition=~Q(status="withdrawn"),
                                               name="interest_once_per_operator")]

    def __str__(self):
        return f"{self.operator} → {self.offer}"
