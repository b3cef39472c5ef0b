"""Writing the ledger: opening and closing accounts, posting and reversing transactions.

Callers have already checked the actor's permission (``accounts.permissions``). These functions
keep the ledger's invariants: every transaction balances to zero, amounts are whole fen,
closed accounts take no postings, and fund and earmarked accounts never go below zero. The
accounts a posting touches are locked (``select_for_update``, in id order so two postings can
never wait on each other) before their balances are read, so concurrent postings are
serialised and an overdraft is refused even under load; the database's check constraint is the
last line behind that. Every posting leaves an audit event.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, snapshot
from core.errors import Conflict, ValidationFailed
from core.services import clean_or_raise
from org.models import Division, Organisation

from .models import ZERO, Account, AccountKind, Leg, MonthTotal, Transaction

CENT = Decimal("0.01")
# The largest amount one leg may carry, and the largest balance an account may reach
# (``max_digits=16, decimal_places=2``).
MAX_LEG_AMOUNT = Decimal(10**12)
MAX_BALANCE = Decimal(10**14) - CENT
REVERSAL = "reversal"


class InsufficientFunds(Conflict):
    """The posting would take an account that may not go negative below zero."""

    code = "insufficient_funds"
    default_message = _("The balance is not enough for this.")


def to_yuan(value, *, field: str = "amount") -> Decimal:
    """An amount of money as a Decimal of yuan with two places.

    Accepts ``Decimal``, ``int`` and numeric strings ("12", "12.5", "12.50"); refuses floats
    (which cannot hold fen exactly), non-numbers and anything finer than a fen.
    """
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise ValidationFailed(fields={field: [_("Give the amount as a decimal number, not a float.")]})
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(fields={field: [_("Enter an amount in yuan, such as 1200.50.")]}) from None
    if not amount.is_finite():
        raise ValidationFailed(fields={field: [_("Enter an amount in yuan, such as 1200.50.")]})
    if amount != amount.quantize(CENT):
        raise ValidationFailed(fields={field: [_("An amount has at most two decimal places (fen).")]})
    return amount.quantize(CENT)


def _actor_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _actor_name(actor) -> str:
    user = _actor_user(actor)
    return user.username if user else (str(actor) if actor else "system")


@transaction.atomic
def account_open(
    *, actor, code: str, name: str, kind: str, division: Division, organisation: Organisation | None = None
) -> Account:
    code = code.strip()
    if Account.objects.filter(code=code).exists():
        raise Conflict(_("An account with code %(code)s already exists.") % {"code": code}, fields={"code": [_("Already in use.")]})
    account = Account(
        code=code, name=name.strip(), kind=kind, division=division, organisation=organisation,
        allow_negative=kind == AccountKind.EXTERNAL,
    )
    clean_or_raise(account)
    account.save()
    audit_record(
        actor=actor, action="ledger.account.opened", target=account, division=division, organisation=organisation,
        changes=snapshot(account, ["code", "name", "kind", "division", "organisation", "allow_negative"]),
    )
    return account


def account_get_or_open(
    *, actor, code: str, name: str, kind: str, division: Division, organisation: Organisation | None = None
) -> Account:
    """The account with ``code``, opened now if it does not exist yet — once, however many postings
    ask for it at the same moment (the loser of the race reads the winner's committed row)."""
    found = Account.objects.filter(code=code).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return account_open(actor=actor, code=code, name=name, kind=kind, division=division, organisation=organisation)
    except (IntegrityError, Conflict, ValidationFailed):
        # Opened concurrently: committed before our check, or the unique index made us wait for it.
        found = Account.objects.filter(code=code).first()
        if found is None:
            raise
        return found


@transaction.atomic
def account_close(*, actor, account: Account) -> Account:
    """Close an account to further postings. Money-holding accounts must be empty first."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.is_closed:
        raise Conflict(_("The account %(account)s is already closed.") % {"account": account.code})
    if not account.allow_negative and account.balance != ZERO:
        raise Conflict(
            _("The account %(account)s still holds %(balance)s yuan; move it elsewhere before closing.")
            % {"account": account.code, "balance": account.balance}
        )
    account.closed_at = timezone.now()
    account.save(update_fields=["closed_at"])
    audit_record(
        actor=actor, action="ledger.account.closed", target=account, division=account.division,
        organisation=account.organisation, changes={"closed_at": [None, account.closed_at]},
    )
    return account


def _checked_legs(legs) -> list[tuple[Account, Decimal]]:
    """The legs with their amounts as yuan, or ``ValidationFailed`` saying what is wrong with them."""
    if len(legs) < 2:
        raise ValidationFailed(fields={"legs": [_("A transaction has at least two legs.")]})
    checked, errors, seen = [], [], set()
    for number, (account, raw) in enumerate(legs, start=1):
        try:
            amount = to_yuan(raw)
        except ValidationFailed as error:
            errors += [_("Leg %(n)s: %(error)s") % {"n": number, "error": m} for m in error.fields["amount"]]
            continue
        if amount == 0:
            errors.append(_("Leg %(n)s: the amount must not be zero.") % {"n": number})
        elif abs(amount) > MAX_LEG_AMOUNT:
            errors.append(_("Leg %(n)s: the amount is larger than one transaction may carry.") % {"n": number})
        if account.pk in seen:
            errors.append(_("Leg %(n)s: each account appears in a transaction only once.") % {"n": number})
        seen.add(account.pk)
        checked.append((account, amount))
    if errors:
        raise ValidationFailed(fields={"legs": errors})
    total = sum((amount for _account, amount in checked), ZERO)
    if total != ZERO:
        raise ValidationFailed(
            fields={"legs": [_("The legs must sum to zero; they sum to %(total)s yuan.") % {"total": total}]}
        )
    return checked


def _post(
    *, actor, kind: str, legs: list[tuple[Account, Decimal]], source_document: str, memo: str,
    occurred_on: datetime.date, division: Division, reverses: Transaction | None = None,
) -> Transaction:
    """Lock the accounts, check the new balances, write the transaction and its legs. In an atomic block."""
    ids = [account.pk for account, _amount in legs]
    by_id = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    for account, amount in legs:
        locked = by_id.get(account.pk)
        if locked is None:
            raise ValidationFailed(fields={"legs": [_("The account %(account)s does not exist.") % {"account": account}]})
        if locked.is_closed:
            raise Conflict(
                _("The account %(account)s is closed.") % {"account": locked.code}, code="account_closed",
            )
        new_balance = locked.balance + amount
        if new_balance < ZERO and not locked.allow_negative:
            raise InsufficientFunds(
                _("The balance of %(account)s is %(balance)s yuan; this needs %(needed)s yuan.")
                % {"account": locked.name, "balance": locked.balance, "needed": -amount},
                extra={"account": locked.code, "balance": str(locked.balance), "needed": str(-amount)},
            )
        if abs(new_balance) > MAX_BALANCE:
            message = _("The balance of %(account)s would exceed what the ledger can hold.") % {"account": locked.code}
            raise ValidationFailed(fields={"legs": [message]})
    actor_user = _actor_user(actor)
    posted = Transaction.objects.create(
        kind=kind, memo=memo, source_document=source_document, occurred_on=occurred_on, actor=actor_user,
        actor_name=_actor_name(actor), division=division, reverses=reverses,
    )
    Leg.objects.bulk_create([Leg(transaction=posted, account=account, amount=amount) for account, amount in legs])
    month = occurred_on.replace(day=1)
    counted_as = reverses.kind if reverses is not None else kind
    for account, amount in legs:
        # Rounded to fen so SQLite's floating-point arithmetic cannot leave a -0.0000000001 behind.
        Account.objects.filter(pk=account.pk).update(balance=Round(F("balance") + amount, 2))
        # The account is locked, so nobody else adds to its totals meanwhile.
        if not MonthTotal.objects.filter(account_id=account.pk, kind=counted_as, month=month).update(
                amount=Round(F("amount") + amount, 2)):
            MonthTotal.objects.create(account_id=account.pk, kind=counted_as, month=month, amount=amount)
    changes = {
        "kind": kind, "source_document": source_document, "memo": memo, "occurred_on": occurred_on,
        "legs": [{"account": by_id[account.pk].code, "amount": amount} for account, amount in legs],
    }
    if reverses is not None:
        changes["reverses"] = reverses.pk
    audit_record(
        actor=actor, action="ledger.transaction.reversed" if reverses else "ledger.transaction.posted",
        target=posted, division=division, changes=changes, note=memo if reverses else "",
    )
    return posted


def _default_division(legs: list[tuple[Account, Decimal]]) -> Division:
    """Where a transaction belongs when the caller does not say: its first money-holding account's division."""
    for account, _amount in legs:
        if account.kind != AccountKind.EXTERNAL:
            return account.division
    return legs[0][0].division


@transaction.atomic
def ledger_post(
    *,
    actor,
    kind: str,
    legs: list[tuple[Account, Decimal]],
    source_document: str,
    memo: str = "",
    occurred_on: datetime.date | None = None,
    division: Division | None = None,
) -> Transaction:
    """Post one balanced transaction: ``legs`` are (account, signed amount), positive into the account.

    ``division`` says whose transaction it is (for scoping); by default the division of the
    first fund or earmarked account among the legs. Pass it when the legs span divisions.
    """
    kind, source_document, memo = kind.strip(), source_document.strip(), memo.strip()
    errors = {}
    if not kind:
        errors["kind"] = [_("This field is required.")]
    elif kind == REVERSAL:
        errors["kind"] = [_("Reversals are posted by reversing the original transaction.")]
    elif len(kind) > Transaction._meta.get_field("kind").max_length:
        errors["kind"] = [_("This name is too long.")]
    if not source_document:
        errors["source_document"] = [_("Name the voucher, receipt or decision this rests on.")]
    elif len(source_document) > Transaction._meta.get_field("source_document").max_length:
        errors["source_document"] = [_("This is too long.")]
    if errors:
        raise ValidationFailed(fields=errors)
    checked = _checked_legs(legs)
    return _post(
        actor=actor, kind=kind, legs=checked, source_document=source_document, memo=memo,
        occurred_on=occurred_on or timezone.localdate(), division=division or _default_division(checked),
    )


def ledger_transfer(
    *,
    actor,
    kind: str,
    source: Account,
    destination: Account,
    amount,
    source_document: str,
    memo: str = "",
    occurred_on: datetime.date | None = None,
    division: Division | None = None,
) -> Transaction:
    """Move a positive ``amount`` from ``source`` to ``destination``: the common two-leg posting.

    A donation moves money from the donor's external account into a fund, a disbursement from
    a fund to the payee's external account.
    """
    amount = to_yuan(amount)
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    return ledger_post(
        actor=actor, kind=kind, legs=[(source, -amount), (destination, amount)], source_document=source_document,
        memo=memo, occurred_on=occurred_on, division=division,
    )


# Inside ledger_reverse the parameter ``transaction`` hides ``django.db.transaction``; the
# decorator was applied before, so the function is still atomic.
@transaction.atomic
def ledger_reverse(*, actor, transaction: Transaction, reason: str) -> Transaction:
    """Undo ``transaction`` by posting its mirror image; the original stays as it was.

    A transaction is reversed at most once, and a reversal is not itself reversed (post the
    movement again instead). The reversal respects balances like any posting: a donation
    already spent cannot be reversed.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why the transaction is reversed.")]})
    original = Transaction.objects.select_for_update().get(pk=transaction.pk)
    if original.reverses_id is not None:
        raise Conflict(_("A reversal cannot itself be reversed; post the movement again instead."), code="is_reversal")
    if Transaction.objects.filter(reverses=original).exists():
        raise Conflict(_("This transaction has already been reversed."), code="already_reversed")
    mirror = [(leg.account, -leg.amount) for leg in original.legs.select_related("account").order_by("id")]
    return _post(
        actor=actor, kind=REVERSAL, legs=mirror, source_document=original.source_document, memo=reason,
        occurred_on=timezone.localdate(), division=original.division, reverses=original,
    )
