"""Writing the funds: founding, committee, income and seed matching, and each step of a project.

Money moves only through ``ledger.services``, which locks the accounts it posts to and refuses
any posting that would take a fund below zero, so a fund is never overdrawn, however many
disbursements arrive at once. Each project step is one function that locks the project row,
checks that the project is in a state the step may start from (``_require_status``), and
writes the new state with an audit event; anything else is refused and nothing is written.

The committee's numbers (size, quorum, majority, who may not vote or approve) and the district's
seed matching (ratio, yearly cap, eligible kinds) come from the city's rule pack (``funds.rules``).
"""

import math
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import clean_or_raise, require_filled
from core.uploads import document_from_upload
from ledger.models import Account, AccountKind
from ledger.services import account_get_or_open, account_open, ledger_transfer, to_yuan
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import rule

from .models import (
    ZERO,
    CommitteeMember,
    Disbursement,
    DonorKind,
    Evidence,
    Fund,
    HeldShare,
    Income,
    IncomeKind,
    Project,
    ProjectStatus,
    Vote,
    VoteChoice,
)

# Rules from the pack.

def committee_rule(fund: Fund) -> dict:
    found = rule(division=fund.division, key="funds.committee")
    if found is None:
        raise Conflict(_("The city's rule pack has no fund committee rule (funds.committee); load a newer pack."),
                       code="rule_missing")
    return found.params


def matching_rule(division: Division) -> dict | None:
    found = rule(division=division, key="funds.seed_matching")
    return found.params if found is not None else None


def _positive(value, field: str = "amount") -> Decimal:
    amount = to_yuan(value, field=field)
    if amount <= 0:
        raise ValidationFailed(fields={field: [_("The amount must be more than zero.")]})
    return amount


# Founding a fund and its committee.

def _counterparty(fund: Fund, code: str, name) -> Account:
    """The fund's outside account (donors, payees), opened the first time it is needed — once, however
    many postings ask for it at the same moment."""
    return account_get_or_open(actor="funds", code=f"external:{code}:{fund.division.code}", kind=AccountKind.EXTERNAL,
                               name=str(name), division=fund.division, organisation=fund.host)


@transaction.atomic
def fund_create(*, actor, division: Division, host: Organisation, name: str = "", led_by: str, founding_document: str = "",
                purpose: str = "", rules: str = "", founded_on: date | None = None) -> Fund:
    """Found a community's (or a district's) fund as a sub-account at a charity with public-fundraising status."""
    if division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.DISTRICT):
        raise ValidationFailed(fields={"division": [_("A fund belongs to a community or a district.")]})
    if host.kind != OrganisationKind.CHARITY or not host.public_fundraising:
        raise ValidationFailed(fields={"host": [_("Only a charity with public-fundraising status can host a fund.")]})
    require_filled(led_by=led_by)
    founded_on = founded_on or timezone.localdate()
    if founded_on > timezone.localdate():
        raise ValidationFailed(fields={"founded_on": [_("A fund cannot be founded on a future date.")]})
    _lock_place(division)
    if Fund.objects.filter(division=division).exists():
        raise Conflict(_("%(division)s already has a fund.") % {"division": division.name}, code="fund_exists")
    if not name.strip():
        with translation.override(settings.LANGUAGE_CODE):  # an official name, whatever language the clerk reads
            name = str(_("%(division)s community development fund") % {"division": division.name})
    account = account_open(actor=actor, code=f"fund:{division.code}", name=name, kind=AccountKind.FUND, division=division,
                           organisation=host)
    fund = Fund(division=division, host=host, account=account, name=name, led_by=led_by.strip(),
                founding_document=founding_document.strip(), purpose=purpose.strip(), rules=rules.strip(),
                founded_on=founded_on)
    clean_or_raise(fund, exclude=["account"])
    fund.save()
    handed_over = _hand_over_held_shares(actor=actor, fund=fund)
    audit_record(actor=actor, action="funds.fund.created", target=fund, division=division, organisation=host,
                 changes={**snapshot(fund, ["name", "host", "led_by", "founding_document", "founded_on"]),
                          "held_shares_posted": len(handed_over), "held_amount_posted": sum((h.amount for h in handed_over), ZERO)})
    return fund


