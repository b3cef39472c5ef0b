"""API shapes of the smart neighbourhood."""

from datetime import datetime
from decimal import Decimal

from ninja import Field, Schema

from core.privacy import ADDRESS, NAME, PHONE, redact_text, viewer_of

from .models import (
    ActivityKind,
    ActivityStatus,
    Audience,
    FeedbackStatus,
    NeedStatus,
    OrderStatus,
    RegistrationStatus,
    ServiceCategory,
    ServiceTier,
)


def _reader(context):
    """The user an answer is for (the request in ninja's context)."""
    request = (context or {}).get("request")
    return getattr(request, "user", None)


class NeedKindOut(Schema):
    id: int
    code: str
    category: ServiceCategory
    name: str


class NeedOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    community_name: str = Field(..., alias="community.name")
    grid: str | None = None
    category: ServiceCategory
    kind: str = Field(..., alias="kind.code")
    title: str
    description: str
    preferred_tier: str
    source: str
    status: NeedStatus
    supports: int
    status_note: str
    met_by_service_id: int | None = None
    met_by_activity_id: int | None = None
    met_by_order_id: int | None = None
    met_by_operator_id: int | None = None
    created_at: datetime

    @staticmethod
    def resolve_grid(obj) -> str | None:
        return obj.grid.code if obj.grid_id else None


class NeedIn(Schema):
    community: str | None = Field(None, description="Community code (staff recording for a community; residents and grid workers: their own)")
    grid: str | None = Field(None, description="Grid code (the community's staff name one; a grid worker's own grid by default)")
    kind: str = Field(..., description="Code of the kind of need", examples=["elderly_meals"])
    title: str = Field("", max_length=120)
    description: str = Field("", max_length=2000)
    preferred_tier: ServiceTier | None = None
    on_behalf_of: str = Field("", max_length=60)


class NeedMarkIn(Schema):
    status: NeedStatus
    note: str = Field("", max_length=300)
    service_id: int | None = Field(None, description="A service agreed for the need's community (space for service)")
    activity_id: int | None = None
    order_id: int | None = None
    operator_id: int | None = None


class MatchOut(Schema):
    kind: str
    name: str
    operator_id: int | None
    activity_id: int | None
    service_id: int | None
    score: float
    scores: dict[str, float]
    distance_km: float | None


class InvitationIn(Schema):
    operator_id: int
    service_id: int | None = None
    message: str = Field("", max_length=500)


class InvitationOut(Schema):
    id: int
    need_id: int
    operator_id: int
    service_id: int | None = None
    service_name: str
    status: str


class ActivityOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    organiser_id: int | None = None
    title: str
    description: str
    kind: ActivityKind
    category: ServiceCategory
    tier: ServiceTier
    price: Decimal
    capacity: int
    audience: Audience
    room_id: int | None = None
    place: str
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime
    waitlist: bool
    places_per_registration: int
    registered_places: int
    waitlisted_places: int
    status: ActivityStatus


class ActivityIn(Schema):
    community: str = Field(..., description="Community (or street) code")
    title: str = Field(..., min_length=1, max_length=120)
    description: str = Field("", max_length=4000)
    category: ServiceCategory
    tier: ServiceTier = ServiceTier.FREE
    price: Decimal = Field(Decimal("0"), ge=0, max_digits=8, decimal_places=2)
    capacity: int = Field(..., ge=1, le=5000)
    audience: Audience = Audience.EVERYONE
    room_id: int | None = None
    place: str = Field("", max_length=120)
    starts_at: datetime
    ends_at: datetime
    rrule: str = Field("", max_length=300, description="Sessions of a course, e.g. FREQ=WEEKLY;COUNT=10", examples=["FREQ=WEEKLY;COUNT=10"])
    organiser_id: int | None = None
    registration_closes_at: datetime | None = None
    waitlist: bool = True
    places_per_registration: int = Field(1, ge=1, description="At most the city's rule (neighbourhood.places_per_registration)")


class NeighbourhoodReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class CancelIn(Schema):
    reason: str = Field("", max_length=300, description="Why (told to the operator and kept with the order's steps)")


class RegistrationIn(Schema):
    places: int = Field(1, ge=1, description="At most the activity's places_per_registration")


