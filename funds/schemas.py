from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from .models import CommitteeSide, DonorKind, IncomeKind, ProjectKind, ProjectStatus, VoteChoice


class FundOut(Schema):
    code: str = Field(..., alias="division.code")
    division: str = Field(..., alias="division.name")
    name: str
    host: str = Field(..., alias="host.name")
    led_by: str
    founded_on: date
    founding_document: str
    balance: Decimal = Field(..., alias="account.balance")


class FundIn(Schema):
    division: str = Field(..., description="Community or district code")
    host_id: int
    led_by: str = Field(..., min_length=1, max_length=200)
    name: str = Field("", max_length=200)
    founding_document: str = Field("", max_length=100)
    founded_on: date | None = Field(None, description="The founding date (today when not given); not in the future")
    purpose: str = ""
    rules: str = ""


class MemberIn(Schema):
    username: str
    side: CommitteeSide
    is_chair: bool = False


class MemberOut(Schema):
    id: int
    username: str = Field(..., alias="user.username")
    name: str = Field(..., alias="user.label")
    side: CommitteeSide
    is_chair: bool
    joined_on: date


class IncomeIn(Schema):
    kind: IncomeKind
    amount: Decimal = Field(..., description="Yuan, e.g. 1200.50")
    donor_name: str = Field(..., min_length=1, max_length=200)
    donor_kind: DonorKind = DonorKind.INDIVIDUAL
    anonymous: bool = False
    purpose: str = Field("", max_length=200)
    received_on: date
    receipt_no: str = Field("", max_length=60)


class IncomeOut(Schema):
    id: int
    kind: IncomeKind
    donor_name: str
    donor_kind: DonorKind
    anonymous: bool
    purpose: str
    amount: Decimal
    received_on: date
    receipt_no: str
    matches_id: int | None = None
    transaction_id: int


class ProjectIn(Schema):
    title: str = Field(..., min_length=1, max_length=120)
    kind: ProjectKind
    budget: Decimal
    beneficiaries: str = Field(..., min_length=1, max_length=200)
    beneficiary_count: int = Field(0, ge=0)
    plan: str = Field(..., min_length=1)


class ProjectOut(Schema):
    id: int
    fund: str = Field(..., alias="fund.division.code")
    title: str
    kind: ProjectKind
    status: ProjectStatus
    budget: Decimal
    disbursed: Decimal
    spent: Decimal
    beneficiaries: str
    beneficiary_count: int
    proposed_at: datetime
    charity_note: str
    report: str


class VoteIn(Schema):
    choice: VoteChoice
    comment: str = Field(..., min_length=1)


class VoteOut(Schema):
    id: int
    member: str = Field(..., alias="member.user.username")
    choice: VoteChoice
    comment: str
    cast_at: datetime


class FundProjectDecisionIn(Schema):
    approve: bool
    note: str = ""


class DisbursementIn(Schema):
    amount: Decimal
    payee: str = Field(..., min_length=1, max_length=200)
    document: str = Field(..., min_length=1, max_length=100)


class DisbursementOut(Schema):
    id: int
    instalment: int
    amount: Decimal
    payee: str
    paid_on: date
    transaction_id: int


class FundProjectEvidenceIn(Schema):
    description: str = Field(..., min_length=1, max_length=200)
    amount: Decimal
    invoice_no: str = Field(..., min_length=1, max_length=60)


class FundProjectCompletionIn(Schema):
    report: str = Field(..., min_length=1)


class FundProjectReasonIn(Schema):
    reason: str = Field(..., min_length=1)


class ReachRowOut(Schema):
    code: str
    name: str
    communities: int
    funds: int
    share: float
    balance: Decimal
    income: Decimal
