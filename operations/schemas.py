from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from .models import (
    AdmissionStatus,
    AgreementStatus,
    BasisKind,
    CostBearer,
    FundingKind,
    FundingStatus,
    InterestStatus,
    MilestoneStatus,
    OfferStatus,
    OperationMode,
    PriceUnit,
    QualificationKind,
    ReportStatus,
    ServiceCategory,
    ServiceTier,
    Severity,
)


class OperationsReasonIn(Schema):
    reason: str = Field(..., min_length=1)


class NoteIn(Schema):
    note: str = ""


# Admission.

class QualificationIn(Schema):
    kind: QualificationKind
    number: str = Field(..., min_length=1, max_length=60)
    issued_by: str = Field("", max_length=120)
    valid_until: date | None = None


class QualificationOut(Schema):
    id: int
    kind: QualificationKind
    number: str
    issued_by: str
    valid_until: date | None


class AdmissionIn(Schema):
    operator_id: int
    division_code: str = Field(..., description="The street or district applied to")
    categories: list[ServiceCategory] = Field(..., min_length=1)
    scope_description: str = Field(..., min_length=1)
    references: str = ""


class ChecklistAnswer(Schema):
    met: bool
    note: str = ""


class ReviewIn(Schema):
    admit: bool
    checklist: dict[str, ChecklistAnswer] = Field(..., description="Every item of the city's admission checklist, by code")
    note: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


class AdmissionOut(Schema):
    id: int
    operator_id: int
    operator: str = Field(..., alias="operator.name")
    division_code: str = Field(..., alias="division.code")
    division: str = Field(..., alias="division.name")
    status: AdmissionStatus
    categories: list[str]
    scope_description: str
    applied_at: datetime
    reviewed_at: datetime | None
    checklist: dict
    decision_note: str
    valid_from: date | None
    valid_until: date | None
    status_reason: str


class OperatorOut(Schema):
    id: int
    name: str
    operator_kind: str
    contact_phone: str


# Agreements.

class WeeklySlot(Schema):
    weekday: int = Field(..., ge=1, le=7, description="1 is Monday")
    start: str = Field(..., examples=["09:00"])
    end: str = Field(..., examples=["12:00"])


class SpaceIn(Schema):
    room: int = Field(..., description="Room id")
    hours: list[WeeklySlot]
    area: Decimal | None = None
    note: str = ""


class ServiceIn(Schema):
    name: str
    description: str = ""
    category: ServiceCategory
    tier: ServiceTier
    price: Decimal = Decimal("0")
    price_unit: PriceUnit = PriceUnit.SESSION
    market_price: Decimal | None = None
    capacity: int = Field(0, ge=0)
    audience: str = ""


class ShareIn(Schema):
    tier: ServiceTier
    percent: Decimal | None = Field(None, description="Share of the tier's revenue, 0–100")
    fixed_monthly: Decimal | None = Field(None, description="Or a fixed sum a month, yuan")


class TermsIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    mode: OperationMode
    starts_on: date
    ends_on: date
    number: str = ""
    renovation_by: CostBearer = CostBearer.OPERATOR
    utilities_by: CostBearer = CostBearer.OPERATOR
    maintenance_by: CostBearer = CostBearer.OPERATOR
    operator_renovation_cost: Decimal = Decimal("0")
    operator_running_cost: Decimal = Decimal("0")
    annual_rent: Decimal = Decimal("0")
    non_profit_purpose: bool = True
    public_benefit_share: Decimal = Field(Decimal("0.6"), ge=0, le=1)
    low_cost_price_cap: Decimal | None = None
    basis_kind: BasisKind | None = None
    basis_number: str = ""
    basis_date: date | None = None
    revenue_distribution: str = ""
    collective_resolution: str = ""
    valuation_report_no: str = ""
    authorised_by: str = ""
    authorisation_document: str = ""
    note: str = ""


class AgreementIn(Schema):
    division_code: str = Field(..., description="The community (or street) that gives the space")
    operator_id: int
    terms: TermsIn
    spaces: list[SpaceIn] = Field(..., min_length=1)
    services: list[ServiceIn] = Field(..., min_length=1)
    shares: list[ShareIn] = []