@transaction.atomic
def member_add(*, actor, fund: Fund, user, side: str, is_chair: bool = False) -> CommitteeMember:
    """Seat ``user`` on the fund's committee; they get the committee role at the fund's community."""
    from accounts.services import role_assign

    if CommitteeMember.objects.filter(fund=fund, user=user, left_on__isnull=True).exists():
        raise Conflict(_("%(user)s is already on the committee.") % {"user": user}, code="already_member")
    if is_chair:
        CommitteeMember.objects.filter(fund=fund, is_chair=True, left_on__isnull=True).update(is_chair=False)
    member = CommitteeMember(fund=fund, user=user, side=side, is_chair=is_chair)
    clean_or_raise(member)
    member.save()
    if fund.division.level == DivisionLevel.COMMUNITY and not any(
            a.role == Role.FUND_COMMITTEE and a.division_id == fund.division_id for a in active_roles(user)):
        role_assign(actor=actor, user=user, role=Role.FUND_COMMITTEE, division=fund.division)
    audit_record(actor=actor, action="funds.member.added", target=member, division=fund.division, organisation=fund.host,
                 changes={"user": user.username, "side": side, "is_chair": is_chair})
    return member


@transaction.atomic
def member_remove(*, actor, member: CommitteeMember) -> CommitteeMember:
    member = CommitteeMember.objects.select_for_update(of=("self",)).select_related("fund__division").get(pk=member.pk)
    if member.left_on is not None:
        raise Conflict(_("This member has already left the committee."))
    member.left_on = timezone.localdate()
    member.save(update_fields=["left_on"])
    audit_record(actor=actor, action="funds.member.removed", target=member, division=member.fund.division,
                 organisation=member.fund.host, changes={"left_on": member.left_on})
    return member


# Income and seed matching.

def _district_fund(fund: Fund) -> Fund | None:
    if fund.division.level != DivisionLevel.COMMUNITY:
        return None
    district_path = "/".join(fund.division.path.split("/")[:2]) + "/"
    return Fund.objects.select_related("account", "division").filter(division__path=district_path).first()


def matched_this_year(fund: Fund, year: int) -> Decimal:
    return Income.objects.filter(fund=fund, kind=IncomeKind.SEED_MATCHING, received_on__year=year).aggregate(
        total=Sum("amount"))["total"] or ZERO


def _seed_match(*, actor, income: Income) -> Income | None:
    """The district's seed matching of ``income``, when the pack's rule makes it eligible and money is there.

    Runs with the community's fund row locked (so two incomes cannot both use the last of the
    year's cap) and the district account locked (so its balance is what is really there)."""
    fund = income.fund
    rule_params = matching_rule(fund.division)
    if rule_params is None or income.kind not in rule_params["eligible_kinds"]:
        return None
    district = _district_fund(fund)
    if district is None:
        return None
    available = Account.objects.select_for_update().get(pk=district.account_id).balance
    room_in_cap = Decimal(str(rule_params["cap_per_year"])) - matched_this_year(fund, income.received_on.year)
    amount = min(income.amount * Decimal(str(rule_params["ratio"])), room_in_cap, available).quantize(Decimal("0.01"))
    if amount <= 0:
        return None
    posting = ledger_transfer(
        actor=actor, kind=IncomeKind.SEED_MATCHING, source=district.account, destination=fund.account, amount=amount,
        source_document=f"{income.receipt_no or income.transaction.source_document}-配比", occurred_on=income.received_on,
        memo=str(_("Seed matching of %(donor)s's %(amount)s yuan") % {"donor": income.public_donor, "amount": income.amount}),
        division=fund.division)
    return Income.objects.create(
        fund=fund, kind=IncomeKind.SEED_MATCHING, donor_name=district.name, donor_kind=DonorKind.GOVERNMENT,
        amount=amount, received_on=income.received_on, transaction=posting, matches=income,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None)


