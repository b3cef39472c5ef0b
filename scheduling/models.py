"""Scheduling of multi-use rooms (一室多用): who has which room when.

Each bookable room has a ``RoomPolicy`` (its bookable hours, lengths, slot size, buffer,
horizon, who may book, whether bookings need approval, no-show grace). A ``Booking`` holds a
room from ``starts_at`` to ``ends_at``; ``blocked_until`` adds the room's buffer, and no two
active bookings of a room may overlap on [starts_at, blocked_until) — enforced by an exclusion
constraint on PostgreSQL and by checking inside the writing transaction (which SQLite runs one
at a time) on both. A ``Series`` is a recurring booking (RFC 5545 rule) whose occurrences are
ordinary bookings. ``Closure`` rows shut rooms or whole sites (holidays, maintenance), a
``WaitlistEntry`` waits for a busy slot, and a ``Rotation`` shares a room among departments
(部门轮值) by generating their bookings.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields


class Booker(models.TextChoices):
    """Who may book a room; a policy lists the kinds it admits."""

    STAFF = "staff", _("community and street staff")
    DEPARTMENT = "department", _("government departments")
    OPERATOR = "operator", _("operators")
    RESIDENT = "resident", pgettext_lazy("who may book", "residents")


class RoomPolicy(models.Model):
    room = models.OneToOneField("registry.Room", on_delete=models.CASCADE, related_name="policy")
    bookable = models.BooleanField(_("open for booking"), default=True)
    # Empty: the room's (or its site's) opening hours.
    bookable_hours = models.JSONField(_("bookable hours"), default=dict, blank=True)
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30, validators=[MinValueValidator(5)])
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=240, validators=[MaxValueValidator(24 * 60)])
    slot_minutes = models.PositiveIntegerField(_("slot size (minutes)"), default=30, validators=[MinValueValidator(5), MaxValueValidator(240)])
    buffer_minutes = models.PositiveIntegerField(_("buffer between bookings (minutes)"), default=0, validators=[MaxValueValidator(240)])
    horizon_days = models.PositiveIntegerField(_("bookable this many days ahead"), default=60, validators=[MaxValueValidator(730)])
    bookers = models.JSONField(_("who may book"), default=list, blank=True)
    approval_required = models.BooleanField(_("bookings need approval"), default=False)
    hold_minutes = models.PositiveIntegerField(_("a request holds the slot for (minutes)"), default=24 * 60)
    no_show_minutes = models.PositiveIntegerField(_("released if nobody checks in within (minutes)"), default=15)

    scope = ScopeFields(division="room__site__division")

    class Meta:
        verbose_name = _("room booking rules")
        verbose_name_plural = _("room booking rules")
        constraints = [models.CheckConstraint(condition=Q(max_minutes__gte=models.F("min_minutes")), name="policy_max_at_least_min")]

    def __str__(self):
        return str(self.room)


class Closure(models.Model):
    """A room, or a whole site, shut for a while (a holiday, maintenance)."""

    site = models.ForeignKey("registry.Site", on_delete=models.CASCADE, related_name="closures")
    room = models.ForeignKey("registry.Room", null=True, blank=True, on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="closure_ends_after_it_starts")]

    def __str__(self):
        return f"{self.reason} {self.starts_at:%Y-%m-%d}"


class Series(models.Model):
    """A recurring booking: an RFC 5545 rule from a first occurrence, with dates left out."""

    room = models.ForeignKey("registry.Room", on_delete=models.PROTECT, related_name="booking_series")
    title = models.CharField(_("title"), max_length=120)
    rrule = models.CharField(_("recurrence rule (RFC 5545)"), max_length=300)
    dtstart = models.DateTimeField(_("first occurrence"))
    duration_minutes = models.PositiveIntegerField(_("length (minutes)"))
    exdates = models.JSONField(_("dates left out"), default=list, blank=True)
    booker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booking_series")
    organisation = models.ForeignKey("org.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="booking_series")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(_("cut short at"), null=True, blank=True)

    scope = ScopeFields(division="room__site__division", organisation="organisation", owner="booker")

    class Meta:
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.title} ({self.rrule})"


class BookingStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    OFFERED = "offered", _("offered from the waitlist")
    CONFIRMED = "confirmed", _("confirmed")
    CHECKED_IN = "checked_in", _("checked in")
    CANCELLED = "cancelled", _("cancelled")
    REJECTED = "rejected", _("rejected")
    EXPIRED = "expired", _("expired")
    RELEASED = "released", _("released (no-show)")


# A booking in one of these states holds its room.
HOLDING = [BookingStatus.PENDING, BookingStatus.OFFERED, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN]


class BookingKind(models.TextChoices):
    MEETING = "meeting", _("meeting")
    ACTIVITY = "activity", _("activity")
    SERVICE = "service", _("service")
    ROTATION = "rotation", _("department rotation")
    AGREEMENT = "agreement", _("space-for-service agreement")


class Booking(models.Model):
    room = models.ForeignKey("registry.Room", verbose_name=_("room"), on_delete=models.PROTECT, related_name="bookings")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings")
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=BookingKind.choices, default=BookingKind.MEETING)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    blocked_until = models.DateTimeField(editable=False)  # ends_at plus the room's buffer
    attendees = models.PositiveIntegerField(_("people"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices, db_index=True)
    booker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"), on_delete=models.PROTECT, related_name="bookings")
    organisation = models.ForeignKey("org.Organisation", verbose_name=_("for organisation"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="bookings")
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    hold_expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)
    no_show = models.BooleanField(_("no-show"), default=False)
    origin = models.CharField(max_length=60, blank=True)  # e.g. "rotation:3", "waitlist:7", "agreement:12"
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="room__site__division", organisation="organisation", owner="booker")

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["room", "starts_at"], name="booking_room_start"),
            # The bookings of a street in time order, a page at a time (``selectors.booking_search``).
            models.Index(fields=["starts_at", "id"], name="booking_start"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_status_hold"),
            # One person's bookings in time order (``selectors.my_bookings``: 我的预约, the staff's home).
            models.Index(fields=["booker", "starts_at"], name="booking_booker_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(blocked_until__gte=models.F("ends_at")), name="booking_buffer_after_end"),
        ]

    def __str__(self):
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"  # in the city's time zone

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("offered")
        DONE = "done", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        LAPSED = "lapsed", _("lapsed")

    room = models.ForeignKey("registry.Room", on_delete=models.PROTECT, related_name="waitlist")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    title = models.CharField(_("title"), max_length=120)
    attendees = models.PositiveIntegerField(_("people"), default=1)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries")
    organisation = models.ForeignKey("org.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.WAITING)
    booking = models.OneToOneField(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="waitlist_entry")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="room__site__division", organisation="organisation", owner="user")

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"  # in the city's time zone


class Rotation(models.Model):
    """A shared room taken in turn by departments (部门轮值) [Quanzhou]: slot by slot, week by week."""

    room = models.ForeignKey("registry.Room", on_delete=models.PROTECT, related_name="rotations")
    name = models.CharField(_("name"), max_length=120)
    # [{"weekday": 1, "start": "09:00", "end": "11:30"}, …] — 1 is Monday
    slots = models.JSONField(_("weekly slots"))
    departments = models.ManyToManyField("org.Organisation", through="RotationMember", related_name="rotations")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="room__site__division")

    class Meta:
        verbose_name = _("department rotation")
        verbose_name_plural = _("department rotations")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="rotation_ends_after_it_starts")]

    def __str__(self):
        return self.name


class RotationMember(models.Model):
    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="members")
    department = models.ForeignKey("org.Organisation", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["rotation", "position"]
        constraints = [models.UniqueConstraint(fields=["rotation", "position"], name="rotation_member_unique_position")]

    def __str__(self):
        return f"{self.rotation} #{self.position + 1}"


class ResourceCategory(models.TextChoices):
    """What a unit in the area opens to residents [Xishan: parking, sports facilities, meeting rooms]."""

    PARKING = "parking", _("parking")
    SPORTS = "sports", _("sports ground")
    MEETING = "meeting", _("meeting room")
    OTHER = "other", pgettext_lazy("open resource", "other")


class OpenResource(models.Model):
    """A resource a unit in the area (驻区单位: a school, a company, an agency) opens to residents.

    It is a room of the register (a ``Site`` of kind *shared external resource* whose ``host_unit``
    names the unit), booked through the same schedule as community rooms; this row says whose it is,
    what kind of resource it is and the unit's public rules, and makes the unit's staff the ones who
    approve its bookings. Withdrawn, it stays on record and is no longer counted as open."""

    room = models.OneToOneField("registry.Room", verbose_name=_("room"), on_delete=models.PROTECT, related_name="open_resource")
    unit = models.ForeignKey("org.Organisation", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="open_resources")
    category = models.CharField(_("category"), max_length=12, choices=ResourceCategory.choices)
    rules = models.TextField(_("rules of use"), blank=True, help_text=_("Who may book, what to bring, what is not allowed."))
    opened_on = models.DateField(_("open since"))
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("why withdrawn"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="room__site__division", organisation="unit")

    class Meta:
        verbose_name = _("open resource of a unit")
        verbose_name_plural = _("open resources of units")
        ordering = ["room__site__division__path", "category", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=models.F("opened_on")),
                                   name="open_resource_withdrawn_after_opening"),
        ]

    def __str__(self):
        return f"{self.unit.name} · {self.room.name}"

    @property
    def is_open(self) -> bool:
        return self.withdrawn_on is None