class AgreementRevisionIn(Schema):
    terms: TermsIn
    spaces: list[SpaceIn] = Field(..., min_length=1)
    services: list[ServiceIn] = Field(..., min_length=1)
    shares: list[ShareIn] = []


class TerminateIn(Schema):
    on: date = Field(..., description="The last day of the agreement")
    reason: str = Field(..., min_length=1)


class RenewIn(Schema):
    ends_on: date


class SpaceOut(Schema):
    room_id: int
    room: str = Field(..., alias="room.name")
    site: str = Field(..., alias="room.site.name")
    area: Decimal | None
    hours: list[dict]


class ServiceOut(Schema):
    id: int
    name: str
    description: str
    category: ServiceCategory
    tier: ServiceTier
    price: Decimal
    price_unit: PriceUnit
    market_price: Decimal | None
    capacity: int
    audience: str


class OfferedServiceOut(ServiceOut):
    operator: str = Field(..., alias="agreement.operator.name")
    operator_id: int = Field(..., alias="agreement.operator_id")
    agreement_id: int
    division: str = Field(..., alias="agreement.division.name")


class ShareOut(Schema):
    tier: ServiceTier
    percent: Decimal | None
    fixed_monthly: Decimal | None


class AgreementOut(Schema):
    id: int
    number: str
    title: str
    division_code: str = Field(..., alias="division.code")
    division: str = Field(..., alias="division.name")
    operator_id: int
    operator: str = Field(..., alias="operator.name")
    mode: OperationMode
    status: AgreementStatus
    starts_on: date
    ends_on: date
    terminated_on: date | None
    annual_rent: Decimal
    operator_renovation_cost: Decimal
    operator_running_cost: Decimal
    public_benefit_share: Decimal
    open_breaches: int = 0


class FindingOut(Schema):
    id: int
    agreement_id: int
    report_id: int | None
    rule_key: str
    title: str
    source: str
    severity: Severity
    figure: str
    requirement: str
    message: str
    found_at: datetime
    resolved_at: datetime | None


class AgreementDetailOut(AgreementOut):
    renovation_by: CostBearer
    utilities_by: CostBearer
    maintenance_by: CostBearer
    non_profit_purpose: bool
    low_cost_price_cap: Decimal | None
    basis_kind: str
    basis_number: str
    basis_date: date | None
    revenue_distribution: str
    collective_resolution: str
    valuation_report_no: str
    authorised_by: str
    authorisation_document: str
    decision_note: str
    termination_reason: str
    renewal_of_id: int | None
    spaces: list[SpaceOut]
    services: list[ServiceOut]
    shares: list[ShareOut]


# Reports.

class ServiceReportIn(Schema):
    month: date = Field(..., description="Any day of the month reported")
    revenue_low_cost: Decimal = Decimal("0")
    revenue_market: Decimal = Decimal("0")
    operating_cost: Decimal = Decimal("0")
    sessions_free: int = Field(0, ge=0)
    sessions_low_cost: int = Field(0, ge=0)
    sessions_market: int = Field(0, ge=0)
    people_free: int = Field(0, ge=0)
    people_low_cost: int = Field(0, ge=0)
    people_market: int = Field(0, ge=0)
    note: str = ""


class ReportOut(Schema):
    id: int
    agreement_id: int
    agreement: str = Field(..., alias="agreement.title")
    operator: str = Field(..., alias="agreement.operator.name")
    division: str = Field(..., alias="agreement.division.name")
    month: date
    status: ReportStatus
    revenue_low_cost: Decimal
    revenue_market: Decimal
    operating_cost: Decimal
    sessions_free: int
    sessions_low_cost: int
    sessions_market: int
    people_free: int
    people_low_cost: int
    people_market: int
    fund_share: Decimal
    fund_income_id: int | None
    submitted_at: datetime
    return_note: str


class ReportDueOut(Schema):
    agreement_id: int
    agreement: str
    operator: str
    division: str
    month: date
    due_on: date
    days_late: int


# Compliance and savings.