@transaction.atomic
def income_record(*, actor, fund: Fund, kind: str, amount, donor_name: str, received_on: date, receipt_no: str = "",
                  donor_kind: str = DonorKind.INDIVIDUAL, anonymous: bool = False, purpose: str = "",
                  source_document: str = "") -> Income:
    """Money into the fund: a donation, an operator's share, market or micro-business proceeds.

    Donations carry their receipt number (捐赠票据); every income is booked as a donation into the
    fund [Zibo] and, when the rule pack says so, matched by the district's seed money [Xishan]."""
    amount = _positive(amount)
    if kind not in IncomeKind.values or kind == IncomeKind.SEED_MATCHING:
        raise ValidationFailed(fields={"kind": [_("Choose what kind of income this is.")]})
    if kind == IncomeKind.APPROPRIATION and fund.division.level != DivisionLevel.DISTRICT:
        raise ValidationFailed(fields={"kind": [_("Appropriations go into a district's fund.")]})
    if donor_kind not in DonorKind.values:
        raise ValidationFailed(fields={"donor_kind": [_("Choose who the donor is.")]})
    require_filled(donor_name=donor_name)
    if kind in (IncomeKind.PUBLIC_DONATION, IncomeKind.TARGETED_DONATION) and not receipt_no.strip():
        raise ValidationFailed(fields={"receipt_no": [_("A donation needs the number of its donation receipt.")]})
    if kind == IncomeKind.TARGETED_DONATION and not purpose.strip():
        raise ValidationFailed(fields={"purpose": [_("A targeted donation states the donor's purpose.")]})
    if received_on > timezone.localdate():
        raise ValidationFailed(fields={"received_on": [_("Income cannot be dated in the future.")]})
    fund = Fund.objects.select_for_update(of=("self",)).select_related("division", "account", "host").get(pk=fund.pk)
    if received_on < fund.founded_on:
        raise ValidationFailed(fields={"received_on": [_("The fund was founded on %(date)s; income cannot be dated before it.")
                                                       % {"date": fund.founded_on.isoformat()}]})
    return _income_post(actor=actor, fund=fund, kind=kind, amount=amount, donor_name=donor_name.strip(), donor_kind=donor_kind,
                        anonymous=anonymous, purpose=purpose.strip(), received_on=received_on, receipt_no=receipt_no.strip(),
                        source=_counterparty(fund, "donors", _("%(fund)s · donors and payers") % {"fund": fund.name}),
                        source_document=(receipt_no or source_document).strip() or _unreceipted(kind, received_on))


def _income_post(*, actor, fund: Fund, kind: str, amount: Decimal, donor_name: str, donor_kind: str, received_on: date,
                 source: Account, source_document: str, anonymous: bool = False, purpose: str = "", receipt_no: str = "") -> Income:
    """Post checked income from ``source`` into the (locked) fund, record it, and match it when the pack says so."""
    posting = ledger_transfer(actor=actor, kind=kind, source=source, destination=fund.account, amount=amount,
                              source_document=source_document, occurred_on=received_on, memo=donor_name, division=fund.division)
    income = Income.objects.create(
        fund=fund, kind=kind, donor_name=donor_name, donor_kind=donor_kind, anonymous=anonymous, purpose=purpose,
        amount=amount, received_on=received_on, receipt_no=receipt_no, transaction=posting,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None)
    matched = _seed_match(actor=actor, income=income)
    audit_record(actor=actor, action="funds.income.recorded", target=income, division=fund.division, organisation=fund.host,
                 changes={"kind": kind, "amount": amount, "receipt_no": receipt_no, "matched": matched.amount if matched else None})
    return income


# Operators' shares, held for a community until its fund is founded.

def _lock_place(division: Division) -> None:
    """Take the place's row lock (FOR NO KEY UPDATE: foreign-key checks on it are not held up), so that
    founding its fund and posting an operator's share there run one after the other: a share posted
    first is held and then handed over by the founding, a share posted second goes into the fund."""
    Division.objects.select_for_update(no_key=True, of=("self",)).filter(pk=division.pk).first()


def held_account(division: Division) -> Account:
    """The place's earmarked account for operators' shares waiting for its fund, opened on first use."""
    return account_get_or_open(actor="funds", code=f"held:{division.code}", kind=AccountKind.EARMARKED, division=division,
                               name=str(_("%(division)s · operators' shares held until its fund is founded")
                                        % {"division": division.name}))


def _share_hold(*, actor, division: Division, amount: Decimal, operator: Organisation, received_on: date, document: str) -> HeldShare:
    source = account_get_or_open(actor="funds", code=f"external:operators:{division.code}", kind=AccountKind.EXTERNAL,
                                 division=division, name=str(_("%(division)s · operators paying revenue shares")
                                                             % {"division": division.name}))
    posting = ledger_transfer(actor=actor, kind=IncomeKind.OPERATOR_SHARE, source=source, destination=held_account(division),
                              amount=amount, source_document=document, occurred_on=received_on, memo=operator.name,
                              division=division)
    held = HeldShare.objects.create(division=division, operator=operator, amount=amount, received_on=received_on,
                                    source_document=document, transaction=posting)
    audit_record(actor=actor, action="funds.share.held", target=held, division=division, organisation=operator,
                 changes={"amount": amount, "received_on": received_on, "source_document": document})
    return held


