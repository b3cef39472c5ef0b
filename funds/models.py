"""Community development funds (社区发展基金): funds hosted by charities, their income, committees and projects.

A ``Fund`` is a community's (or a district's) sub-account (单独设账) at a charity with
public-fundraising status; its money lives in a ledger ``Account`` of kind *fund*, so every
movement is a balanced, append-only ledger transaction and the balance can never go below
zero [Zibo]. ``Income`` records why money came in (kind, donor, receipt) beside the ledger
transaction that moved it; seed matching from the district's fund is an income that names
the income it matches [Xishan]. A ``HeldShare`` is an operator's share confirmed for a community
that has no fund yet, held in an earmarked account until the fund is founded. A ``Project`` goes through the committee's vote, the charity's
approval, disbursement in instalments against the balance, and a completion report [Zibo];
``services`` holds one function per step.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

ZERO = Decimal("0.00")


class Fund(models.Model):
    division = models.OneToOneField("org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="fund")
    host = models.ForeignKey("org.Organisation", verbose_name=_("host charity"), on_delete=models.PROTECT, related_name="hosted_funds")
    account = models.OneToOneField("ledger.Account", verbose_name=_("ledger account"), on_delete=models.PROTECT, related_name="fund")
    name = models.CharField(_("name"), max_length=200)
    founded_on = models.DateField(_("founded on"), default=timezone.localdate)
    led_by = models.CharField(_("led by"), max_length=200, help_text=_("The community party organisation that leads the fund."))
    founding_document = models.CharField(_("founding document"), max_length=100, blank=True,
                                         help_text=_("The charity's approval or agreement number."))
    purpose = models.TextField(_("purpose"), blank=True)
    rules = models.TextField(_("management rules"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="division", organisation="host")

    class Meta:
        verbose_name = _("community development fund")
        verbose_name_plural = _("community development funds")
        ordering = ["division__code"]

    def __str__(self):
        return self.name


class CommitteeSide(models.TextChoices):
    PARTY = "party", _("community party organisation")
    RESIDENTS = "residents", _("residents' representatives")
    DONORS = "donors", _("donors")
    CHARITY = "charity", _("charity")
    EXPERTS = "experts", _("professionals")


class CommitteeMember(models.Model):
    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="fund_memberships")
    side = models.CharField(_("side"), max_length=16, choices=CommitteeSide.choices)
    is_chair = models.BooleanField(_("chair"), default=False)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    scope = ScopeFields(division="fund__division", organisation="fund__host")

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["-is_chair", "joined_on", "id"]
        constraints = [models.UniqueConstraint(fields=["fund", "user"], condition=Q(left_on__isnull=True),
                                               name="funds_member_once")]

    def __str__(self):
        return f"{self.fund} · {self.user}"


class IncomeKind(models.TextChoices):
    PUBLIC_DONATION = "public_donation", _("public donation")
    TARGETED_DONATION = "targeted_donation", _("targeted donation")
    OPERATOR_SHARE = "operator_share", _("operator revenue share")
    MARKET = "market", _("neighbourhood market proceeds")
    MICRO_BUSINESS = "micro_business", _("community micro-business proceeds")
    SEED_MATCHING = "seed_matching", _("seed matching")
    APPROPRIATION = "appropriation", _("district appropriation")


class DonorKind(models.TextChoices):
    INDIVIDUAL = "individual", _("individual")
    ENTERPRISE = "enterprise", _("enterprise")
    ORGANISATION = "organisation", _("organisation")
    GOVERNMENT = "government", _("government")


class Income(models.Model):
    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="incomes")
    kind = models.CharField(_("kind"), max_length=24, choices=IncomeKind.choices)
    donor_name = models.CharField(_("donor"), max_length=200)
    donor_kind = models.CharField(_("donor kind"), max_length=16, choices=DonorKind.choices, default=DonorKind.INDIVIDUAL)
    anonymous = models.BooleanField(_("anonymous in disclosures"), default=False)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True, help_text=_("A targeted donation's purpose."))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    receipt_no = models.CharField(_("donation receipt number"), max_length=60, blank=True)
    transaction = models.OneToOneField("ledger.Transaction", verbose_name=_("ledger transaction"), on_delete=models.PROTECT,
                                       related_name="fund_income")
    matches = models.OneToOneField("self", verbose_name=_("matches"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="matched_by")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="fund__division", organisation="fund__host")

    class Meta:
        verbose_name = _("income")
        verbose_name_plural = _("income")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="funds_income_positive")]

    def __str__(self):
        return f"{self.fund} {self.get_kind_display()} {self.amount}"

    @property
    def public_donor(self) -> str:
        return str(_("anonymous donor")) if self.anonymous else self.donor_name


class HeldShare(models.Model):
    """An operator's revenue share confirmed for a place that has no fund yet. The money is held in the
    place's earmarked ledger account (``held:<code>``) and posted to the fund as income when one is
    founded (``services.fund_create``), so no share is lost."""

    division = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="held_shares")
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="held_shares")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    source_document = models.CharField(_("source document"), max_length=100)
    transaction = models.OneToOneField("ledger.Transaction", verbose_name=_("held by the ledger transaction"), on_delete=models.PROTECT,
                                       related_name="held_share")
    income = models.OneToOneField(Income, verbose_name=_("posted to the fund as"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="held_share")
    handed_over_at = models.DateTimeField(_("posted to the fund at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="division", organisation="operator")

    class Meta:
        verbose_name = _("share held for a fund")
        verbose_name_plural = _("shares held for a fund")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_held_share_positive"),
            models.CheckConstraint(condition=Q(income__isnull=True, handed_over_at__isnull=True)
                                   | Q(income__isnull=False, handed_over_at__isnull=False), name="funds_held_share_handed_over_once"),
        ]

    def __str__(self):
        return f"{self.division} {self.operator} {self.amount}"


class ProjectKind(models.TextChoices):
    MICRO_RENOVATION = "micro_renovation", _("micro-renovation")
    VISITS = "visits", _("visits and condolences")
    SERVICES = "services", _("purchase of services")
    EVENTS = "events", _("events")
    HARDSHIP = "hardship", _("help for hardship households")


class ProjectStatus(models.TextChoices):
    REVIEW = "review", _("under committee review")
    REJECTED = "rejected", _("not passed by the committee")
    ENDORSED = "endorsed", _("passed by the committee")
    APPLIED = "applied", _("applied for at the charity")
    RETURNED = "returned", _("returned by the charity")
    APPROVED = "approved", _("approved by the charity")
    DISBURSING = "disbursing", _("being paid out")
    COMPLETED = "completed", _("completed")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Project(models.Model):
    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=ProjectKind.choices)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2)
    beneficiaries = models.CharField(_("beneficiaries"), max_length=200)
    beneficiary_count = models.PositiveIntegerField(_("number of beneficiaries"), default=0)
    plan = models.TextField(_("plan"))
    status = models.CharField(_("status"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.REVIEW)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    charity_decided_at = models.DateTimeField(_("decided by the charity at"), null=True, blank=True)
    charity_decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    charity_note = models.TextField(_("charity's note"), blank=True)
    disbursed = models.DecimalField(_("paid out (yuan)"), max_digits=14, decimal_places=2, default=ZERO)
    spent = models.DecimalField(_("spending evidenced (yuan)"), max_digits=14, decimal_places=2, default=ZERO)
    report = models.TextField(_("completion report"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    scope = ScopeFields(division="fund__division", organisation="fund__host")

    class Meta:
        verbose_name = _("fund project")
        verbose_name_plural = _("fund projects")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gt=0), name="funds_project_budget_positive"),
            models.CheckConstraint(condition=Q(disbursed__lte=models.F("budget")), name="funds_project_within_budget"),
        ]

    def __str__(self):
        return self.title


class VoteChoice(models.TextChoices):
    YES = "yes", pgettext_lazy("vote", "for")
    NO = "no", pgettext_lazy("vote", "against")
    ABSTAIN = "abstain", pgettext_lazy("vote", "abstain")
    RECUSED = "recused", pgettext_lazy("vote", "recused (conflict of interest)")


class Vote(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(CommitteeMember, verbose_name=_("member"), on_delete=models.PROTECT, related_name="votes")
    choice = models.CharField(_("vote"), max_length=8, choices=VoteChoice.choices)
    comment = models.TextField(_("comment"))
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)

    scope = ScopeFields(division="project__fund__division", organisation="project__fund__host")

    class Meta:
        verbose_name = _("committee vote")
        verbose_name_plural = _("committee votes")
        ordering = ["cast_at", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "member"], name="funds_one_vote_per_member")]

    def __str__(self):
        return f"{self.project} · {self.member.user} · {self.choice}"


class Disbursement(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="disbursements")
    instalment = models.PositiveSmallIntegerField(_("instalment"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    payee = models.CharField(_("payee"), max_length=200)
    paid_on = models.DateField(pgettext_lazy("money paid out", "paid on"))
    transaction = models.OneToOneField("ledger.Transaction", verbose_name=_("ledger transaction"), on_delete=models.PROTECT,
                                       related_name="fund_disbursement")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paid by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    scope = ScopeFields(division="project__fund__division", organisation="project__fund__host")

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["project", "instalment"]
        constraints = [models.UniqueConstraint(fields=["project", "instalment"], name="funds_instalment_once"),
                       models.CheckConstraint(condition=Q(amount__gt=0), name="funds_disbursement_positive")]

    def __str__(self):
        return f"{self.project} #{self.instalment} {self.amount}"


class Evidence(models.Model):
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="evidence")
    description = models.CharField(_("what was spent on"), max_length=200)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    invoice_no = models.CharField(_("invoice or voucher number"), max_length=60)
    file = models.FileField(_("scan or photo"), upload_to="funds/evidence/%Y/%m/", blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    scope = ScopeFields(division="project__fund__division", organisation="project__fund__host")

    class Meta:
        verbose_name = _("spending evidence")
        verbose_name_plural = _("spending evidence")
        ordering = ["added_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="funds_evidence_positive")]

    def __str__(self):
        return f"{self.project} · {self.invoice_no} {self.amount}"
