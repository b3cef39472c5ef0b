"""In/Out schemas of the volunteers API."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from core.privacy import NAME, viewer_of

from .models import ApplicationStatus, GridRoleKind, OpportunityStatus, RecordStatus


def _name(context, name: str, *, division, organisation=None, owner=None) -> str:
    """A volunteer's name as the reader may see it (core.privacy): whole for the organising community's workers."""
    request = (context or {}).get("request")
    return viewer_of(getattr(request, "user", None)).show(name, NAME, division=division, organisation=organisation, owner=owner)


class VolunteerIn(Schema):
    community: str = Field(..., description="Community code (where the resident lives)")
    real_name: str = Field(..., max_length=40)
    phone: str = Field(..., max_length=20)
    id_number: str = Field("", max_length=20)
    skills: list[str]
    availability: list[str] = Field(default_factory=list, description='Weekday 1-7 and time of day: "6:morning"')
    consent: bool = Field(..., description="Agrees to the volunteer agreement")


class VolunteerUpdateIn(Schema):
    phone: str = Field(..., max_length=20)
    skills: list[str]
    availability: list[str] = Field(default_factory=list)


class VolunteerOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    real_name: str
    skills: list[str]
    availability: list[str]
    agreement_version: str
    consented_at: datetime
    status: str
    hours: Decimal

    @staticmethod
    def resolve_real_name(obj, context) -> str:
        return _name(context, obj.real_name, division=obj.community_id, owner=obj.user_id)


class TimeBankOut(Schema):
    volunteer: VolunteerOut
    confirmed_hours: Decimal
    pending_hours: Decimal
    services: int


class TeamIn(Schema):
    community: str
    name: str = Field(..., max_length=80)
    description: str = ""
    organisation_id: int | None = None


class TeamOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    organisation_id: int | None = None
    name: str
    description: str


class GridRoleIn(Schema):
    volunteer_id: int
    grid: str = Field(..., description="Grid code")
    role: GridRoleKind
    building: str = ""


class GridRoleOut(Schema):
    id: int
    volunteer_id: int
    grid: str = Field(..., alias="grid.code")
    role: GridRoleKind
    building: str


class OpportunityIn(Schema):
    community: str = Field(..., description="Community (or street) code")
    organisation_id: int | None = Field(None, description="The operator running it; empty: the community")
    team_id: int | None = None
    title: str = Field(..., max_length=120)
    description: str = ""
    skills: list[str] = Field(default_factory=list)
    places: int = Field(..., ge=1, le=1000)
    starts_at: datetime
    ends_at: datetime
    place: str = Field(..., max_length=120)
    activity_id: int | None = None
    need_id: int | None = None
    service_order_id: int | None = None
    project_id: int | None = Field(None, description="The community's five-party project it serves (its confirmed hours count there)")
    auto_accept: bool = False


class OpportunityOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    organiser_id: int | None = None
    team_id: int | None = None
    title: str
    description: str
    skills: list[str]
    places: int
    accepted_count: int
    starts_at: datetime
    ends_at: datetime
    place: str
    activity_id: int | None = None
    need_id: int | None = None
    service_order_id: int | None = None
    project_id: int | None = None
    status: OpportunityStatus


class VolunteerApplicationOut(Schema):
    id: int
    opportunity_id: int
    volunteer_id: int
    volunteer_name: str
    status: ApplicationStatus
    applied_at: datetime

    @staticmethod
    def resolve_volunteer_name(obj, context) -> str:
        return _name(context, obj.volunteer.real_name, division=obj.opportunity.community_id, organisation=obj.opportunity.organiser_id,
                     owner=obj.volunteer.user_id)


class DecideIn(Schema):
    accept: bool


class VolunteerCodeIn(Schema):
    code: str = Field(..., min_length=1, max_length=8)


class VolunteerReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class ConfirmIn(Schema):
    minutes: int | None = Field(None, ge=1)


class CloseIn(Schema):
    signed_out_at: datetime


class RecordOut(Schema):
    id: int
    volunteer_id: int
    volunteer_name: str
    opportunity_id: int
    signed_in_at: datetime
    signed_out_at: datetime | None = None
    minutes: int | None = None
    status: RecordStatus
    confirmed_by_id: int | None = None
    confirmed_at: datetime | None = None

    @staticmethod
    def resolve_volunteer_name(obj, context) -> str:
        return _name(context, obj.volunteer.real_name, division=obj.opportunity.community_id, organisation=obj.opportunity.organiser_id,
                     owner=obj.volunteer.user_id)


class HoursRowOut(Schema):
    code: str
    name: str
    level: str
    volunteers: int
    hours: Decimal