def _hand_over_held_shares(*, actor, fund: Fund) -> list[HeldShare]:
    """Post every share held for the fund's place into the new fund, each as the operator's income (dated when it
    was received, or the founding day if later). Runs under the place's lock (``_lock_place``)."""
    held = list(HeldShare.objects.select_for_update(of=("self",)).filter(division=fund.division, income__isnull=True)
                .select_related("operator").order_by("received_on", "pk"))
    if not held:
        return []
    account = held_account(fund.division)
    now = timezone.now()
    for share in held:
        share.income = _income_post(
            actor=actor, fund=fund, kind=IncomeKind.OPERATOR_SHARE, amount=share.amount, donor_name=share.operator.name,
            donor_kind=DonorKind.ORGANISATION, received_on=max(share.received_on, fund.founded_on), source=account,
            source_document=share.source_document)
        share.handed_over_at = now
        share.save(update_fields=["income", "handed_over_at"])
        audit_record(actor=actor, action="funds.share.handed_over", target=share, division=fund.division,
                     organisation=share.operator, changes={"amount": share.amount, "income": share.income.pk})
    return held


@transaction.atomic
def operator_share_post(*, actor, division: Division, amount, operator: Organisation, received_on: date,
                        document: str) -> Income | HeldShare:
    """An operator's revenue share into the place's fund (called by space-for-service when a report is confirmed);
    where the place has no fund yet, held for it in its earmarked account until the fund is founded."""
    amount = _positive(amount)
    require_filled(document=document)
    _lock_place(division)
    fund = Fund.objects.filter(division=division).first()
    if fund is None:
        return _share_hold(actor=actor, division=division, amount=amount, operator=operator, received_on=received_on,
                           document=document.strip())
    return income_record(actor=actor, fund=fund, kind=IncomeKind.OPERATOR_SHARE, amount=amount, donor_name=operator.name,
                         donor_kind=DonorKind.ORGANISATION, received_on=max(received_on, fund.founded_on), source_document=document)


# Projects: one function per step.

def _locked(project: Project) -> Project:
    return Project.objects.select_for_update(of=("self",)).select_related("fund__division", "fund__host", "fund__account").get(pk=project.pk)


def _require_status(project: Project, *allowed: str) -> None:
    if project.status not in allowed:
        raise Conflict(_("The project is %(status)s; this step is not open to it.") % {"status": project.get_status_display()},
                       code="wrong_status")


def _record(actor, project: Project, action: str, **changes) -> None:
    audit_record(actor=actor, action=f"funds.project.{action}", target=project, division=project.fund.division,
                 organisation=project.fund.host, changes={"status": project.status, **changes})


def active_members(fund: Fund):
    return CommitteeMember.objects.filter(fund=fund, left_on__isnull=True).select_related("user")


@transaction.atomic
def project_propose(*, actor, fund: Fund, title: str, kind: str, budget, beneficiaries: str, plan: str,
                    beneficiary_count: int = 0) -> Project:
    """The community's party organisation proposes a project; it goes to the committee for review."""
    budget = _positive(budget, "budget")
    require_filled(title=title, beneficiaries=beneficiaries, plan=plan)
    params = committee_rule(fund)
    members = active_members(fund)
    if members.count() < params["min_members"]:
        raise Conflict(_("The fund's committee has %(n)s members; it needs at least %(min)s to review projects.")
                       % {"n": members.count(), "min": params["min_members"]}, code="committee_too_small")
    project = Project(fund=fund, title=title.strip(), kind=kind, budget=budget, beneficiaries=beneficiaries.strip(),
                      beneficiary_count=beneficiary_count, plan=plan.strip(), proposer=actor)
    clean_or_raise(project)
    project.save()
    _record(actor, project, "proposed", title=project.title, budget=budget, kind=kind)
    for member in members:
        if member.user_id != actor.pk:
            notify(user=member.user, title=_("A fund project awaits your vote: %(title)s") % {"title": project.title},
                   url=f"/funds/projects/{project.pk}/")
    return project


def tally(project: Project, params: dict) -> dict:
    """The votes so far against the rule: who may vote, how many did, quorum and majority."""
    votes = list(project.votes.all())
    members = list(active_members(project.fund))
    recused = sum(1 for v in votes if v.choice == VoteChoice.RECUSED)
    eligible = len(members) - recused
    cast = [v for v in votes if v.choice != VoteChoice.RECUSED]
    yes = sum(1 for v in cast if v.choice == VoteChoice.YES)
    no = sum(1 for v in cast if v.choice == VoteChoice.NO)
    quorum = max(1, math.ceil(Decimal(str(params["quorum_share"])) * eligible)) if eligible else 1
    return {"members": len(members), "eligible": eligible, "recused": recused, "cast": len(cast), "yes": yes, "no": no,
            "abstain": len(cast) - yes - no, "quorum": quorum, "quorate": eligible > 0 and len(cast) >= quorum,
            "passes": bool(cast) and yes > Decimal(str(params["majority_share"])) * len(cast),
            "complete": len(votes) >= len(members)}


