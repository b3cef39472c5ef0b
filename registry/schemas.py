"""API shapes of the register: sites, rooms, costs, compliance, ratings, filings, new projects."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from .hours import format_hours
from .models import (
    CostCategory,
    Payer,
    PropertyClass,
    PropertySource,
    ProvisionMethod,
    RoomUse,
    SignOffParty,
    SiteKind,
)

Area = Decimal  # m², two decimals


class SiteOut(Schema):
    id: int
    code: str
    name: str
    kind: SiteKind
    division_code: str = Field(..., alias="division.code")
    division_name: str = Field(..., alias="division.name")
    address: str
    latitude: float | None = None
    longitude: float | None = None
    floors: int
    floor_area: Area
    ground_floor_area: Area
    independent_entrance: bool
    parking_spaces: int
    square_area: Area
    opening_hours: str
    host_unit: str
    property_class: PropertyClass
    state_share: Decimal | None = None
    collective_share: Decimal | None = None
    property_source: PropertySource
    certificate_no: str
    owner_name: str
    lease_start: date | None = None
    lease_end: date | None = None
    annual_rent: Decimal | None = None
    opened_on: date | None = None
    closed_on: date | None = None
    room_count: int | None = None

    @staticmethod
    def resolve_opening_hours(obj) -> str:
        return format_hours(obj.opening_hours)


class SiteIn(Schema):
    division_code: str
    code: str | None = Field(None, max_length=40, description="Empty: the community code and a number")
    name: str = Field(..., min_length=1, max_length=120)
    kind: SiteKind
    address: str = Field("", max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    floors: int = Field(1, ge=1, le=60)
    floor_area: Decimal = Field(..., gt=0, le=100_000, decimal_places=2)
    ground_floor_area: Decimal = Field(Decimal("0"), ge=0, le=100_000, decimal_places=2)
    independent_entrance: bool = False
    parking_spaces: int = Field(0, ge=0, le=5000)
    square_area: Decimal = Field(Decimal("0"), ge=0, le=100_000, decimal_places=2)
    opening_hours: str = Field("", max_length=300, examples=["周一至周五 08:30-17:30；周六 09:00-12:00"])
    host_unit: str = Field("", max_length=120)
    property_class: PropertyClass
    state_share: Decimal | None = Field(None, ge=0, le=100)
    collective_share: Decimal | None = Field(None, ge=0, le=100)
    property_source: PropertySource
    certificate_no: str = Field("", max_length=60)
    owner_name: str = Field("", max_length=120)
    lease_start: date | None = None
    lease_end: date | None = None
    annual_rent: Decimal | None = Field(None, ge=0, decimal_places=2)
    opened_on: date | None = None
    note: str = Field("", max_length=2000)


class SitePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: SiteKind | None = None
    address: str | None = Field(None, max_length=200)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    floors: int | None = Field(None, ge=1, le=60)
    floor_area: Decimal | None = Field(None, gt=0, le=100_000, decimal_places=2)
    ground_floor_area: Decimal | None = Field(None, ge=0, le=100_000, decimal_places=2)
    independent_entrance: bool | None = None
    parking_spaces: int | None = Field(None, ge=0, le=5000)
    square_area: Decimal | None = Field(None, ge=0, le=100_000, decimal_places=2)
    opening_hours: str | None = Field(None, max_length=300)
    host_unit: str | None = Field(None, max_length=120)
    property_class: PropertyClass | None = None
    state_share: Decimal | None = Field(None, ge=0, le=100)
    collective_share: Decimal | None = Field(None, ge=0, le=100)
    property_source: PropertySource | None = None
    certificate_no: str | None = Field(None, max_length=60)
    owner_name: str | None = Field(None, max_length=120)
    lease_start: date | None = None
    lease_end: date | None = None
    annual_rent: Decimal | None = Field(None, ge=0, decimal_places=2)
    opened_on: date | None = None
    closed_on: date | None = None
    note: str | None = Field(None, max_length=2000)


class RoomOut(Schema):
    id: int
    site_id: int
    site_code: str = Field(..., alias="site.code")
    name: str
    floor: int
    area: Area
    capacity: int
    use: RoomUse
    functions: list[str]
    equipment: list[str]
    opening_hours: str
    closed_on: date | None = None

    @staticmethod
    def resolve_functions(obj) -> list[str]:
        return [f.code for f in obj.functions.all()]

    @staticmethod
    def resolve_opening_hours(obj) -> str:
        return format_hours(obj.opening_hours)


class RoomIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)
    floor: int = Field(1, ge=-5, le=60)
    area: Decimal = Field(..., gt=0, le=100_000, decimal_places=2)
    capacity: int = Field(0, ge=0, le=5000)
    use: RoomUse = RoomUse.SERVICE
    functions: list[str] = Field(default_factory=list, description="Function codes (or names) from the city's catalogue")
    equipment: list[str] = Field(default_factory=list, max_length=30)
    opening_hours: str = Field("", max_length=300, description="Empty: the site's hours")
    note: str = Field("", max_length=2000)


class RoomPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    floor: int | None = Field(None, ge=-5, le=60)
    area: Decimal | None = Field(None, gt=0, le=100_000, decimal_places=2)
    capacity: int | None = Field(None, ge=0, le=5000)
    use: RoomUse | None = None
    functions: list[str] | None = None
    equipment: list[str] | None = Field(None, max_length=30)
    opening_hours: str | None = Field(None, max_length=300)
    closed_on: date | None = None
    note: str | None = Field(None, max_length=2000)


class CostOut(Schema):
    id: int
    site_code: str = Field(..., alias="site.code")
    room_id: int | None = None
    year: int
    category: CostCategory
    amount: Decimal
    paid_by: Payer
    payer_id: int | None = None
    note: str


class CostIn(Schema):
    room_id: int | None = None
    year: int = Field(..., ge=1990, le=2100)
    category: CostCategory
    amount: Decimal = Field(..., gt=0, le=100_000_000, decimal_places=2)
    paid_by: Payer
    payer_id: int | None = None
    note: str = Field("", max_length=200)


class FunctionOut(Schema):
    code: str
    name: str
    requirement: str
    sets: list[str]
    source: str


class AspectOut(Schema):
    code: str
    name: str
    functions: list[FunctionOut]

    @staticmethod
    def resolve_functions(obj) -> list:
        return list(obj.functions.all())


class RuleResultOut(Schema):
    key: str
    title: str
    source: str
    passed: bool
    actual: Decimal | None = None
    required: Decimal | None = None
    unit: str
    gap: Decimal | None = None
    gap_text: str


class DivisionComplianceOut(Schema):
    code: str
    name: str
    compliant: bool
    failed: int
    results: list[RuleResultOut]


class RuleTotalOut(Schema):
    key: str
    title: str
    passed: int
    failed: int
    total: int


class ComplianceOut(Schema):
    code: str
    name: str
    level: str
    rules: list[RuleTotalOut]
    streets: list[DivisionComplianceOut]
    communities: list[DivisionComplianceOut]
    non_compliant: list[str] = Field(..., description="Community codes failing a rule, worst first")


class LeaseOut(Schema):
    site_id: int
    site_code: str
    site_name: str
    community: str
    owner_name: str
    property_source: PropertySource
    lease_end: date
    days_left: int


class RatingOut(Schema):
    site_id: int
    site_code: str = Field(..., alias="site.code")
    site_name: str = Field(..., alias="site.name")
    stars: int
    score: Decimal
    details: list[dict[str, Any]]
    pack_version: str
    rated_at: datetime
    checked_at: datetime = Field(..., description="The last recomputation that came to the same result")


class OnlineCentreOut(Schema):
    site_id: int
    site_code: str = Field(..., alias="site.code")
    site_name: str = Field(..., alias="site.name")
    division: str = Field(..., alias="site.division.name")
    stars: int
    score: Decimal
    rated_at: datetime
    state: str = Field(..., alias="online_state", description="on (switched on and rated at the gate or above), suspended (switched on, rated "
                                        "below the gate: not offered to residents), eligible (off, may be switched on), below")


class OnlineSwitchIn(Schema):
    on: bool
    note: str = Field("", max_length=200, description="Why they are switched off (required then)")


class OnlineSwitchOut(Schema):
    site_id: int
    is_on: bool
    state: str | None = Field(..., description="on, suspended, eligible or below; null while the centre is not rated")
    changed_at: datetime
    note: str


class SiteEvidenceIn(Schema):
    criterion: str = Field(..., max_length=60)
    score: Decimal = Field(..., ge=0, le=1, decimal_places=3)
    evidence: str = Field(..., min_length=2, max_length=4000)
    assessed_on: date


class FilingOut(Schema):
    id: int
    street_code: str = Field(..., alias="street.code")
    street_name: str = Field(..., alias="street.name")
    filed_at: datetime
    filed_by: str = Field(..., alias="filed_by.username")
    note: str
    sha256: str
    summary: dict[str, Any]


class FilingIn(Schema):
    street_code: str
    note: str = Field("", max_length=200)


class SignOffOut(Schema):
    stage: str
    party: SignOffParty
    document_no: str
    signed_on: date
    signer: str


class ProvisionOut(Schema):
    id: int
    name: str
    street_code: str = Field(..., alias="street.code")
    community_code: str = Field(..., alias="community.code")
    developer: str
    land_parcel: str
    households: int
    required_area: Decimal
    method: ProvisionMethod
    stage: str
    presale_price: Decimal | None = None
    monetisation_amount: Decimal | None = None
    provided_area: Decimal | None = None
    delivery_filed_on: date | None = None
    payment_due_on: date | None = None
    paid_on: date | None = None
    sign_offs: list[SignOffOut]

    @staticmethod
    def resolve_sign_offs(obj) -> list:
        return list(obj.sign_offs.all())


class ProvisionIn(Schema):
    community_code: str
    name: str = Field(..., min_length=2, max_length=120)
    developer: str = Field(..., min_length=2, max_length=120)
    land_parcel: str = Field(..., min_length=1, max_length=60)
    households: int = Field(..., ge=1, le=100_000)
    method: ProvisionMethod
    presale_price: Decimal | None = Field(None, gt=0, le=1_000_000, decimal_places=2)


class SignOffIn(Schema):
    party: SignOffParty
    document_no: str = Field(..., min_length=1, max_length=60)
    signed_on: date
    signer: str = Field(..., min_length=1, max_length=60)
    note: str = Field("", max_length=200)


class DeliveryIn(Schema):
    delivery_filed_on: date
    provided_area: Decimal | None = Field(None, gt=0, le=100_000, decimal_places=2)
    agreement_no: str = Field("", max_length=60)


class ProvisionPaymentIn(Schema):
    paid_on: date
    amount: Decimal = Field(..., gt=0, decimal_places=2)
    document_no: str = Field(..., min_length=1, max_length=60)


class RentIn(Schema):
    amount: Decimal = Field(..., gt=0, le=100_000_000, decimal_places=2)
    received_on: date
    document_no: str = Field(..., min_length=1, max_length=60)
    payer: str = Field(..., min_length=1, max_length=120)


class StatementLineOut(Schema):
    occurred_on: date
    kind: str
    memo: str
    source_document: str
    amount: Decimal
    balance: Decimal


class EarmarkedOut(Schema):
    street_code: str
    account_code: str | None = None
    balance: Decimal
    lines: list[StatementLineOut]


# Signs and plaques [Huli].

class SignOut(Schema):
    id: int
    site_id: int
    site_name: str = Field(..., alias="site.name")
    division_name: str = Field(..., alias="site.division.name")
    text: str
    issuer: str
    department_id: int | None = None
    allowed: bool
    hung_on: date | None = None
    has_photo: bool = False
    removed_on: date | None = None
    removed_by: str | None = None
    removal_note: str
    cleanup_id: int | None = None

    @staticmethod
    def resolve_has_photo(obj) -> bool:
        return bool(obj.photo)

    @staticmethod
    def resolve_removed_by(obj) -> str | None:
        return str(obj.removed_by) if obj.removed_by_id else None


class SignIn(Schema):
    site_id: int
    text: str = Field(..., min_length=1, max_length=120)
    department_id: int | None = None
    department_name: str = Field("", max_length=120)
    hung_on: date | None = None


class SignCountOut(Schema):
    division_code: str | None = None
    division_name: str | None = None
    allowed: int
    removed: int
    remaining: int


class SignCountsOut(Schema):
    rows: list[SignCountOut]
    total: SignCountOut


class CleanupOut(Schema):
    id: int
    division_code: str = Field(..., alias="division.code")
    division_name: str = Field(..., alias="division.name")
    title: str
    started_on: date
    closed_on: date | None = None
    note: str


class CleanupIn(Schema):
    division_code: str
    title: str = Field(..., min_length=1, max_length=120)
    note: str = Field("", max_length=200)


# Suggestions to merge or swap rooms.

class SuggestionOut(Schema):
    id: int
    kind: str
    status: str
    street_code: str = Field(..., alias="street.code")
    street_name: str = Field(..., alias="street.name")
    room_id: int
    keep_id: int | None = None
    figures: dict[str, Any]
    created_at: datetime
    decided_at: datetime | None = None
    reason: str


class SuggestionsGenerateIn(Schema):
    division_code: str


class MergeProposeIn(Schema):
    room_id: int
    keep_id: int


class SuggestionAcceptIn(Schema):
    note: str = Field("", max_length=300)


class SuggestionDismissIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)
