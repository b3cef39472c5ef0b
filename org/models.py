"""The administrative tree and the organisations that work in it.

A ``Division`` is one node of city → district/county → street/town → community/village →
grid. Every business record in Linli belongs to a division, and every role is held at one,
so "this node and below" is the question every list asks. It is answered by ``path``: the
codes from the root down, so a subtree is one indexed prefix match.

An ``Organisation`` is an operator, a charity or a government department, linked to the
divisions it serves.
"""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields, ancestor_paths

DIVISION_CODE_RE = r"^\d{12}$"
GRID_CODE_RE = r"^\d{12}-\d{2,4}$"


class DivisionLevel(models.TextChoices):
    CITY = "city", _("city")
    DISTRICT = "district", _("district/county")
    STREET = "street", _("street/town")
    COMMUNITY = "community", _("community/village")
    GRID = "grid", _("grid")


LEVEL_ORDER = [DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET, DivisionLevel.COMMUNITY, DivisionLevel.GRID]


def parent_level_of(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


class CommunityType(models.TextChoices):
    """Kinds of community that life-circle planning treats differently [Quanzhou]."""

    HISTORIC_BLOCK = "historic", _("historic block")
    OLD_ESTATE = "old_estate", _("old estate")
    INDUSTRIAL = "industrial", _("industrial community")
    NEW_ESTATE = "new_estate", _("new estate")
    URBAN_VILLAGE = "urban_village", _("village in city")
    VILLAGE = "village", _("village")


class DivisionQuerySet(models.QuerySet):
    def subtree(self, division: "Division") -> "DivisionQuerySet":
        """The division and everything below it."""
        return self.filter(path__under=division.path)

    def communities(self) -> "DivisionQuerySet":
        return self.filter(level=DivisionLevel.COMMUNITY)


class Division(models.Model):
    code = models.CharField(
        _("division code"),
        max_length=20,
        unique=True,
        help_text=_("12-digit national administrative division code; grids add a suffix such as -01."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(editable=False)
    population = models.PositiveIntegerField(_("population"), default=0)
    households = models.PositiveIntegerField(_("households"), default=0)
    community_type = models.CharField(
        _("community type"), max_length=20, choices=CommunityType.choices, blank=True
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DivisionQuerySet.as_manager()
    scope = ScopeFields(division="self")

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["path"]
        indexes = [
            # A prefix match on PostgreSQL needs the pattern operator class to use an index.
            models.Index(fields=["path"], name="division_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["level", "path"], name="division_level_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="city", parent__isnull=True) | (~Q(level="city") & Q(parent__isnull=False)),
                name="division_only_cities_are_roots",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="division_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="division_longitude_range",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_community(self) -> bool:
        return self.level == DivisionLevel.COMMUNITY

    def contains(self, other: "Division") -> bool:
        """True when ``other`` is this division or lies below it."""
        return other.path.startswith(self.path)

    def ancestors(self) -> "DivisionQuerySet":
        """The divisions above this one, root first."""
        return Division.objects.filter(path__in=ancestor_paths(self.path)).order_by("depth")

    @staticmethod
    def path_for(parent: "Division | None", code: str) -> str:
        return f"{parent.path if parent else ''}{code}/"


code_validator = RegexValidator(DIVISION_CODE_RE, _("A division code has 12 digits."))


class OrganisationKind(models.TextChoices):
    OPERATOR = "operator", _("operator")
    CHARITY = "charity", _("charity")
    DEPARTMENT = "department", _("government department")
    # A school, company or agency in the area (驻区单位) that opens its parking, grounds or rooms to residents.
    UNIT = "unit", _("unit in the area")


class OperatorKind(models.TextChoices):
    SOCIAL_WORK_AGENCY = "social_work", _("social-work agency")
    ENTERPRISE = "enterprise", _("enterprise")
    STATE_OWNED = "state_owned", _("state-owned operating company")
    SOCIAL_ORGANISATION = "social_org", _("social organisation")


class OrganisationQuerySet(models.QuerySet):
    def serving(self, division: Division) -> "OrganisationQuerySet":
        """Organisations that serve this division: at it, above it (a city-wide charity) or below it."""
        return self.filter(
            Q(served_divisions__path__in=ancestor_paths(division.path))
            | Q(served_divisions__path__under=division.path)
        ).distinct()


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    operator_kind = models.CharField(
        _("operator kind"), max_length=16, choices=OperatorKind.choices, blank=True
    )
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, null=True, blank=True,
        help_text=_("18 characters, as on the business licence or registration certificate."),
    )
    public_fundraising = models.BooleanField(
        _("public fundraising status"), default=False,
        help_text=_("Charities with this status may host community development funds."),
    )
    home_division = models.ForeignKey(
        Division, verbose_name=_("registered at"), on_delete=models.PROTECT, related_name="registered_organisations"
    )
    served_divisions = models.ManyToManyField(
        Division, verbose_name=_("serves"), related_name="serving_organisations", blank=True
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationQuerySet.as_manager()
    # Visible where it serves, including to the staff of a district when it serves the whole city.
    scope = ScopeFields(division="served_divisions", organisation="self", include_ancestors=True, many=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="operator") | Q(operator_kind=""),
                name="organisation_operator_kind_only_for_operators",
            ),
            models.CheckConstraint(
                condition=Q(kind="charity") | Q(public_fundraising=False),
                name="organisation_fundraising_only_for_charities",
            ),
        ]

    def __str__(self):
        return self.name
