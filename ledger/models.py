"""The double-entry ledger: accounts, the transactions between them, and their legs.

Every movement of money is one ``Transaction`` with two or more ``Leg`` rows whose amounts sum
to zero (money into an account is positive, money out negative). An ``Account``'s ``balance``
is the sum of its legs, kept up to date in the same database transaction as the legs are
written (``ledger.services.ledger_post``) so it can be read without summing; the selectors can
always recompute it from the legs.

Fund and earmarked accounts hold real money and never go below zero; the database refuses it
too (``ledger_account_not_overdrawn``). External accounts stand for the outside world (donors,
payees, the district budget) and go negative as money comes in from there.

``MonthTotal`` keeps, per account, kind of movement and month, the sum of its legs, written
in the same database transaction as the legs (under the same account lock), so that income by
kind and month for thousands of funds is a read of a small table; a reversal counts against
the kind it reverses. ``ledger.selectors.month_totals_unreconciled`` checks it against the legs.

Transactions and legs are append-only: a mistake is corrected by a reversal, never by editing
or deleting. ``save()`` of an existing row and ``delete()`` refuse here, and on PostgreSQL a
trigger (migration 0002) refuses UPDATE and DELETE at the database itself.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields

ZERO = Decimal("0.00")


class AppendOnlyError(RuntimeError):
    """Someone tried to change or delete a posted transaction or leg: post a reversal instead."""


class AccountKind(models.TextChoices):
    FUND = "fund", _("fund")
    EARMARKED = "earmarked", _("earmarked sub-account")
    EXTERNAL = "external", _("external")


class Account(models.Model):
    code = models.CharField(
        _("account code"), max_length=64, unique=True,
        help_text=_("Kind and division code, e.g. fund:359902001001 or street-earmarked:359902001000."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    division = models.ForeignKey(
        "org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    organisation = models.ForeignKey(
        "org.Organisation", verbose_name=_("host organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    allow_negative = models.BooleanField(_("may go negative"), default=False)
    balance = models.DecimalField(_("balance (yuan)"), max_digits=16, decimal_places=2, default=ZERO)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    scope = ScopeFields(division="division", organisation="organisation")

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allow_negative=True) | Q(balance__gte=0), name="ledger_account_not_overdrawn"
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.EXTERNAL) | Q(allow_negative=False),
                name="ledger_account_only_external_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class AppendOnlyModel(models.Model):
    """A row that is written once: saving it again or deleting it raises ``AppendOnlyError``."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(
                f"{self._meta.label} #{self.pk} is already posted and cannot be changed; post a reversal instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(
            f"{self._meta.label} #{self.pk} is already posted and cannot be deleted; post a reversal instead."
        )


# What each kind of movement is called on statements and in the audit trail (the kind is free text
# so that a module can add its own; each adds its label here).
TRANSACTION_KINDS = {
    "public_donation": _("public donation"),
    "targeted_donation": _("targeted donation"),
    "donation": _("donation"),
    "operator_share": _("operator revenue share"),
    "market": _("neighbourhood market proceeds"),
    "micro_business": _("community micro-business proceeds"),
    "seed_matching": _("seed matching"),
    "appropriation": _("district appropriation"),
    "disbursement": _("disbursement"),
    "reversal": _("reversal"),
    "monetisation": _("monetisation payment"),
    "room_rent": _("rent from an idle room"),
    "transfer": _("transfer"),
}


def transaction_kind_label(kind: str) -> str:
    label = TRANSACTION_KINDS.get(kind)
    return str(label) if label is not None else kind


class Transaction(AppendOnlyModel):
    kind = models.CharField(
        _("kind"), max_length=40, db_index=True,
        help_text=_("What the movement is, e.g. donation, disbursement, seed_matching, reversal."),
    )
    memo = models.TextField(_("memo"), blank=True)
    source_document = models.CharField(
        _("source document"), max_length=100,
        help_text=_("The voucher, receipt or decision number this movement rests on."),
    )
    occurred_on = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("posted by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("posted by (name)"), max_length=150, blank=True)
    division = models.ForeignKey(
        "org.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source_document=""), name="ledger_transaction_has_source_document"),
            models.CheckConstraint(condition=~Q(kind=""), name="ledger_transaction_has_kind"),
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="ledger_transaction_reversal_names_original",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.kind} {self.source_document}"

    @property
    def kind_label(self) -> str:
        return transaction_kind_label(self.kind)


class Leg(AppendOnlyModel):
    transaction = models.ForeignKey(
        Transaction, verbose_name=_("transaction"), on_delete=models.PROTECT, related_name="legs",
        db_index=False,  # led by ledger_leg_one_per_account
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="legs",
        db_index=False,  # led by ledger_leg_account_txn
    )
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=16, decimal_places=2, help_text=_("Positive into the account, negative out of it.")
    )

    scope = ScopeFields(division="account__division", organisation="account__organisation")

    class Meta:
        verbose_name = _("ledger leg")
        verbose_name_plural = _("ledger legs")
        ordering = ["transaction_id", "id"]
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_leg_account_txn")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_leg_amount_not_zero"),
            models.UniqueConstraint(fields=["transaction", "account"], name="ledger_leg_one_per_account"),
        ]

    def __str__(self):
        return f"{self.account.code} {self.amount:+}"


class MonthTotal(models.Model):
    """The sum of an account's legs of one kind in one month (kept by ``ledger.services``)."""

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="month_totals")
    kind = models.CharField(_("kind"), max_length=40)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=16, decimal_places=2, default=ZERO)

    scope = ScopeFields(division="account__division", organisation="account__organisation")

    class Meta:
        verbose_name = _("monthly total")
        verbose_name_plural = _("monthly totals")
        constraints = [models.UniqueConstraint(fields=["account", "kind", "month"], name="ledger_month_total_unique")]

    def __str__(self):
        return f"{self.account.code} {self.kind} {self.month:%Y-%m} {self.amount}"
