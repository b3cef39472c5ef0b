"""API of community development funds: /api/v1/funds/... and the public disclosure /api/v1/public/funds/{code}."""

from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import PermissionDenied, ValidationFailed
from core.replica import replica_reads
from org.selectors import division_get, organisation_get

from . import selectors, services
from .models import Project
from .schemas import (
    DisbursementIn,
    DisbursementOut,
    FundIn,
    FundOut,
    FundProjectCompletionIn,
    FundProjectDecisionIn,
    FundProjectEvidenceIn,
    FundProjectReasonIn,
    IncomeIn,
    IncomeOut,
    MemberIn,
    MemberOut,
    ProjectIn,
    ProjectOut,
    ReachRowOut,
    VoteIn,
    VoteOut,
)

router = Router(tags=["funds"])
public_router = Router(tags=["public"])


def _fund(request, code: str, perm: str | None = None):
    fund = selectors.fund_get(user=request.user, code=code)
    if perm:
        require(request.user, perm, fund)
    return fund


def _project(request, fund_project_id: int, perm: str | None = None) -> Project:
    project = selectors.project_get(user=request.user, pk=fund_project_id)
    if perm:
        require(request.user, perm, project)
    return project


@router.get("/funds", response=list[FundOut], summary="Funds in my scope")
@replica_reads
@paginate(PageNumber)
def list_funds(request, within: str | None = Query(None, description="Division code")):
    return selectors.fund_list(user=request.user, within=division_get(user=request.user, code=within) if within else None)


@router.post("/funds", response={201: FundOut, **ERRORS}, summary="Found a fund at a charity")
def create_fund(request, payload: FundIn):
    division = division_get(user=request.user, code=payload.division)
    host = organisation_get(user=request.user, pk=payload.host_id)
    if not selectors.may_found(request.user, division, host):
        raise PermissionDenied()
    fund = services.fund_create(actor=request.user, division=division, host=host, name=payload.name, led_by=payload.led_by,
                                founding_document=payload.founding_document, purpose=payload.purpose, rules=payload.rules,
                                founded_on=payload.founded_on)
    return Status(201, fund)


@router.get("/funds/reach", response={200: list[ReachRowOut], **ERRORS},
            summary="Share of communities with a fund and the money in them, by division")
def fund_reach(request, within: str, year: int | None = Query(None, ge=2000, le=2100)):
    division = division_get(user=request.user, code=within)
    require(request.user, "funds.view_reach", division)
    total, rows = selectors.reach(user=request.user, within=division, year=year)
    return [{"code": r.division.code, "name": r.division.name, "communities": r.communities, "funds": r.funds,
             "share": round(r.share, 4), "balance": r.balance, "income": r.income} for r in [total, *rows]]


@router.get("/funds/{code}", response={200: FundOut, **ERRORS}, summary="A fund")
def get_fund(request, code: str):
    return _fund(request, code)


@router.get("/funds/{code}/members", response={200: list[MemberOut], **ERRORS}, summary="The fund's committee")
def list_members(request, code: str):
    return list(services.active_members(_fund(request, code)))


@router.post("/funds/{code}/members", response={201: MemberOut, **ERRORS}, summary="Seat a committee member")
def add_member(request, code: str, payload: MemberIn):
    fund = _fund(request, code, "funds.change_fund")
    user = selectors.committee_candidates(fund=fund).filter(username=payload.username).first()
    if user is None:
        raise ValidationFailed(fields={"username": [_("Choose a person of the community or of the host charity from the list.")]})
    return Status(201, services.member_add(actor=request.user, fund=fund, user=user, side=payload.side, is_chair=payload.is_chair))


@router.get("/funds/{code}/income", response={200: list[IncomeOut], **ERRORS}, summary="The fund's income")
@replica_reads
@paginate(PageNumber)
def list_income(request, code: str):
    return selectors.income_list(user=request.user, fund=_fund(request, code))


@router.post("/funds/{code}/income", response={201: IncomeOut, **ERRORS},
             summary="Record income (donation, operator share, market, micro-business); seed matching follows by rule")
def record_income(request, code: str, payload: IncomeIn):
    fund = _fund(request, code, "funds.add_income")
    income = services.income_record(actor=request.user, fund=fund, kind=payload.kind, amount=str(payload.amount),
                                    donor_name=payload.donor_name, donor_kind=payload.donor_kind, anonymous=payload.anonymous,
                                    purpose=payload.purpose, received_on=payload.received_on, receipt_no=payload.receipt_no)
    return Status(201, income)


