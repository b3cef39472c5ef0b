"""API shapes of room scheduling."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from core.privacy import MOBILE, PHONE, viewer_of

from .models import Booker, BookingKind, BookingStatus


class BookingOut(Schema):
    id: int
    room_id: int
    room_name: str = Field(..., alias="room.name")
    site_name: str = Field(..., alias="room.site.name")
    title: str
    kind: BookingKind
    starts_at: datetime
    ends_at: datetime
    attendees: int
    status: BookingStatus
    booker: str = Field(..., description="Username of who booked (a resident's, their mobile number, masked for those who do not handle the room)")
    organisation_id: int | None = None
    series_id: int | None = None
    hold_expires_at: datetime | None = None
    checked_in_at: datetime | None = None
    no_show: bool

    @staticmethod
    def resolve_booker(obj, context) -> str:
        """The booker's username; a resident's is their mobile number, masked for those who do not handle the room (core.privacy)."""
        request = (context or {}).get("request")
        username = obj.booker.username
        if not MOBILE.fullmatch(username or ""):
            return username
        return viewer_of(getattr(request, "user", None)).show(username, PHONE, division=obj.room.site.division_id, owner=obj.booker_id)


class BookingIn(Schema):
    room_id: int
    starts_at: datetime
    ends_at: datetime
    title: str = Field(..., min_length=1, max_length=120)
    attendees: int = Field(1, ge=1, le=5000)
    organisation_id: int | None = None
    purpose: str = Field("", max_length=300)


class SeriesIn(Schema):
    room_id: int
    title: str = Field(..., min_length=1, max_length=120)
    dtstart: datetime
    duration_minutes: int = Field(..., ge=5, le=24 * 60)
    rrule: str = Field(..., max_length=300, examples=["FREQ=WEEKLY;BYDAY=TU;COUNT=10"])
    exdates: list[date] = []
    skip_conflicts: bool = Field(False, description="Book the free dates and leave out the colliding ones")
    attendees: int = Field(1, ge=1, le=5000)
    organisation_id: int | None = None


class SeriesOut(Schema):
    series_id: int
    booked: list[BookingOut]
    left_out: list[datetime]


class ChangeIn(Schema):
    scope: str = Field("one", pattern="^(one|following|series)$", description="one, following or series")
    reason: str = Field("", max_length=200)


class MoveIn(ChangeIn):
    starts_at: datetime
    ends_at: datetime


class BookingDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class WaitlistIn(Schema):
    room_id: int
    starts_at: datetime
    ends_at: datetime
    title: str = Field(..., min_length=1, max_length=120)
    attendees: int = Field(1, ge=1, le=5000)


class WaitlistOut(Schema):
    id: int
    room_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    status: str


class WindowOut(Schema):
    room_id: int
    room_name: str
    site_name: str
    community: str
    capacity: int
    equipment: list[str]
    start: datetime
    end: datetime
    minutes: int
    score: float


class PolicyIn(Schema):
    bookable: bool | None = None
    bookable_hours: str | None = Field(None, max_length=300, description="e.g. 周一至周五 08:30-17:30；empty: the room's hours")
    min_minutes: int | None = Field(None, ge=5, le=1440)
    max_minutes: int | None = Field(None, ge=5, le=1440)
    slot_minutes: int | None = Field(None, ge=5, le=240)
    buffer_minutes: int | None = Field(None, ge=0, le=240)
    horizon_days: int | None = Field(None, ge=1, le=730)
    bookers: list[Booker] | None = None
    approval_required: bool | None = None
    hold_minutes: int | None = Field(None, ge=5, le=10080)
    no_show_minutes: int | None = Field(None, ge=5, le=240)


class PolicyOut(Schema):
    room_id: int
    bookable: bool
    bookable_hours: dict[str, Any]
    min_minutes: int
    max_minutes: int
    slot_minutes: int
    buffer_minutes: int
    horizon_days: int
    bookers: list[str]
    approval_required: bool
    hold_minutes: int
    no_show_minutes: int


class ClosureIn(Schema):
    site_id: int
    room_id: int | None = None
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(..., min_length=1, max_length=120)
    cancel_bookings: bool = False


class ClosureOut(Schema):
    id: int
    site_id: int
    room_id: int | None = None
    starts_at: datetime
    ends_at: datetime
    reason: str


class RotationIn(Schema):
    room_id: int
    name: str = Field(..., min_length=1, max_length=120)
    slots: list[dict[str, Any]] = Field(..., examples=[[{"weekday": 2, "start": "09:00", "end": "11:30"}]])
    department_ids: list[int] = Field(..., min_length=1, max_length=30)
    starts_on: date
    ends_on: date


class RotationOut(Schema):
    id: int
    room_id: int
    name: str
    slots: list[dict[str, Any]]
    departments: list[str]
    starts_on: date
    ends_on: date

    @staticmethod
    def resolve_departments(obj) -> list[str]:
        return [m.department.name for m in obj.members.all()]


class RotationCreatedOut(RotationOut):
    booked: int
    skipped: list[str]


class UsageOut(Schema):
    key: str
    label: str
    rooms: int
    recorded: bool  # False: no room of the place has any booking recorded (no rate, never idle)
    bookable_hours: float
    booked_hours: float
    used_hours: float
    rate: float | None = None
    used_rate: float | None = None
    no_shows: int
    idle: bool
    periods: list[dict[str, Any]] = []


# Units' open resources (驻区单位开放资源).

class OpenResourceOut(Schema):
    id: int
    room_id: int
    name: str = Field(..., alias="room.name")
    unit_id: int
    unit_name: str = Field(..., alias="unit.name")
    category: str
    community_code: str = Field(..., alias="room.site.division.code")
    community_name: str = Field(..., alias="room.site.division.name")
    address: str = Field(..., alias="room.site.address")
    opening_hours: str = Field(..., description="As a notice board writes them: 周六、周日 08:00-18:00")
    rules: str
    capacity: int = Field(..., alias="room.capacity")
    opened_on: date
    withdrawn_on: date | None = None

    @staticmethod
    def resolve_opening_hours(obj) -> str:
        from registry.hours import format_hours

        return format_hours(obj.room.opening_hours)


class OpenResourceIn(Schema):
    unit_id: int
    community_code: str = Field(..., max_length=20)
    name: str = Field(..., min_length=1, max_length=80)
    category: str = Field(..., description="parking, sports, meeting or other")
    opening_hours: str = Field(..., max_length=300, examples=["周六、周日 08:00-18:00"])
    rules: str = Field("", max_length=2000)
    capacity: int = Field(0, ge=0, le=5000)
    area: Decimal = Field(Decimal("50"), gt=0, le=100000)
    address: str = Field("", max_length=200)
    max_minutes: int = Field(240, ge=30, le=24 * 60)
    open_until: date | None = None


class OpenResourceChangeIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=80)
    category: str | None = None
    opening_hours: str | None = Field(None, max_length=300)
    rules: str | None = Field(None, max_length=2000)
    capacity: int | None = Field(None, ge=0, le=5000)
    address: str | None = Field(None, max_length=200)
    max_minutes: int | None = Field(None, ge=30, le=24 * 60)


class OpenBookingIn(Schema):
    starts_at: datetime
    ends_at: datetime
    title: str = Field(..., min_length=1, max_length=120)
    attendees: int = Field(1, ge=1, le=5000)
    purpose: str = Field("", max_length=300)


class OpenResourceWithdrawIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class OpenFiguresOut(Schema):
    code: str
    name: str
    resources: int
    units: int
    by_category: dict[str, int]
    requests: int
    approved: int
    pending: int