@transaction.atomic
def project_vote(*, actor, project: Project, choice: str, comment: str) -> Vote:
    """A committee member votes (for, against, abstain) with a comment, or recuses for a conflict of interest.

    The review closes by itself once every member has voted or recused."""
    project = _locked(project)
    _require_status(project, ProjectStatus.REVIEW)
    member = active_members(project.fund).filter(user=actor).first()
    if member is None:
        raise PermissionDenied(_("Only members of the fund's committee vote on its projects."))
    if choice not in VoteChoice.values:
        raise ValidationFailed(fields={"choice": [_("Vote for, against, abstain, or recuse.")]})
    require_filled(comment=comment)
    params = committee_rule(project.fund)
    if project.proposer_id == actor.pk and not params["proposer_may_vote"] and choice != VoteChoice.RECUSED:
        raise PermissionDenied(_("The proposer of a project recuses from its vote under the city's rules."))
    if Vote.objects.filter(project=project, member=member).exists():
        raise Conflict(_("You have already voted on this project."), code="already_voted")
    vote = Vote.objects.create(project=project, member=member, choice=choice, comment=comment.strip())
    _record(actor, project, "voted", choice=choice)
    if tally(project, params)["complete"]:
        _close_review(actor=actor, project=project, params=params)
    return vote


def _close_review(*, actor, project: Project, params: dict) -> Project:
    counts = tally(project, params)
    if not counts["quorate"]:
        raise Conflict(_("%(cast)s of the %(eligible)s members who may vote have voted; the quorum is %(quorum)s.") % counts,
                       code="no_quorum")
    project.status = ProjectStatus.ENDORSED if counts["passes"] else ProjectStatus.REJECTED
    project.reviewed_at = timezone.now()
    project.save(update_fields=["status", "reviewed_at"])
    _record(actor, project, "reviewed", **{k: counts[k] for k in ("yes", "no", "abstain", "recused")})
    notify(user=project.proposer, title=_("The committee has decided on %(title)s: %(status)s")
           % {"title": project.title, "status": project.get_status_display()}, url=f"/funds/projects/{project.pk}/")
    return project


@transaction.atomic
def project_review_close(*, actor, project: Project) -> Project:
    """Close the committee's review once the quorum has voted (members who have not voted count as absent)."""
    project = _locked(project)
    _require_status(project, ProjectStatus.REVIEW)
    return _close_review(actor=actor, project=project, params=committee_rule(project.fund))


@transaction.atomic
def project_apply(*, actor, project: Project) -> Project:
    """The community applies to the host charity for the money of a project the committee passed (or resubmits a returned one)."""
    project = _locked(project)
    _require_status(project, ProjectStatus.ENDORSED, ProjectStatus.RETURNED)
    project.status, project.applied_at = ProjectStatus.APPLIED, timezone.now()
    project.save(update_fields=["status", "applied_at"])
    _record(actor, project, "applied")
    return project


def _is_on_proposing_side(user, project: Project) -> bool:
    """Whether ``user`` speaks for the community that proposed the project (its staff or its committee)."""
    if user.pk == project.proposer_id:
        return True
    return any(a.division_id and project.fund.division.path.startswith(a.division.path) and a.role in (
        Role.COMMUNITY_WORKER, Role.FUND_COMMITTEE) for a in active_roles(user))


@transaction.atomic
def project_decide(*, actor, project: Project, approve: bool, note: str = "") -> Project:
    """The host charity approves the application, or returns it to the community with a note."""
    project = _locked(project)
    _require_status(project, ProjectStatus.APPLIED)
    if committee_rule(project.fund)["charity_approver_independent"] and _is_on_proposing_side(actor, project):
        raise PermissionDenied(_("The charity's decision must come from someone outside the proposing community."))
    if not approve and not note.strip():
        raise ValidationFailed(fields={"note": [_("Say why the application is returned.")]})
    project.status = ProjectStatus.APPROVED if approve else ProjectStatus.RETURNED
    project.charity_decided_at, project.charity_decided_by, project.charity_note = timezone.now(), actor, note.strip()
    project.save(update_fields=["status", "charity_decided_at", "charity_decided_by", "charity_note"])
    _record(actor, project, "approved" if approve else "returned", note=note)
    notify(user=project.proposer, title=_("%(charity)s has %(decision)s %(title)s") % {
        "charity": project.fund.host.name, "decision": _("approved") if approve else _("returned"), "title": project.title},
        body=note, url=f"/funds/projects/{project.pk}/")
    return project


