"""The smart neighbourhood (智慧邻里): what residents touch — households, needs, activities,
service orders and feedback — and what communities and operators do with them.

* ``Household``: a resident's household in their community, with tags (older person, child…)
  kept only with the resident's consent; demographics steer the offer [Zibo].
* ``Need`` (需求清单): a need of one of the five categories [Zibo], of a kind from the
  ``NeedKind`` catalogue; residents support needs (one support each) and each community's list
  is ranked by support; the community marks a need planned or met, naming what meets it (an
  agreed service, an activity, a service order or an operator).
* ``Activity`` and its ``ActivitySession`` rows: one-off events and series such as a ten-week
  course, each session in a room booked through scheduling; ``Registration`` with places,
  a waitlist promoted automatically, and ``Attendance`` (check-in) from which person-times
  (人次) are counted [Huli, Quanzhou]; an ``ActivityRating`` is the 1–5 stars a resident who
  attended gives it.
* ``ServiceOrder``: "群众点单、机构接单、社区供单" [Huli] — a resident (or a group pooling one need)
  orders, an operator accepts, the community supplies a room and time, delivery, rating; every
  move is an ``OrderEvent``.
* ``FeedbackRequest`` (诉求反馈) [Quanzhou]: routed to the community or the street by category,
  updated with public notes, closed against a deadline, and rated 1–5 by the resident once closed;
  also served as Open311 GeoReport v2.

The stars residents give (orders, activities, feedback) are their satisfaction in the star rating
of their neighbourhood centre (``neighbourhood.ratings``, registered with the register).
* ``Invitation``: a community asks an operator to meet one of its needs (resource matching).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

# The five categories of needs and services [Zibo] and the tiers "公益+低偿+市场" [Huli, Zibo] are
# space-for-service's: a need, an activity and an agreed service speak the same codes.
from operations.models import ServiceCategory, ServiceTier


class HouseholdTag(models.TextChoices):
    ELDERLY = "elderly", _("older person (60+)")
    ELDERLY_ALONE = "elderly_alone", _("older person living alone")
    INFANT = "infant", _("infant under 3")
    CHILD = "child", _("child of school age")
    DISABLED = "disabled", _("person with a disability")
    HARDSHIP = "hardship", _("household in hardship")
    JOB_SEEKER = "job_seeker", _("someone looking for work")


class Audience(models.TextChoices):
    """Whom an activity is for; matched against households' tags."""

    EVERYONE = "everyone", _("everyone")
    ELDERLY = "elderly", _("older people")
    CHILDREN = "children", _("children")
    FAMILIES = "families", _("parents and children")
    ADULTS = "adults", _("adults")
    JOB_SEEKERS = "job_seekers", _("job seekers")


# Which household tags an audience speaks to (for "for you" on the phone pages).
AUDIENCE_TAGS = {
    Audience.ELDERLY: {HouseholdTag.ELDERLY, HouseholdTag.ELDERLY_ALONE},
    Audience.CHILDREN: {HouseholdTag.CHILD, HouseholdTag.INFANT},
    Audience.FAMILIES: {HouseholdTag.CHILD, HouseholdTag.INFANT},
    Audience.JOB_SEEKERS: {HouseholdTag.JOB_SEEKER},
}


