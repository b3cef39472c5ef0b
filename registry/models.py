"""The register of community service rooms (社区服务用房台账).

A ``Site`` is a building or place (a party-mass service centre, a neighbourhood centre, a
service station, an elderly canteen, a childcare point, a school ground opened to residents,
…) with its property rights; a ``Room`` is a room in it with its area, floor, functions and
opening hours. ``Cost`` rows record what keeping them costs each year and who paid. The
function catalogue (``Aspect`` → ``Function``) is the city's, loaded from its rule pack.

On top of the register: star ratings of neighbourhood centres (``StarRating``, history kept; the
centres' smart-neighbourhood services switched on under the city's gate in ``OnlineServices``),
the street's filings with the civil-affairs bureau (``RegistryFiling``, immutable snapshots),
and the provision of rooms by new residential projects (``ProvisionProject`` with its
``ProvisionSignOff`` per stage and party) [Haining].

Governance of the rooms: the signs and plaques hung at each site (``Sign``), taken down in a
street's or district's clean-up (``SignCleanup``) when not on the city's list [Huli]; and the
platform's suggestions to merge idle rooms of the same function [Huli] or to swap a room that
cannot serve its function [Haining] (``RoomSuggestion``), which a street accepts or dismisses.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.scoping import ScopeFields

AREA_MAX = 100_000  # m²; no community room or site is larger than a stadium


class SiteKind(models.TextChoices):
    PARTY_MASS_CENTRE = "party_mass_centre", _("party-mass service centre")
    NEIGHBOURHOOD_CENTRE = "neighbourhood_centre", _("neighbourhood centre")
    SERVICE_STATION = "service_station", _("community service station")
    ELDERLY_CARE = "elderly_care", _("elderly day-care centre")
    ELDERLY_CANTEEN = "elderly_canteen", _("elderly canteen")
    CHILDCARE = "childcare", _("childcare point")
    HEALTH_STATION = "health_station", _("smart health station")
    WOMEN_CHILDREN = "women_children", _("women and children station")
    GRID_STATION = "grid_station", _("grid service point")
    SHARED_EXTERNAL = "shared_external", _("shared external resource")
    OTHER = "other", _("other")


class PropertyClass(models.TextChoices):
    """Classes of ownership, each with its own rules of use [Huli]."""

    STATE_ADMINISTRATIVE = "state_admin", _("administrative state-owned")
    VILLAGE_COLLECTIVE = "village_collective", _("village collective")
    MIXED = "mixed", _("mixed")
    OTHER = "other", _("other")


class PropertySource(models.TextChoices):
    STREET_OWNED = "street_owned", _("street-owned")
    LEASED = "leased", _("leased")
    BORROWED = "borrowed", _("borrowed")
    MIXED = "mixed", _("mixed")


class RoomUse(models.TextChoices):
    """Haining divides community rooms into office rooms and service rooms."""

    SERVICE = "service", _("service")
    OFFICE = "office", _("office")


# Sites that are not the community's own space: a unit's resource shared with residents (a school's
# sports ground, a company's car park) is booked through the schedule, but it neither counts toward
# the community's standards (area, office share, functions) nor toward the use of its rooms.
NOT_OWN_SPACE = (SiteKind.SHARED_EXTERNAL,)


class SiteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(closed_on__isnull=True)


class RoomQuerySet(models.QuerySet):
    def own_space_in_use(self):
        """Rooms in use at sites in use that are the community's (or street's) own space."""
        return self.filter(closed_on__isnull=True, site__closed_on__isnull=True).exclude(site__kind__in=NOT_OWN_SPACE)


class Site(models.Model):
    division = models.ForeignKey(
        "org.Division", verbose_name=_("community or street"), on_delete=models.PROTECT, related_name="sites"
    )
    code = models.CharField(_("site code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=24, choices=SiteKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1, validators=[MinValueValidator(1), MaxValueValidator(60)])
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=10, decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(AREA_MAX)],
    )
    ground_floor_area = models.DecimalField(
        _("ground-floor area (m²)"), max_digits=10, decimal_places=2, default=0,
        validators=[MinValueValidator(0), MaxValueValidator(AREA_MAX)],
    )
    independent_entrance = models.BooleanField(_("independent street-level entrance"), default=False)
    has_lift = models.BooleanField(_("lift"), default=False)
    parking_spaces = models.PositiveIntegerField(_("parking spaces"), default=0, validators=[MaxValueValidator(5000)])
    square_area = models.DecimalField(
        _("activity square (m²)"), max_digits=10, decimal_places=2, default=0,
        validators=[MinValueValidator(0), MaxValueValidator(AREA_MAX)],
    )
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    # For a shared external resource: whose it is (a school, a company's car park).
    host_unit = models.CharField(_("host unit"), max_length=120, blank=True)

    property_class = models.CharField(_("property class"), max_length=20, choices=PropertyClass.choices)
    state_share = models.DecimalField(
        _("state-owned share (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    collective_share = models.DecimalField(
        _("collective share (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    property_source = models.CharField(_("property source"), max_length=20, choices=PropertySource.choices)
    certificate_no = models.CharField(_("property certificate no."), max_length=60, blank=True)
    owner_name = models.CharField(_("owner or lessor"), max_length=120, blank=True)
    lease_start = models.DateField(_("lease or loan from"), null=True, blank=True)
    lease_end = models.DateField(_("lease or loan until"), null=True, blank=True)
    annual_rent = models.DecimalField(
        _("annual rent (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    opened_on = models.DateField(_("in use since"), null=True, blank=True)
    closed_on = models.DateField(_("out of use since"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteQuerySet.as_manager()
    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["division__path", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(ground_floor_area__lte=models.F("floor_area")), name="site_ground_within_floor_area"),
            models.CheckConstraint(
                condition=Q(lease_end__isnull=True) | Q(lease_start__isnull=True) | Q(lease_end__gte=models.F("lease_start")),
                name="site_lease_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~Q(property_class="mixed") | (Q(state_share__isnull=False) & Q(collective_share__isnull=False)),
                name="site_mixed_property_has_shares",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_leased(self) -> bool:
        return self.property_source in (PropertySource.LEASED, PropertySource.BORROWED)


class Aspect(models.Model):
    """A group of functions, e.g. 老有所养 (elderly care) of the "1+6+X" set [Quanzhou]."""

    city = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="function_aspects")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("function aspect")
        verbose_name_plural = _("function aspects")
        ordering = ["city", "order"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="aspect_unique_code_per_city")]

    def __str__(self):
        return self.name


class Requirement(models.TextChoices):
    REQUIRED = "required", _("required")
    RECOMMENDED = "recommended", _("recommended")


class Function(models.Model):
    city = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="functions")
    aspect = models.ForeignKey(Aspect, verbose_name=_("aspect"), on_delete=models.PROTECT, related_name="functions")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    requirement = models.CharField(_("requirement"), max_length=12, choices=Requirement.choices)
    sets = models.JSONField(_("sets"), default=list, blank=True, help_text=_('e.g. ["1+6+X", "一老一小"]'))
    source = models.CharField(_("source"), max_length=30, blank=True)
    is_active = models.BooleanField(_("in the current catalogue"), default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("function")
        verbose_name_plural = _("functions")
        ordering = ["city", "aspect__order", "order"]
        constraints = [models.UniqueConstraint(fields=["city", "code"], name="function_unique_code_per_city")]

    def __str__(self):
        return self.name


class Room(models.Model):
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("name"), max_length=80)
    floor = models.SmallIntegerField(_("floor"), default=1, validators=[MinValueValidator(-5), MaxValueValidator(60)])
    area = models.DecimalField(
        _("area (m²)"), max_digits=9, decimal_places=2,
        validators=[MinValueValidator(1), MaxValueValidator(AREA_MAX)],
    )
    capacity = models.PositiveIntegerField(_("capacity (people)"), default=0, validators=[MaxValueValidator(5000)])
    use = models.CharField(_("use"), max_length=8, choices=RoomUse.choices, default=RoomUse.SERVICE)
    functions = models.ManyToManyField(Function, verbose_name=_("functions"), related_name="rooms", blank=True)
    equipment = models.JSONField(_("equipment"), default=list, blank=True)
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True, help_text=_("Empty: the site's hours."))
    closed_on = models.DateField(_("out of use since"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoomQuerySet.as_manager()
    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site", "floor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], condition=Q(closed_on__isnull=True), name="room_unique_name_in_site"),
            models.CheckConstraint(condition=Q(area__gt=0), name="room_area_positive"),
        ]

    def __str__(self):
        return f"{self.site.name} · {self.name}"


def photo_path(instance, filename: str) -> str:
    return f"registry/{instance.site_id}/{filename}"


class Photo(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="photos")
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_path)
    caption = models.CharField(_("caption"), max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.caption or self.image.name


class CostCategory(models.TextChoices):
    MAINTENANCE = "maintenance", _("maintenance")
    UTILITIES = "utilities", _("utilities")
    RENT = "rent", _("rent")
    RENOVATION = "renovation", _("renovation")


class Payer(models.TextChoices):
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    OPERATOR = "operator", _("operator")
    OTHER = "other", _("other")


class Cost(models.Model):
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="costs")
    room = models.ForeignKey(Room, verbose_name=_("room"), null=True, blank=True, on_delete=models.PROTECT, related_name="costs")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)])
    category = models.CharField(_("category"), max_length=12, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    paid_by = models.CharField(_("paid by"), max_length=10, choices=Payer.choices)
    payer = models.ForeignKey(
        "org.Organisation", verbose_name=_("paying organisation"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="registry_costs",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="site__division", organisation="payer")

    class Meta:
        verbose_name = _("cost")
        verbose_name_plural = _("costs")
        ordering = ["-year", "site", "category"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="cost_amount_positive")]

    def __str__(self):
        return f"{self.site} {self.year} {self.get_category_display()} {self.amount}"


class StarRating(models.Model):
    """A neighbourhood centre's star rating at one moment, from the city's criteria [Quanzhou]."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="star_ratings")
    stars = models.PositiveSmallIntegerField(_("stars"), validators=[MaxValueValidator(5)])
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    details = models.JSONField(_("indicators"), default=list)
    pack_version = models.CharField(_("rule pack version"), max_length=40)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)
    # The last recomputation that came to the same result (the rating stood then too).
    checked_at = models.DateTimeField(_("last checked at"), default=timezone.now)
    is_current = models.BooleanField(default=True)

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("star rating")
        verbose_name_plural = _("star ratings")
        ordering = ["-rated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["site"], condition=Q(is_current=True), name="one_current_rating_per_site")]

    def __str__(self):
        return f"{self.site} ★{self.stars}"


class OnlineServices(models.Model):
    """Whether the smart-neighbourhood services (智慧邻里: resource matching, activity registration, feedback)
    are switched on at a neighbourhood centre. The street switches them on only at a centre rated at
    least the city's ``registry.online_services_min_stars`` [Quanzhou: 在“四星级”及以上邻里中心上线试运行];
    residents are offered them only while the centre is on and still rated that high."""

    site = models.OneToOneField(Site, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="online_services")
    is_on = models.BooleanField(_("switched on"), default=False)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("online services of a centre")
        verbose_name_plural = _("online services of centres")

    def __str__(self):
        return f"{self.site} {'on' if self.is_on else 'off'}"


class StarEvidence(models.Model):
    """An assessor's score for a criterion that needs evidence (a visit, a survey, a document)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="star_evidence")
    criterion = models.CharField(_("criterion"), max_length=60)
    score = models.DecimalField(_("score (0–1)"), max_digits=4, decimal_places=3,
                                validators=[MinValueValidator(0), MaxValueValidator(1)])
    evidence = models.TextField(_("evidence"))
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("rating evidence")
        verbose_name_plural = _("rating evidence")
        ordering = ["-assessed_on", "-id"]

    def __str__(self):
        return f"{self.site} {self.criterion} {self.score}"


class RegistryFiling(models.Model):
    """A street's register as filed with the civil-affairs bureau (管理清册备案) [Haining]: frozen."""

    street = models.ForeignKey("org.Division", verbose_name=_("street"), on_delete=models.PROTECT, related_name="registry_filings")
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    snapshot = models.JSONField(_("snapshot"))
    sha256 = models.CharField(max_length=64)
    summary = models.JSONField(_("summary"), default=dict)

    scope = ScopeFields(division="street")

    class Meta:
        verbose_name = _("registry filing")
        verbose_name_plural = _("registry filings")
        ordering = ["-filed_at", "-id"]

    def __str__(self):
        return f"{self.street} {self.filed_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("A register filing is immutable once filed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("A register filing is immutable once filed")


class ProvisionStage(models.TextChoices):
    """The four sign-off stages of a new project's community rooms [Haining]."""

    DESIGN_REVIEW = "design_review", _("scheme design review")
    PRELIMINARY_DESIGN = "preliminary_design", _("preliminary design review")
    CONSTRUCTION = "construction", _("construction")
    COMPLETION = "completion", _("completion acceptance")
    DONE = "done", _("all stages signed off")


PROVISION_STAGES = [ProvisionStage.DESIGN_REVIEW, ProvisionStage.PRELIMINARY_DESIGN, ProvisionStage.CONSTRUCTION, ProvisionStage.COMPLETION]


class ProvisionMethod(models.TextChoices):
    PROVIDE = "provide", _("provide rooms")
    MONETISE = "monetise", _("monetise (pay instead)")


class ProvisionProject(models.Model):
    street = models.ForeignKey("org.Division", verbose_name=_("street"), on_delete=models.PROTECT, related_name="provision_projects")
    community = models.ForeignKey("org.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("project"), max_length=120)
    developer = models.CharField(_("developer"), max_length=120)
    land_parcel = models.CharField(_("land parcel"), max_length=60)
    households = models.PositiveIntegerField(_("households planned"), validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    required_area = models.DecimalField(_("required area (m²)"), max_digits=10, decimal_places=2)
    method = models.CharField(_("method"), max_length=10, choices=ProvisionMethod.choices)
    agreement_no = models.CharField(_("agreement no."), max_length=60, blank=True)
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    provided_area = models.DecimalField(_("area provided (m²)"), max_digits=10, decimal_places=2, null=True, blank=True)
    presale_price = models.DecimalField(
        _("presale filing average price (yuan/m²)"), max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )
    monetisation_amount = models.DecimalField(_("monetisation amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    delivery_filed_on = models.DateField(_("delivery filed on"), null=True, blank=True)
    payment_due_on = models.DateField(_("payment due on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    payment = models.OneToOneField(
        "ledger.Transaction", verbose_name=_("payment posting"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="provision_project",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=ProvisionStage.choices, default=ProvisionStage.DESIGN_REVIEW)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="community")

    class Meta:
        verbose_name = _("new residential project")
        verbose_name_plural = _("new residential projects")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name


class SignOffParty(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")


class ProvisionSignOff(models.Model):
    """Written consent of one party at one stage; the next stage opens when all three consent."""

    project = models.ForeignKey(ProvisionProject, on_delete=models.PROTECT, related_name="sign_offs")
    stage = models.CharField(_("stage"), max_length=20, choices=ProvisionStage.choices)
    party = models.CharField(_("party"), max_length=16, choices=SignOffParty.choices)
    document_no = models.CharField(_("document no."), max_length=60)
    signed_on = models.DateField(_("signed on"))
    signer = models.CharField(_("signed by"), max_length=60)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="project__community")

    class Meta:
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        ordering = ["project", "stage", "party"]
        constraints = [models.UniqueConstraint(fields=["project", "stage", "party"], name="one_sign_off_per_party_and_stage")]

    def __str__(self):
        return f"{self.project} {self.get_stage_display()} {self.get_party_display()}"



# Signs and plaques (挂牌) [Huli].

def sign_photo_path(instance, filename: str) -> str:
    return f"registry/signs/{instance.site_id}/{filename}"


class Sign(models.Model):
    """A sign or plaque hung at a site, and, once taken down, when, by whom and the photo that shows it."""

    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="signs")
    text = models.CharField(_("text of the sign"), max_length=120)
    department = models.ForeignKey(
        "org.Organisation", verbose_name=_("issuing department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    department_name = models.CharField(_("issued by"), max_length=120, blank=True)
    allowed = models.BooleanField(_("on the city's list of allowed signs"), default=False)
    hung_on = models.DateField(_("hung since"), null=True, blank=True)
    photo = models.ImageField(_("photo"), upload_to=sign_photo_path, blank=True)
    removed_on = models.DateField(_("removed on"), null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("removed by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    removal_photo = models.ImageField(_("photo of the removal"), upload_to=sign_photo_path, blank=True)
    removal_note = models.CharField(_("note on the removal"), max_length=200, blank=True)
    cleanup = models.ForeignKey("SignCleanup", verbose_name=_("clean-up"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="removed_signs")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="site__division")

    class Meta:
        verbose_name = _("sign")
        verbose_name_plural = _("signs")
        ordering = ["site", "text", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(removed_on__isnull=True) | ~Q(removal_photo=""), name="sign_removed_with_a_photo"),
        ]

    def __str__(self):
        return self.text

    @property
    def issuer(self) -> str:
        return self.department.name if self.department_id else self.department_name


class SignCleanup(models.Model):
    """A street's or district's campaign to take down the signs that are not on the city's list."""

    division = models.ForeignKey("org.Division", verbose_name=_("street or district"), on_delete=models.PROTECT,
                                 related_name="+")
    title = models.CharField(_("title"), max_length=120)
    started_on = models.DateField(_("started on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT,
                                   related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("sign clean-up")
        verbose_name_plural = _("sign clean-ups")
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["division"], condition=Q(closed_on__isnull=True), name="one_open_cleanup_per_division"),
        ]

    def __str__(self):
        return self.title


# Suggestions to merge idle rooms [Huli] or swap unfit ones [Haining].

class SuggestionKind(models.TextChoices):
    MERGE = "merge", _("merge idle rooms")
    SWAP = "swap", _("swap an unfit room")


class SuggestionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("suggestion", "open")
    ACCEPTED = "accepted", pgettext_lazy("suggestion", "accepted")
    DISMISSED = "dismissed", pgettext_lazy("suggestion", "dismissed")


class RoomSuggestion(models.Model):
    """The platform's suggestion, with the figures it rests on: merge ``room`` (idle) into ``keep`` (idle,
    of a function in common, in the same community or a neighbouring one of the street), or swap ``room``
    (its floor or area cannot serve its function). The street accepts it (the register changes) or
    dismisses it with a reason."""

    kind = models.CharField(_("kind"), max_length=8, choices=SuggestionKind.choices)
    street = models.ForeignKey("org.Division", verbose_name=_("street"), on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="suggestions")
    keep = models.ForeignKey(Room, verbose_name=_("room kept"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    # The rooms it names, in a fixed order ("merge:12:34", "swap:12"): one open suggestion per rooms.
    key = models.CharField(max_length=40)
    figures = models.JSONField(_("figures"), default=dict)
    status = models.CharField(_("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    created_at = models.DateTimeField(_("suggested at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    scope = ScopeFields(division="room__site__division")

    class Meta:
        verbose_name = _("room suggestion")
        verbose_name_plural = _("room suggestions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(status="open"), name="one_open_suggestion_per_rooms"),
            models.CheckConstraint(condition=~Q(status="dismissed") | ~Q(reason=""), name="suggestion_dismissed_with_reason"),
            models.CheckConstraint(condition=Q(kind="swap") | Q(keep__isnull=False), name="suggestion_merge_names_the_kept_room"),
        ]

    def __str__(self):
        if self.kind == SuggestionKind.MERGE:
            return f"{self.get_kind_display()} {self.room} → {self.keep}"
        return f"{self.get_kind_display()} {self.room}"