@transaction.atomic
def project_withdraw(*, actor, project: Project, reason: str) -> Project:
    project = _locked(project)
    _require_status(project, ProjectStatus.REVIEW, ProjectStatus.ENDORSED, ProjectStatus.RETURNED, ProjectStatus.APPLIED)
    require_filled(reason=reason)
    project.status = ProjectStatus.WITHDRAWN
    project.save(update_fields=["status"])
    _record(actor, project, "withdrawn", reason=reason)
    return project


@transaction.atomic
def project_disburse(*, actor, project: Project, amount, payee: str, document: str, paid_on: date | None = None) -> Disbursement:
    """Pay an instalment of an approved project from the fund: within the budget and the fund's balance."""
    amount = _positive(amount)
    require_filled(payee=payee, document=document)
    project = _locked(project)
    _require_status(project, ProjectStatus.APPROVED, ProjectStatus.DISBURSING)
    if project.disbursed + amount > project.budget:
        raise ValidationFailed(fields={"amount": [_("Only %(left)s yuan of the budget is left to pay.")
                                                  % {"left": project.budget - project.disbursed}]})
    fund = project.fund
    posting = ledger_transfer(  # raises InsufficientFunds beyond the balance, under the account's lock
        actor=actor, kind="disbursement", source=fund.account, amount=amount, source_document=document.strip(),
        destination=_counterparty(fund, "payees", _("%(fund)s · payees") % {"fund": fund.name}),
        occurred_on=paid_on or timezone.localdate(), memo=f"{project.title} · {payee.strip()}", division=fund.division)
    instalment = project.disbursements.count() + 1
    disbursement = Disbursement.objects.create(project=project, instalment=instalment, amount=amount, payee=payee.strip(),
                                               paid_on=posting.occurred_on, transaction=posting, paid_by=actor)
    project.disbursed += amount
    project.status = ProjectStatus.DISBURSING
    project.save(update_fields=["disbursed", "status"])
    _record(actor, project, "disbursed", instalment=instalment, amount=amount, payee=payee)
    return disbursement


@transaction.atomic
def evidence_add(*, actor, project: Project, description: str, amount, invoice_no: str, file=None) -> Evidence:
    """Spending evidence (invoice, voucher, photo) for money paid out."""
    amount = _positive(amount)
    require_filled(description=description, invoice_no=invoice_no)
    file = document_from_upload(file, field="file") if file else None
    project = _locked(project)
    _require_status(project, ProjectStatus.DISBURSING)
    if project.spent + amount > project.disbursed:
        raise ValidationFailed(fields={"amount": [_("Evidence covers at most what was paid out: %(left)s yuan remain.")
                                                  % {"left": project.disbursed - project.spent}]})
    evidence = Evidence.objects.create(project=project, description=description.strip(), amount=amount,
                                       invoice_no=invoice_no.strip(), added_by=actor)
    if file is not None:
        evidence.file.save(file.name, file)
    project.spent += amount
    project.save(update_fields=["spent"])
    _record(actor, project, "evidenced", amount=amount, invoice_no=invoice_no)
    return evidence


@transaction.atomic
def project_complete(*, actor, project: Project, report: str) -> Project:
    """Close the project with its completion report, once every yuan paid out is evidenced."""
    project = _locked(project)
    _require_status(project, ProjectStatus.DISBURSING)
    require_filled(report=report)
    if project.spent != project.disbursed:
        raise Conflict(_("%(left)s yuan paid out still lack spending evidence.") % {"left": project.disbursed - project.spent},
                       code="evidence_missing")
    project.status, project.report, project.completed_at = ProjectStatus.COMPLETED, report.strip(), timezone.now()
    project.save(update_fields=["status", "report", "completed_at"])
    _record(actor, project, "completed")
    return project


def _unreceipted(kind: str, received_on) -> str:
    """The document an income without a receipt rests on, in the city's language (社区微业收益-2026-04-12)."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{IncomeKind(kind).label}-{received_on}"
