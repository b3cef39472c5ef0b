"""In/Out schemas of the governance API."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema

from .models import AffairApplicationStatus, AffairRole, PartnershipProject, Party, VersionReason
from .selectors import recorded_hours, with_recorded_minutes


class AffairOut(Schema):
    id: int
    number: int
    title: str
    role: AffairRole
    legal_basis: str
    department_id: int
    department: str = Field(..., alias="department.name")
    added_in: int = Field(..., alias="added_in.number")


class VersionOut(Schema):
    number: int
    effective_on: date
    reason: VersionReason
    note: str


class AffairListOut(Schema):
    district_code: str
    district: str
    version: VersionOut | None
    review_due: date | None
    affairs: list[AffairOut]


class AffairListReviewIn(Schema):
    remove: list[int] = Field([], description="Ids of the affairs the review takes off the list")
    reviewed_on: date | None = Field(None, description="The review's day (today when not given)")
    note: str = Field("", max_length=2000)


class ApplicationIn(Schema):
    district_code: str
    department_id: int
    title: str = Field(..., min_length=1, max_length=200)
    role: AffairRole
    legal_basis: str = Field(..., min_length=1, max_length=4000)
    reason: str = Field("", max_length=4000)


class AffairApplicationOut(Schema):
    id: int
    district_code: str = Field(..., alias="district.code")
    district: str = Field(..., alias="district.name")
    department_id: int
    department: str = Field(..., alias="department.name")
    title: str
    role: AffairRole
    legal_basis: str
    reason: str
    status: AffairApplicationStatus
    applied_at: datetime
    decided_at: datetime | None
    decision_reason: str
    affair_id: int | None


class AdmitIn(Schema):
    effective_on: date | None = None
    note: str = Field("", max_length=2000)


class RefuseIn(Schema):
    reasons: str = Field(..., min_length=1, max_length=4000)


class TaskRefusalIn(Schema):
    community_code: str
    department_id: int
    title: str = Field(..., min_length=1, max_length=200)
    details: str = Field("", max_length=4000)


class TaskRefusalOut(Schema):
    id: int
    community_code: str = Field(..., alias="community.code")
    community: str = Field(..., alias="community.name")
    department_id: int
    department: str = Field(..., alias="department.name")
    title: str
    details: str
    version: int = Field(..., alias="version.number")
    refused_at: datetime


class ContributionIn(Schema):
    party: Party
    organisation_id: int | None = None
    fund_code: str | None = Field(None, description="The code of the division whose community fund takes part")
    people: str = Field("", max_length=200)
    headcount: int = Field(0, ge=0, le=100000)
    money: Decimal = Field(Decimal("0"), ge=0, description="Yuan, two decimals")
    hours: Decimal = Field(Decimal("0"), ge=0)
    in_kind: str = Field("", max_length=200)
    note: str = Field("", max_length=200)


class ParticipationOut(Schema):
    id: int
    party: Party
    organisation_id: int | None
    fund_id: int | None
    people: str
    headcount: int
    money: Decimal
    hours: Decimal
    in_kind: str
    note: str


class PartnershipProjectIn(Schema):
    community_code: str
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=4000)
    starts_on: date
    ends_on: date | None = None
    parties: list[ContributionIn] = []


class PartnershipProjectOut(Schema):
    id: int
    community_code: str = Field(..., alias="community.code")
    community: str = Field(..., alias="community.name")
    title: str
    description: str
    starts_on: date
    ends_on: date | None
    parties: list[Party]
    all_five: bool
    money: Decimal
    volunteer_hours: Decimal = Field(..., description="Hours recorded on the platform plus hours entered by hand")
    recorded_hours: Decimal = Field(..., description="Hours confirmed at the project's volunteer opportunities")
    typed_hours: Decimal = Field(..., description="Volunteers' hours entered by hand on the project")
    participations: list[ParticipationOut]

    # Read from the project's participations (prefetched by the list), the way selectors.project_figures counts.
    @staticmethod
    def resolve_participations(obj):
        return list(obj.participations.all())

    @staticmethod
    def resolve_parties(obj):
        return sorted({p.party for p in obj.participations.all()})

    @staticmethod
    def resolve_all_five(obj):
        return {p.party for p in obj.participations.all()} >= set(Party.values)

    @staticmethod
    def resolve_money(obj):
        return sum((p.money for p in obj.participations.all()), Decimal("0.00"))

    @staticmethod
    def resolve_typed_hours(obj):
        return sum((p.hours for p in obj.participations.all() if p.party == Party.VOLUNTEERS), Decimal("0.0"))

    @staticmethod
    def resolve_recorded_hours(obj):
        if not hasattr(obj, "recorded_minutes"):
            obj.recorded_minutes = with_recorded_minutes(PartnershipProject.objects.filter(pk=obj.pk)).get().recorded_minutes
        return recorded_hours(obj.recorded_minutes)

    @staticmethod
    def resolve_volunteer_hours(obj):
        return PartnershipProjectOut.resolve_typed_hours(obj) + PartnershipProjectOut.resolve_recorded_hours(obj)


class FivePartyRowOut(Schema):
    code: str
    name: str
    level: str
    communities: int
    communities_with_five: int
    projects: int
    five_party: int
    money: Decimal
    volunteer_hours: Decimal


class AffairsRowOut(Schema):
    code: str
    name: str
    level: str
    communities: int
    host: int | None
    assist: int | None
    refused_tasks: int
    refused_applications: int
    pending_applications: int