class RegistrationOut(Schema):
    id: int
    activity_id: int
    activity_title: str = Field(..., alias="activity.title")
    user: str = Field(..., description="The resident's name (masked for those who do not run the activity)")
    places: int
    status: RegistrationStatus
    created_at: datetime
    promoted_at: datetime | None = None

    @staticmethod
    def resolve_user(obj, context) -> str:
        """The resident's name, masked for those who do not run the activity (core.privacy)."""
        activity = obj.activity
        return viewer_of(_reader(context)).show(obj.user.label, NAME, division=activity.community_id,
                                               organisation=activity.organiser_id, owner=obj.user_id)


class CodeIn(Schema):
    code: str = Field(..., min_length=1, max_length=8)


class AttendanceOut(Schema):
    id: int
    session_id: int
    registration_id: int
    people: int
    method: str
    checked_in_at: datetime


class PersonTimesOut(Schema):
    key: str
    label: str
    person_times: int
    attendances: int
    activities: int


class OrderIn(Schema):
    service_id: int | None = Field(None, description="A service agreed for the community (space for service)")
    operator_id: int | None = None
    category: ServiceCategory | None = None
    title: str = Field("", max_length=120)
    details: str = Field("", max_length=2000)
    preferred_time: str = Field("", max_length=120)
    need_id: int | None = None
    pooled: bool = False
    participants: int = Field(1, ge=1, description="At most the city's rule (neighbourhood.order_participants_max)")


class OrderOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    category: ServiceCategory
    title: str
    details: str
    operator_id: int | None = None
    service_id: int | None = None
    service_name: str
    tier: str
    price: Decimal | None = None
    pooled: bool
    participants: int
    status: OrderStatus
    booking_id: int | None = None
    people_served: int | None = None
    rating: int | None = None
    created_at: datetime


class AcceptIn(Schema):
    operator_id: int


class ScheduleIn(Schema):
    room_id: int
    starts_at: datetime
    ends_at: datetime


class DeliverIn(Schema):
    people_served: int | None = Field(None, ge=0, description="At most the city's rule (neighbourhood.people_served_max)")
    note: str = Field("", max_length=300)


class RateIn(Schema):
    rating: int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=300)


class StarsIn(Schema):
    stars: int = Field(..., description="1 to 5")
    comment: str = Field("", max_length=300)


class ActivityRatingOut(Schema):
    activity_id: int
    stars: int
    comment: str
    rated_at: datetime


class FeedbackIn(Schema):
    category: str = Field(..., max_length=40)
    description: str = Field(..., min_length=1, max_length=2000)
    community: str | None = Field(None, description="Staff recording for a community; residents: their own")
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = Field("", max_length=200)
    public: bool = Field(False, description="Show it on the public list (Open311), without name or phone and with the place "
                                             "coarsened; only when the sender chooses so")


class FeedbackPublicIn(Schema):
    public: bool = Field(..., description="Show my request on the public list (without name or phone), or stop showing it")


class FeedbackOut(Schema):
    id: int
    community: str = Field(..., alias="community.code")
    routed_to: str = Field(..., alias="routed_to.code")
    category: str
    category_name: str
    description: str
    status: FeedbackStatus
    public_note: str
    address: str
    public: bool
    due_at: datetime
    created_at: datetime
    closed_at: datetime | None = None
    satisfaction: int | None = Field(None, description="The resident's rating of the handling, 1 to 5, once closed")

    # The place and the words as the reader may see them (core.privacy): whole for the sender and the staff it was routed to.
    @staticmethod
    def resolve_address(obj, context) -> str:
        return viewer_of(_reader(context)).show(obj.address, ADDRESS, division=obj.routed_to_id, owner=obj.submitted_by_id)

    @staticmethod
    def resolve_description(obj, context) -> str:
        if viewer_of(_reader(context)).sees(PHONE, division=obj.routed_to_id, owner=obj.submitted_by_id):
            return obj.description
        return redact_text(obj.description)


class FeedbackUpdateIn(Schema):
    status: FeedbackStatus
    public_note: str = Field("", max_length=500)


class HouseholdIn(Schema):
    address: str = Field("", max_length=120)
    members: int = Field(..., ge=1, le=30)
    tags: list[str] = []
    consent: bool = False


class HouseholdOut(Schema):
    community: str = Field(..., alias="community.code")
    address: str
    members: int
    tags: list[str]
    tags_consented_at: datetime | None = None