@router.get("/funds/{code}/projects", response={200: list[ProjectOut], **ERRORS}, summary="The fund's projects")
@replica_reads
@paginate(PageNumber)
def list_projects(request, code: str, status: str | None = None):
    return selectors.project_list(user=request.user, fund=_fund(request, code), status=status)


@router.post("/funds/{code}/projects", response={201: ProjectOut, **ERRORS}, summary="Propose a project to the committee")
def propose_project(request, code: str, payload: ProjectIn):
    fund = _fund(request, code)
    require(request.user, "funds.add_project", fund)
    project = services.project_propose(actor=request.user, fund=fund, title=payload.title, kind=payload.kind,
                                       budget=str(payload.budget), beneficiaries=payload.beneficiaries,
                                       beneficiary_count=payload.beneficiary_count, plan=payload.plan)
    return Status(201, project)


@router.get("/funds/projects/awaiting-my-vote", response=list[ProjectOut], summary="Projects waiting for my vote")
@paginate(PageNumber)
def awaiting_my_vote(request):
    return selectors.awaiting_my_vote(user=request.user)


@router.get("/funds/projects/{fund_project_id}", response={200: ProjectOut, **ERRORS}, summary="A project")
def get_project(request, fund_project_id: int):
    return _project(request, fund_project_id)


@router.get("/funds/projects/{fund_project_id}/votes", response={200: list[VoteOut], **ERRORS}, summary="The committee's votes")
def list_votes(request, fund_project_id: int):
    return list(_project(request, fund_project_id).votes.select_related("member__user"))


@router.post("/funds/projects/{fund_project_id}/votes", response={201: VoteOut, **ERRORS}, summary="Vote (or recuse) as a committee member")
def vote(request, fund_project_id: int, payload: VoteIn):
    project = _project(request, fund_project_id, "funds.vote_project")
    return Status(201, services.project_vote(actor=request.user, project=project, choice=payload.choice, comment=payload.comment))


@router.post("/funds/projects/{fund_project_id}/close-review", response={200: ProjectOut, **ERRORS},
             summary="Close the committee's review once the quorum has voted")
def close_review(request, fund_project_id: int):
    return services.project_review_close(actor=request.user, project=_project(request, fund_project_id, "funds.change_project"))


@router.post("/funds/projects/{fund_project_id}/apply", response={200: ProjectOut, **ERRORS}, summary="Apply to the charity")
def apply(request, fund_project_id: int):
    return services.project_apply(actor=request.user, project=_project(request, fund_project_id, "funds.change_project"))


@router.post("/funds/projects/{fund_project_id}/withdraw", response={200: ProjectOut, **ERRORS}, summary="Withdraw the project")
def withdraw(request, fund_project_id: int, payload: FundProjectReasonIn):
    return services.project_withdraw(actor=request.user, project=_project(request, fund_project_id, "funds.change_project"),
                                     reason=payload.reason)


@router.post("/funds/projects/{fund_project_id}/decision", response={200: ProjectOut, **ERRORS},
             summary="The charity approves or returns the application")
def decide(request, fund_project_id: int, payload: FundProjectDecisionIn):
    return services.project_decide(actor=request.user, project=_project(request, fund_project_id, "funds.decide_project"),
                                   approve=payload.approve, note=payload.note)


@router.post("/funds/projects/{fund_project_id}/disbursements", response={201: DisbursementOut, **ERRORS},
             summary="Pay an instalment (within the budget and the fund's balance)")
def disburse(request, fund_project_id: int, payload: DisbursementIn):
    project = _project(request, fund_project_id, "funds.disburse_project")
    return Status(201, services.project_disburse(actor=request.user, project=project, amount=str(payload.amount),
                                                 payee=payload.payee, document=payload.document))


@router.post("/funds/projects/{fund_project_id}/evidence", response={201: dict, **ERRORS}, summary="Add spending evidence")
def add_evidence(request, fund_project_id: int, payload: FundProjectEvidenceIn):
    project = _project(request, fund_project_id, "funds.change_project")
    evidence = services.evidence_add(actor=request.user, project=project, description=payload.description,
                                     amount=str(payload.amount), invoice_no=payload.invoice_no)
    return Status(201, {"id": evidence.pk, "amount": evidence.amount})


@router.post("/funds/projects/{fund_project_id}/complete", response={200: ProjectOut, **ERRORS}, summary="Close with the completion report")
def complete(request, fund_project_id: int, payload: FundProjectCompletionIn):
    return services.project_complete(actor=request.user, project=_project(request, fund_project_id, "funds.change_project"),
                                     report=payload.report)


@public_router.get("/funds/{code}", auth=None, summary="A fund's public disclosure (公示)")
def public_disclosure(request, code: str):
    return selectors.disclosure_json(selectors.public_fund_get(code=code))