class PlaceComplianceOut(Schema):
    code: str
    name: str
    agreements: int
    with_breach: int
    breaches: int
    warnings: int


class SavingsOut(Schema):
    code: str
    name: str
    year: int = Field(..., description="The year the year's figures are for")
    agreements: int = Field(..., description="Agreements that ran on some day of the year")
    renovation: Decimal = Field(..., description="Renovation borne by operators in the year (agreements that started then)")
    running: Decimal = Field(..., description="Running costs borne in the year: each agreement's yearly costs pro rata by the "
                                              "days it ran (up to today in the current year)")
    reported_costs: Decimal = Field(..., description="Operating costs in the year's confirmed reports")
    renovation_to_date: Decimal = Field(..., description="Renovation borne up to today, every year together")
    running_to_date: Decimal = Field(..., description="Running costs borne up to today, every year together")
    in_force: int = Field(..., description="Agreements in force today")
    running_per_year: Decimal = Field(..., description="Yearly running costs of the agreements in force today")


# Public funding.

class MilestoneIn(Schema):
    title: str = Field(..., min_length=1)
    due_on: date
    amount: Decimal = Decimal("0")


class FundingIn(Schema):
    kind: FundingKind
    title: str = Field(..., min_length=1, max_length=200)
    number: str = ""
    funder_code: str = Field(..., description="The district or street that pays")
    division_code: str = Field(..., description="The community or street served")
    amount: Decimal | None = Field(None, description="Yuan; a service station's construction subsidy defaults to the city's rule")
    starts_on: date
    ends_on: date
    recipient_id: int | None = None
    department_id: int | None = None
    site_id: int | None = None
    conditions: str = ""
    milestones: list[MilestoneIn] = []


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date
    amount: Decimal
    status: MilestoneStatus
    evidence: str


class FundingOut(Schema):
    id: int
    kind: FundingKind
    title: str
    number: str
    funder: str = Field(..., alias="funder.name")
    division_code: str = Field(..., alias="division.code")
    division: str = Field(..., alias="division.name")
    recipient_id: int | None
    amount: Decimal
    paid: Decimal
    starts_on: date
    ends_on: date
    conditions: str
    status: FundingStatus


class FundingDetailOut(FundingOut):
    milestones: list[MilestoneOut]


class FundingPaymentIn(Schema):
    amount: Decimal
    paid_on: date
    document: str = Field(..., min_length=1, max_length=80)
    milestone_id: int | None = None


class PaymentOut(Schema):
    id: int
    amount: Decimal
    paid_on: date
    document: str
    milestone_id: int | None


class MilestoneDecisionIn(Schema):
    met: bool
    evidence: str = Field(..., min_length=1)


class FundingCloseIn(Schema):
    completed: bool
    note: str = Field(..., min_length=1)


# Partnership offers.

class OfferIn(Schema):
    room_id: int
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field(..., min_length=1)
    categories: list[ServiceCategory] = Field(..., min_length=1)
    hours: list[WeeklySlot] = Field(..., min_length=1)
    closes_on: date


class OfferOut(Schema):
    id: int
    room_id: int
    room: str = Field(..., alias="room.name")
    site: str = Field(..., alias="room.site.name")
    division_code: str = Field(..., alias="division.code")
    division: str = Field(..., alias="division.name")
    title: str
    description: str
    categories: list[str]
    hours: list[dict]
    usage_rate: float | None
    closes_on: date
    status: OfferStatus
    agreement_id: int | None


class InterestIn(Schema):
    operator_id: int
    proposal: str = Field(..., min_length=1)
    services: list[ServiceIn] = Field(..., min_length=1)
    renovation_cost: Decimal = Decimal("0")


class InterestOut(Schema):
    id: int
    operator_id: int
    operator: str = Field(..., alias="operator.name")
    proposal: str
    services: list[dict]
    renovation_cost: Decimal
    status: InterestStatus
    submitted_at: datetime


class AwardTermsIn(TermsIn):
    title: str = Field("", max_length=200, description="Empty: the room and the operator's name")


class AwardIn(Schema):
    interest_id: int
    terms: AwardTermsIn
    shares: list[ShareIn] = []
