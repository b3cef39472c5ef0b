"""API of space for service: /api/v1/operations/... (admission, agreements, reports, compliance, savings,
public funding, partnership offers)."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import get_for_user, require
from core.api import ERRORS, PageNumber
from core.errors import NotFound
from core.replica import replica_reads
from org.models import Division, DivisionLevel, OrganisationKind
from org.selectors import division_get, organisation_get
from registry.selectors import room_get, site_get

from . import selectors, services
from .models import Interest, Milestone
from .schemas import (
    AdmissionIn,
    AdmissionOut,
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    AgreementRevisionIn,
    AwardIn,
    FindingOut,
    FundingCloseIn,
    FundingDetailOut,
    FundingIn,
    FundingOut,
    FundingPaymentIn,
    InterestIn,
    InterestOut,
    MilestoneDecisionIn,
    MilestoneOut,
    NoteIn,
    OfferedServiceOut,
    OfferIn,
    OfferOut,
    OperationsReasonIn,
    OperatorOut,
    PaymentOut,
    PlaceComplianceOut,
    QualificationIn,
    QualificationOut,
    RenewIn,
    ReportDueOut,
    ReportOut,
    ReviewIn,
    SavingsOut,
    ServiceReportIn,
    TerminateIn,
)

router = Router(tags=["operations"])


def _within(request, code: str | None) -> Division | None:
    return division_get(user=request.user, code=code) if code else None


def _operator(request, pk: int):
    operator = organisation_get(user=request.user, pk=pk)
    if operator.kind != OrganisationKind.OPERATOR:
        raise NotFound()
    return operator


def _admission(request, admission_id: int, perm: str | None = None):
    admission = selectors.admission_get(user=request.user, pk=admission_id)
    if perm:
        require(request.user, perm, admission)
    return admission


def _agreement(request, agreement_id: int, perm: str | None = None):
    agreement = selectors.agreement_get(user=request.user, pk=agreement_id)
    if perm:
        require(request.user, perm, agreement)
    return agreement


def _report(request, report_id: int, perm: str | None = None):
    report = selectors.report_get(user=request.user, pk=report_id)
    if perm:
        require(request.user, perm, report)
    return report


def _funding(request, funding_id: int, *, pay: bool = False):
    funding = selectors.funding_get(user=request.user, pk=funding_id)
    if pay:
        require(request.user, "operations.add_funding", funding.funder)
    return funding


def _offer(request, offer_id: int, perm: str | None = None):
    offer = selectors.offer_get(user=request.user, pk=offer_id)
    if perm:
        require(request.user, perm, offer)
    return offer


def _parts(payload) -> dict:
    return {"terms": payload.terms.dict(exclude_none=False), "spaces": [s.dict() for s in payload.spaces],
            "services": [s.dict() for s in payload.services], "shares": [s.dict() for s in payload.shares]}


def _terms(terms: dict) -> dict:
    return {k: (v if v is not None or k in ("low_cost_price_cap", "basis_date") else "") for k, v in terms.items()}


# Admission.

@router.get("/operations/admissions", response=list[AdmissionOut], summary="Admissions in my scope (an operator: its own)")
@replica_reads
@paginate(PageNumber)
def list_admissions(request, within: str | None = Query(None, description="Division code"), status: str | None = None):
    return selectors.admission_list(user=request.user, within=_within(request, within), status=status)


@router.post("/operations/admissions", response={201: AdmissionOut, **ERRORS},
             summary="An operator applies to a street or district for admission")
def apply_for_admission(request, payload: AdmissionIn):
    operator = _operator(request, payload.operator_id)
    require(request.user, "operations.add_admission", operator)
    city_path = operator.home_division.path.split("/", 1)[0] + "/"
    division = Division.objects.filter(code=payload.division_code, path__startswith=city_path,
                                       level__in=[DivisionLevel.STREET, DivisionLevel.DISTRICT]).first()
    if division is None:
        raise NotFound()
    admission = services.admission_apply(actor=request.user, operator=operator, division=division, categories=payload.categories,
                                         scope_description=payload.scope_description, references=payload.references)
    return Status(201, admission)


@router.get("/operations/admissions/{admission_id}", response={200: AdmissionOut, **ERRORS}, summary="An admission")
def get_admission(request, admission_id: int):
    return _admission(request, admission_id)


@router.post("/operations/admissions/{admission_id}/review", response={200: AdmissionOut, **ERRORS},
             summary="Review an application against the city's checklist: admit or not")
def review_admission(request, admission_id: int, payload: ReviewIn):
    admission = _admission(request, admission_id, "operations.review_admission")
    return services.admission_review(actor=request.user, admission=admission, admit=payload.admit,
                                     checklist={k: v.dict() for k, v in payload.checklist.items()}, note=payload.note,
                                     valid_from=payload.valid_from, valid_until=payload.valid_until)


@router.post("/operations/admissions/{admission_id}/suspend", response={200: AdmissionOut, **ERRORS}, summary="Suspend")
def suspend_admission(request, admission_id: int, payload: OperationsReasonIn):
    return services.admission_suspend(actor=request.user, admission=_admission(request, admission_id, "operations.review_admission"),
                                      reason=payload.reason)


@router.post("/operations/admissions/{admission_id}/reinstate", response={200: AdmissionOut, **ERRORS}, summary="Reinstate")
def reinstate_admission(request, admission_id: int, payload: OperationsReasonIn):
    return services.admission_reinstate(actor=request.user, reason=payload.reason,
                                        admission=_admission(request, admission_id, "operations.review_admission"))


@router.post("/operations/admissions/{admission_id}/blacklist", response={200: AdmissionOut, **ERRORS}, summary="Blacklist")
def blacklist_admission(request, admission_id: int, payload: OperationsReasonIn):
    return services.admission_blacklist(actor=request.user, reason=payload.reason,
                                        admission=_admission(request, admission_id, "operations.review_admission"))


@router.post("/operations/admissions/{admission_id}/withdraw", response={200: AdmissionOut, **ERRORS},
             summary="The operator withdraws its application")
def withdraw_admission(request, admission_id: int):
    return services.admission_withdraw(actor=request.user, admission=_admission(request, admission_id, "operations.add_admission"))


@router.get("/operations/operators/{organisation_id}/qualifications", response={200: list[QualificationOut], **ERRORS},
            summary="An operator's licences and registrations")
def list_qualifications(request, organisation_id: int):
    return list(selectors.qualification_list(user=request.user, operator=_operator(request, organisation_id)))


@router.post("/operations/operators/{organisation_id}/qualifications", response={201: QualificationOut, **ERRORS},
             summary="File a licence or registration")
def add_qualification(request, organisation_id: int, payload: QualificationIn):
    operator = _operator(request, organisation_id)
    require(request.user, "operations.add_qualification", operator)
    return Status(201, services.qualification_add(actor=request.user, operator=operator, **payload.dict()))


@router.get("/operations/admitted-operators", response={200: list[OperatorOut], **ERRORS},
            summary="Operators admitted for a community or street today (optionally for a service category)")
def admitted_operators(request, division: str, category: str | None = None):
    place = division_get(user=request.user, code=division)
    require(request.user, "operations.view_agreement", place)
    return list(selectors.admitted_operators(division=place, category=category))


@router.get("/operations/services-offered", response={200: list[OfferedServiceOut], **ERRORS},
            summary="Services under agreements in force for a community")
def services_offered(request, division: str):
    place = division_get(user=request.user, code=division)
    return list(selectors.services_offered(division=place))


# Agreements.

@router.get("/operations/agreements", response=list[AgreementOut],
            summary="Agreements in my scope (an operator: its own); status may be in_force")
@replica_reads
@paginate(PageNumber)
def list_agreements(request, within: str | None = Query(None, description="Division code"), status: str | None = None):
    return selectors.agreement_list(user=request.user, within=_within(request, within), status=status)


@router.post("/operations/agreements", response={201: AgreementDetailOut, **ERRORS},
             summary="Draft an agreement with an admitted operator")
def draft_agreement(request, payload: AgreementIn):
    division = division_get(user=request.user, code=payload.division_code)
    require(request.user, "operations.add_agreement", division)
    operator = _operator(request, payload.operator_id)
    parts = _parts(payload)
    agreement = services.agreement_draft(actor=request.user, division=division, operator=operator, terms=_terms(parts["terms"]),
                                         spaces=parts["spaces"], services=parts["services"], shares=parts["shares"])
    return Status(201, selectors.agreement_get(user=request.user, pk=agreement.pk))


@router.get("/operations/agreements/{agreement_id}", response={200: AgreementDetailOut, **ERRORS}, summary="An agreement")
def get_agreement(request, agreement_id: int):
    return _agreement(request, agreement_id)


@router.put("/operations/agreements/{agreement_id}", response={200: AgreementDetailOut, **ERRORS},
            summary="Revise a draft (or one the street returned)")
def revise_agreement(request, agreement_id: int, payload: AgreementRevisionIn):
    agreement = _agreement(request, agreement_id, "operations.change_agreement")
    parts = _parts(payload)
    services.agreement_revise(actor=request.user, agreement=agreement, terms=_terms(parts["terms"]), spaces=parts["spaces"],
                              services=parts["services"], shares=parts["shares"])
    return selectors.agreement_get(user=request.user, pk=agreement.pk)


@router.post("/operations/agreements/{agreement_id}/submit", response={200: AgreementOut, **ERRORS},
             summary="Submit to the street for approval")
def submit_agreement(request, agreement_id: int):
    return services.agreement_submit(actor=request.user, agreement=_agreement(request, agreement_id, "operations.change_agreement"))


@router.post("/operations/agreements/{agreement_id}/withdraw", response={200: AgreementOut, **ERRORS},
             summary="Withdraw a draft or a submitted agreement")
def withdraw_agreement(request, agreement_id: int, payload: OperationsReasonIn):
    return services.agreement_withdraw(actor=request.user, reason=payload.reason,
                                       agreement=_agreement(request, agreement_id, "operations.change_agreement"))


@router.post("/operations/agreements/{agreement_id}/approve", response={200: AgreementOut, **ERRORS},
             summary="The street approves: in force, rooms held at the agreed hours for the term")
def approve_agreement(request, agreement_id: int, payload: NoteIn):
    return services.agreement_approve(actor=request.user, note=payload.note,
                                      agreement=_agreement(request, agreement_id, "operations.approve_agreement"))


@router.post("/operations/agreements/{agreement_id}/return", response={200: AgreementOut, **ERRORS},
             summary="The street returns it to the community with a note")
def return_agreement(request, agreement_id: int, payload: OperationsReasonIn):
    return services.agreement_return(actor=request.user, note=payload.reason,
                                     agreement=_agreement(request, agreement_id, "operations.approve_agreement"))


@router.post("/operations/agreements/{agreement_id}/terminate", response={200: AgreementOut, **ERRORS},
             summary="End it early; the rooms are free from the next day")
def terminate_agreement(request, agreement_id: int, payload: TerminateIn):
    return services.agreement_terminate(actor=request.user, on=payload.on, reason=payload.reason,
                                        agreement=_agreement(request, agreement_id, "operations.approve_agreement"))


@router.post("/operations/agreements/{agreement_id}/renew", response={201: AgreementDetailOut, **ERRORS},
             summary="Draft the next term")
def renew_agreement(request, agreement_id: int, payload: RenewIn):
    renewal = services.agreement_renew(actor=request.user, ends_on=payload.ends_on,
                                       agreement=_agreement(request, agreement_id, "operations.change_agreement"))
    return Status(201, selectors.agreement_get(user=request.user, pk=renewal.pk))


@router.get("/operations/agreements/{agreement_id}/findings", response={200: list[FindingOut], **ERRORS},
            summary="The agreement's findings (open ones unless all=true)")
def agreement_findings(request, agreement_id: int, all: bool = False):
    agreement = _agreement(request, agreement_id)
    return list(selectors.finding_list(user=request.user, agreement=agreement, open_only=not all))


@router.get("/operations/agreements/{agreement_id}/reports", response={200: list[ReportOut], **ERRORS},
            summary="The agreement's monthly reports")
def agreement_reports(request, agreement_id: int):
    return list(selectors.report_list(user=request.user, agreement=_agreement(request, agreement_id)))


@router.post("/operations/agreements/{agreement_id}/reports", response={201: ReportOut, **ERRORS},
             summary="The operator files (or corrects a returned) monthly report")
def submit_report(request, agreement_id: int, payload: ServiceReportIn):
    agreement = _agreement(request, agreement_id, "operations.add_operatingreport")
    figures = payload.dict(exclude={"month"})
    report = services.report_submit(actor=request.user, agreement=agreement, month=payload.month, figures=figures)
    return Status(201, selectors.report_get(user=request.user, pk=report.pk))


# Reports.

@router.get("/operations/reports", response=list[ReportOut], summary="Monthly reports in my scope (an operator: its own)")
@replica_reads
@paginate(PageNumber)
def list_reports(request, within: str | None = Query(None, description="Division code"), status: str | None = None):
    return selectors.report_list(user=request.user, within=_within(request, within), status=status)


@router.get("/operations/reports/due", response={200: list[ReportDueOut], **ERRORS},
            summary="Months whose report is late or missing")
def reports_due(request, within: str | None = Query(None, description="Division code")):
    due = selectors.reports_due(agreements=selectors.agreement_list(user=request.user, within=_within(request, within)))
    return [{"agreement_id": d.agreement.pk, "agreement": d.agreement.title, "operator": d.agreement.operator.name,
             "division": d.agreement.division.name, "month": d.month, "due_on": d.due_on, "days_late": d.days_late}
            for d in due]


@router.get("/operations/reports/{report_id}", response={200: ReportOut, **ERRORS}, summary="A monthly report")
def get_report(request, report_id: int):
    return _report(request, report_id)


@router.post("/operations/reports/{report_id}/confirm", response={200: ReportOut, **ERRORS},
             summary="The community confirms it; the fund's share is posted")
def confirm_report(request, report_id: int):
    services.report_confirm(actor=request.user, report=_report(request, report_id, "operations.confirm_operatingreport"))
    return selectors.report_get(user=request.user, pk=report_id)


@router.post("/operations/reports/{report_id}/return", response={200: ReportOut, **ERRORS},
             summary="The community returns it for correction")
def return_report(request, report_id: int, payload: OperationsReasonIn):
    services.report_return(actor=request.user, note=payload.reason,
                           report=_report(request, report_id, "operations.confirm_operatingreport"))
    return selectors.report_get(user=request.user, pk=report_id)


# Compliance and savings.

@router.get("/operations/compliance", response={200: list[PlaceComplianceOut], **ERRORS},
            summary="Agreements in force and their open breaches, for a division and each one below it")
def compliance(request, within: str):
    division = division_get(user=request.user, code=within)
    require(request.user, "operations.view_agreement", division)
    total, rows = selectors.compliance_by_place(user=request.user, within=division)
    return [{"code": r.division.code, "name": r.division.name, "agreements": r.agreements, "with_breach": r.with_breach,
             "breaches": r.breaches, "warnings": r.warnings} for r in [total, *rows]]


@router.get("/operations/findings", response=list[FindingOut], summary="Findings in my scope (open ones unless all=true)")
@replica_reads
@paginate(PageNumber)
def list_findings(request, within: str | None = Query(None, description="Division code"), all: bool = False):
    return selectors.finding_list(user=request.user, within=_within(request, within), open_only=not all)


@router.get("/operations/savings", response={200: list[SavingsOut], **ERRORS},
            summary="Costs operators bear instead of the government in a year (this year by default) and to date, "
                    "for a division and each one below it")
def savings(request, within: str, year: int | None = Query(None, ge=2000, le=2100)):
    division = division_get(user=request.user, code=within)
    require(request.user, "operations.view_agreement", division)
    rows = [selectors.savings(within=division, year=year), *selectors.savings(within=division, year=year, by_child=True)]
    return [{"code": r.division.code, "name": r.division.name, **{name: getattr(r, name) for name in (
        "year", "agreements", "renovation", "running", "reported_costs", "renovation_to_date", "running_to_date", "in_force",
        "running_per_year")}} for r in rows]


# Government-purchased services and subsidies.

@router.get("/operations/funding", response=list[FundingOut], summary="Purchased services and subsidies in my scope")
@replica_reads
@paginate(PageNumber)
def list_funding(request, within: str | None = Query(None, description="Division code"), kind: str | None = None):
    return selectors.funding_list(user=request.user, within=_within(request, within), kind=kind)


@router.post("/operations/funding", response={201: FundingDetailOut, **ERRORS},
             summary="Record a purchase-of-service contract or a subsidy, with its milestones")
def create_funding(request, payload: FundingIn):
    funder = division_get(user=request.user, code=payload.funder_code)
    require(request.user, "operations.add_funding", funder)
    division = division_get(user=request.user, code=payload.division_code)
    site = None
    if payload.site_id is not None:
        site = site_get(user=request.user, pk=payload.site_id)
    funding = services.funding_create(
        actor=request.user, kind=payload.kind, title=payload.title, number=payload.number, funder=funder, division=division,
        amount=payload.amount, starts_on=payload.starts_on, ends_on=payload.ends_on, conditions=payload.conditions,
        recipient=organisation_get(user=request.user, pk=payload.recipient_id) if payload.recipient_id else None,
        department=organisation_get(user=request.user, pk=payload.department_id) if payload.department_id else None,
        site=site, milestones=[m.dict() for m in payload.milestones])
    return Status(201, selectors.funding_get(user=request.user, pk=funding.pk))


@router.get("/operations/funding/{funding_id}", response={200: FundingDetailOut, **ERRORS}, summary="Funding with its milestones")
def get_funding(request, funding_id: int):
    return _funding(request, funding_id)


@router.get("/operations/funding/{funding_id}/payments", response={200: list[PaymentOut], **ERRORS}, summary="Payments made")
def list_payments(request, funding_id: int):
    return list(_funding(request, funding_id).payments.all())


@router.post("/operations/funding/{funding_id}/payments", response={201: PaymentOut, **ERRORS},
             summary="Record a payment (never beyond the amount, or beyond what a met milestone releases)")
def pay_funding(request, funding_id: int, payload: FundingPaymentIn):
    funding = _funding(request, funding_id, pay=True)
    milestone = funding.milestones.filter(pk=payload.milestone_id).first() if payload.milestone_id else None
    if payload.milestone_id and milestone is None:
        raise NotFound()
    return Status(201, services.funding_pay(actor=request.user, funding=funding, amount=payload.amount, paid_on=payload.paid_on,
                                            document=payload.document, milestone=milestone))


@router.post("/operations/funding/{funding_id}/milestones/{milestone_id}/decision", response={200: MilestoneOut, **ERRORS},
             summary="Record whether a milestone was met, with the evidence")
def decide_milestone(request, funding_id: int, milestone_id: int, payload: MilestoneDecisionIn):
    funding = _funding(request, funding_id, pay=True)
    milestone = Milestone.objects.filter(funding=funding, pk=milestone_id).first()
    if milestone is None:
        raise NotFound()
    return services.milestone_decide(actor=request.user, milestone=milestone, met=payload.met, evidence=payload.evidence)


@router.post("/operations/funding/{funding_id}/close", response={200: FundingOut, **ERRORS}, summary="Complete or cancel")
def close_funding(request, funding_id: int, payload: FundingCloseIn):
    return services.funding_close(actor=request.user, funding=_funding(request, funding_id, pay=True),
                                  completed=payload.completed, note=payload.note)


# Idle rooms offered for partnership.

@router.get("/operations/offers", response=list[OfferOut], summary="Idle rooms offered for partnership in my scope")
@replica_reads
@paginate(PageNumber)
def list_offers(request, within: str | None = Query(None, description="Division code"), open: bool = False):
    return selectors.offer_list(user=request.user, within=_within(request, within), open_only=open)


@router.post("/operations/offers", response={201: OfferOut, **ERRORS}, summary="Offer an idle room for partnership")
def publish_offer(request, payload: OfferIn):
    room = room_get(user=request.user, pk=payload.room_id)
    require(request.user, "operations.add_partnershipoffer", room.site.division)
    offer = services.offer_publish(actor=request.user, room=room, title=payload.title, description=payload.description,
                                   categories=payload.categories, hours=[h.dict() for h in payload.hours],
                                   closes_on=payload.closes_on)
    return Status(201, selectors.offer_get(user=request.user, pk=offer.pk))


@router.get("/operations/offers/{offer_id}", response={200: OfferOut, **ERRORS}, summary="An offer")
def get_offer(request, offer_id: int):
    return _offer(request, offer_id)


@router.get("/operations/offers/{offer_id}/interests", response={200: list[InterestOut], **ERRORS},
            summary="Proposals for an offer (an operator: its own)")
def list_interests(request, offer_id: int):
    return list(selectors.interests_for(user=request.user, offer=_offer(request, offer_id)))


@router.post("/operations/offers/{offer_id}/interests", response={201: InterestOut, **ERRORS},
             summary="An admitted operator proposes services for the room")
def submit_interest(request, offer_id: int, payload: InterestIn):
    offer = _offer(request, offer_id)
    operator = _operator(request, payload.operator_id)
    require(request.user, "operations.add_interest", operator)
    return Status(201, services.interest_submit(actor=request.user, offer=offer, operator=operator, proposal=payload.proposal,
                                                services=[s.dict() for s in payload.services],
                                                renovation_cost=payload.renovation_cost))


@router.post("/operations/offers/{offer_id}/award", response={201: AgreementDetailOut, **ERRORS},
             summary="Choose a proposal: a draft agreement is made from it")
def award_offer(request, offer_id: int, payload: AwardIn):
    offer = _offer(request, offer_id, "operations.add_partnershipoffer")
    interest = offer.interests.filter(pk=payload.interest_id).first()
    if interest is None:
        raise NotFound()
    terms = {k: v for k, v in _terms(payload.terms.dict()).items() if not (k == "title" and not v)}
    agreement = services.offer_award(actor=request.user, offer=offer, interest=interest, terms=terms,
                                     shares=[s.dict() for s in payload.shares])
    return Status(201, selectors.agreement_get(user=request.user, pk=agreement.pk))


@router.post("/operations/offers/{offer_id}/withdraw", response={200: OfferOut, **ERRORS}, summary="Withdraw the offer")
def withdraw_offer(request, offer_id: int, payload: OperationsReasonIn):
    offer = services.offer_withdraw(actor=request.user, offer=_offer(request, offer_id, "operations.add_partnershipoffer"),
                                    reason=payload.reason)
    return selectors.offer_get(user=request.user, pk=offer.pk)


@router.post("/operations/interests/{interest_id}/withdraw", response={200: InterestOut, **ERRORS},
             summary="The operator withdraws its proposal")
def withdraw_interest(request, interest_id: int):
    interest = get_for_user(request.user, "operations.view_interest", Interest.objects.select_related("operator"), pk=interest_id)
    require(request.user, "operations.add_interest", interest)
    return services.interest_withdraw(actor=request.user, interest=interest)