class Household(models.Model):
    """A resident's household. Its tags are sensitive: they are kept only while consented to."""

    resident = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT,
                                    related_name="household")
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="households_kept")
    grid = models.ForeignKey("org.Division", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("building, unit and door"), max_length=120, blank=True)
    members = models.PositiveSmallIntegerField(_("people in the household"), default=1,
                                               validators=[MinValueValidator(1), MaxValueValidator(30)])
    tags = models.JSONField(_("who lives here"), default=list, blank=True)
    tags_consented_at = models.DateTimeField(_("consent to keep the tags given at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeFields(division="community", owner="resident")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            # No tags without consent.
            models.CheckConstraint(condition=Q(tags=[]) | Q(tags_consented_at__isnull=False), name="household_tags_need_consent"),
        ]

    def __str__(self):
        return f"{self.community} {self.address}".strip()


class NeedKind(models.Model):
    """One kind of need in the catalogue (Zibo's ~300 kinds in five categories)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    name = models.CharField(_("name"), max_length=60)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("in the catalogue"), default=True)

    class Meta:
        verbose_name = _("kind of need")
        verbose_name_plural = _("kinds of need")
        ordering = ["category", "order", "code"]

    def __str__(self):
        return self.name


class NeedStatus(models.TextChoices):
    OPEN = "open", _("open")
    PLANNED = "planned", _("planned")
    MET = "met", pgettext_lazy("need status", "met")
    DECLINED = "declined", _("not taken up")


class NeedSource(models.TextChoices):
    RESIDENT = "resident", _("a resident")
    GRID_WORKER = "grid_worker", _("a grid worker's visit")
    STAFF = "staff", _("community staff")
    IMPORT = "import", _("imported list")


class Need(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="needs")
    grid = models.ForeignKey("org.Division", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    kind = models.ForeignKey(NeedKind, verbose_name=_("kind of need"), on_delete=models.PROTECT, related_name="needs")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    preferred_tier = models.CharField(_("price people can bear"), max_length=10, choices=ServiceTier.choices, blank=True)
    source = models.CharField(_("recorded from"), max_length=12, choices=NeedSource.choices, default=NeedSource.RESIDENT)
    on_behalf_of = models.CharField(_("on behalf of"), max_length=60, blank=True,
                                    help_text=_("Who the need is for, when a grid worker records it during a visit."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
                                    related_name="needs_recorded")
    status = models.CharField(_("status"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN, db_index=True)
    supports = models.PositiveIntegerField(_("supporters"), default=0)
    status_note = models.CharField(_("what is done about it"), max_length=300, blank=True)
    met_by_activity = models.ForeignKey("Activity", verbose_name=_("met by activity"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="needs_met")
    met_by_order = models.ForeignKey("ServiceOrder", verbose_name=_("met by service order"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="needs_met")
    met_by_operator = models.ForeignKey("org.Organisation", verbose_name=_("met by operator"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="needs_met")
    # A service agreed for the community under space for service (以场地换服务).
    met_by_service = models.ForeignKey("operations.AgreementService", verbose_name=_("met by agreed service"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="needs_met")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    # A grid worker (a community worker held at a grid) sees the needs filed under their grid.
    scope = ScopeFields(division=("community", "grid"), owner="recorded_by")

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-supports", "created_at", "id"]
        indexes = [models.Index(fields=["community", "status", "-supports"], name="need_ranking")]

    def __str__(self):
        return self.title


class NeedSupport(models.Model):
    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="support_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="need_supports")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="need__community", owner="user")

    class Meta:
        verbose_name = _("support of a need")
        verbose_name_plural = _("supports of needs")
        constraints = [models.UniqueConstraint(fields=["need", "user"], name="need_support_once")]

    def __str__(self):
        return f"{self.need} · {self.user}"


class ActivityKind(models.TextChoices):
    ONE_OFF = "one_off", _("one-off event")
    SERIES = "series", _("course or series")


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", pgettext_lazy("activity status", "open")
    CANCELLED = "cancelled", _("cancelled")


class Activity(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="activities")
    organiser = models.ForeignKey("org.Organisation", verbose_name=_("run by"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="activities", help_text=_("Empty: the community itself."))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ActivityKind.choices, default=ActivityKind.ONE_OFF)
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=ServiceTier.choices, default=ServiceTier.FREE)
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0.00"),
                                validators=[MinValueValidator(Decimal("0"))])
    capacity = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1), MaxValueValidator(5000)])
    audience = models.CharField(_("for"), max_length=12, choices=Audience.choices, default=Audience.EVERYONE)
    room = models.ForeignKey("registry.Room", verbose_name=_("room"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="activities")
    place = models.CharField(_("place"), max_length=120, blank=True, help_text=_("Where it is, when not in a room of the register."))
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    waitlist = models.BooleanField(_("waitlist when full"), default=True)
    # At most the city's neighbourhood.places_per_registration (checked when the activity is published).
    places_per_registration = models.PositiveSmallIntegerField(_("places one person may take"), default=1,
                                                               validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PUBLISHED,
                              db_index=True)
    registered_places = models.PositiveIntegerField(_("places taken"), default=0)
    waitlisted_places = models.PositiveIntegerField(_("places asked for on the waitlist"), default=0)
    attendance_code = models.CharField(_("attendance code"), max_length=8)
    starts_at = models.DateTimeField(_("first session"))
    ends_at = models.DateTimeField(_("last session ends"))
    series = models.ForeignKey("scheduling.Series", null=True, blank=True, on_delete=models.PROTECT, related_name="activities")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), on_delete=models.PROTECT,
                                   related_name="activities_published")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=200, blank=True)

    # Street-wide activities are listed in each of the street's communities.
    scope = ScopeFields(division="community", organisation="organiser", include_ancestors=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["community", "status", "starts_at"], name="activity_listing")]
        constraints = [
            # The database itself refuses an overbooked activity.
            models.CheckConstraint(condition=Q(registered_places__lte=models.F("capacity")), name="activity_never_overbooked"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_it_starts"),
            models.CheckConstraint(condition=~Q(tier="free") | Q(price=0), name="activity_free_costs_nothing"),
        ]

    def __str__(self):
        return self.title

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.registered_places)


class ActivitySession(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(pgettext_lazy("activity", "session"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    booking = models.OneToOneField("scheduling.Booking", null=True, blank=True, on_delete=models.PROTECT, related_name="activity_session")
    cancelled = models.BooleanField(default=False)

    scope = ScopeFields(division="activity__community", organisation="activity__organiser", include_ancestors=True)

    class Meta:
        verbose_name = pgettext_lazy("activity", "session")
        verbose_name_plural = pgettext_lazy("activity", "sessions")
        ordering = ["activity", "starts_at"]
        constraints = [models.UniqueConstraint(fields=["activity", "number"], name="activity_session_number")]

    def __str__(self):
        return f"{self.activity} #{self.number}"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("registered")
    WAITLISTED = "waitlisted", _("on the waitlist")
    CANCELLED = "cancelled", _("cancelled")


class Registration(models.Model):
    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="registrations")
    places = models.PositiveSmallIntegerField(_("places"), default=1, validators=[MinValueValidator(1)])
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices, db_index=True)
    created_at = models.DateTimeField(pgettext_lazy("activity", "registered at"))
    promoted_at = models.DateTimeField(_("moved up from the waitlist at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    ticket = models.CharField(max_length=24, unique=True)

    scope = ScopeFields(division="activity__community", organisation="activity__organiser", owner="user")

    class Meta:
        verbose_name = pgettext_lazy("activity", "registration")
        verbose_name_plural = _("registrations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], condition=Q(status__in=["registered", "waitlisted"]),
                                    name="registration_once_per_activity"),
        ]

    def __str__(self):
        return f"{self.activity} · {self.user}"


class ActivityRating(models.Model):
    """The stars a resident who attended gives an activity (once)."""

    activity = models.ForeignKey(Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="ratings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resident"), on_delete=models.PROTECT,
                             related_name="activity_ratings")
    stars = models.PositiveSmallIntegerField(_("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    rated_at = models.DateTimeField(pgettext_lazy("residents", "rated at"))

    scope = ScopeFields(division="activity__community", organisation="activity__organiser", owner="user")

    class Meta:
        verbose_name = _("activity rating")
        verbose_name_plural = _("activity ratings")
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="activity_rating_once"),
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="activity_rating_stars"),
        ]

    def __str__(self):
        return f"{self.activity} {self.stars}★"


class CheckInMethod(models.TextChoices):
    QR = "qr", _("scanned the QR code")
    CODE = "code", _("typed the attendance code")
    STAFF = "staff", _("checked by staff")


class Attendance(models.Model):
    session = models.ForeignKey(ActivitySession, on_delete=models.PROTECT, related_name="attendances")
    registration = models.ForeignKey(Registration, on_delete=models.PROTECT, related_name="attendances")
    people = models.PositiveSmallIntegerField(pgettext_lazy("count", "people"), default=1)
    method = models.CharField(_("how"), max_length=6, choices=CheckInMethod.choices)
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope = ScopeFields(division="session__activity__community", organisation="session__activity__organiser",
                        owner="registration__user")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["session", "registration"], name="attendance_once_per_session")]

    def __str__(self):
        return f"{self.session} · {self.registration.user}"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("ordered")
    ACCEPTED = "accepted", _("accepted by an operator")
    SCHEDULED = "scheduled", _("venue and time set")
    DELIVERED = "delivered", _("delivered")
    RATED = "rated", _("rated")
    CANCELLED = "cancelled", _("cancelled")
    DECLINED = "declined", _("declined")


class ServiceOrder(models.Model):
    """群众点单、机构接单、社区供单 [Huli]."""

    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="service_orders")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), on_delete=models.PROTECT,
                                 related_name="service_orders")
    category = models.CharField(_("category"), max_length=24, choices=ServiceCategory.choices)
    kind = models.ForeignKey(NeedKind, verbose_name=_("kind of need"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    need = models.ForeignKey(Need, verbose_name=_("for the need"), null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    title = models.CharField(_("what is wanted"), max_length=120)
    details = models.TextField(_("details"), blank=True)
    preferred_time = models.CharField(_("when it suits"), max_length=120, blank=True)
    # Asked of one operator, or of any operator in scope for the category (empty until one accepts).
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="service_orders")
    # A service agreed with the community (space for service), when one is ordered by name.
    service = models.ForeignKey("operations.AgreementService", verbose_name=_("agreed service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="orders")
    service_name = models.CharField(_("service"), max_length=200, blank=True)
    tier = models.CharField(_("tier"), max_length=10, choices=ServiceTier.choices, blank=True)
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, null=True, blank=True)
    pooled = models.BooleanField(_("others may join"), default=False)
    participants = models.PositiveSmallIntegerField(pgettext_lazy("count", "people"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.PLACED, db_index=True)
    booking = models.ForeignKey("scheduling.Booking", verbose_name=_("room booking"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="service_orders")
    people_served = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("ordered at"))
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeFields(division="community", organisation="operator", owner="resident")

    class Meta:
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class OrderMember(models.Model):
    """A resident who joined a pooled order (the same need, served together)."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "user"], name="order_member_once")]

    def __str__(self):
        return f"{self.order} · {self.user}"


class OrderEvent(models.Model):
    """Every state an order went through, who moved it, when and why."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.order}: {self.from_status} → {self.to_status}"


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("sent")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


class Invitation(models.Model):
    """A community asks an operator to meet one of its needs (from the resource matching)."""

    need = models.ForeignKey(Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="invitations")
    community = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    operator = models.ForeignKey("org.Organisation", verbose_name=_("operator"), on_delete=models.PROTECT, related_name="invitations")
    service = models.ForeignKey("operations.AgreementService", verbose_name=_("agreed service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="invitations")
    service_name = models.CharField(_("service"), max_length=200, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=300, blank=True)

    scope = ScopeFields(division="community", organisation="operator")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["need", "operator"], condition=Q(status="sent"), name="invitation_once_open")]

    def __str__(self):
        return f"{self.need} → {self.operator}"


class FeedbackStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("being handled")
    RESOLVED = "resolved", _("resolved")
    REJECTED = "rejected", _("not accepted")


FEEDBACK_CLOSED = [FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED]


class FeedbackSource(models.TextChoices):
    WEB = "web", _("phone or web")
    OPEN311 = "open311", _("Open311 client")
    STAFF = "staff", _("recorded by staff")


def feedback_photo_path(instance, filename: str) -> str:
    return f"feedback/{instance.community.code}/{filename}"


class FeedbackRequest(models.Model):
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="feedback")
    routed_to = models.ForeignKey("org.Division", verbose_name=_("handled by"), on_delete=models.PROTECT, related_name="feedback_routed")
    category = models.CharField(_("category"), max_length=40)
    category_name = models.CharField(_("category"), max_length=60)
    description = models.TextField(_("what happened"))
    photo = models.ImageField(_("photo"), upload_to=feedback_photo_path, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(pgettext_lazy("place", "where"), max_length=200, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT,
                                     related_name="feedback_submitted")
    contact_name = models.CharField(_("contact name"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    source = models.CharField(_("through"), max_length=8, choices=FeedbackSource.choices, default=FeedbackSource.WEB)
    # Shown publicly (Open311's list) only when the resident chose it (个人信息保护法 第二十五条: published only with
    # their separate consent), and then without name or phone, the place coarsened; staff may take it off.
    public = models.BooleanField(_("shown publicly (without name or phone)"), default=False)
    public_chosen_at = models.DateTimeField(_("the resident chose to show it publicly at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.SUBMITTED,
                              db_index=True)
    public_note = models.CharField(_("latest public note"), max_length=500, blank=True)
    due_at = models.DateTimeField(_("to be closed by"))
    created_at = models.DateTimeField(_("submitted at"))
    updated_at = models.DateTimeField(_("updated at"))
    closed_at = models.DateTimeField(pgettext_lazy("feedback", "closed at"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    satisfaction_comment = models.CharField(_("comment on the handling"), max_length=300, blank=True)
    rated_at = models.DateTimeField(pgettext_lazy("residents", "rated at"), null=True, blank=True)

    scope = ScopeFields(division="community", owner="submitted_by")

    class Meta:
        verbose_name = _("feedback request")
        verbose_name_plural = _("feedback requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["routed_to", "status", "due_at"], name="feedback_queue")]
        constraints = [
            models.CheckConstraint(condition=Q(closed_at__isnull=True) | Q(status__in=["resolved", "rejected"]),
                                   name="feedback_closed_only_when_done"),
            models.CheckConstraint(condition=Q(satisfaction__isnull=True) | Q(closed_at__isnull=False, rated_at__isnull=False),
                                   name="feedback_rated_once_closed"),
            models.CheckConstraint(condition=Q(public=False) | Q(public_chosen_at__isnull=False), name="feedback_public_only_by_choice"),
        ]

    def __str__(self):
        return f"{self.category_name}: {self.description[:30]}"

    @property
    def is_closed(self) -> bool:
        return self.status in FEEDBACK_CLOSED


class FeedbackUpdate(models.Model):
    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=12, choices=FeedbackStatus.choices)
    public_note = models.CharField(_("note to the resident and the public"), max_length=500, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.request}: {self.status}"
