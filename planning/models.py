"""15-minute life circle planning (十五分钟社区生活圈) [Haining, Quanzhou].

A ``Network`` is a walking network (from an OpenStreetMap extract, or generated) kept as arrays
in a file beside the database; a ``DemandSet`` is where people live, as points with a
population, snapped to a network; a ``Scenario`` is one analysis of one facility kind on them:
who lives within the walking threshold of a facility, and — when it sites new ones — which
candidates were chosen (``ProposedSite``), with coverage before and after for every community,
street and district (``CoverageArea``). Scenarios are kept by name so two can be compared.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.scoping import ScopeFields

# A walking threshold, in minutes: the bounds a scenario, a form, the API and the rule pack's
# life-circle rules all keep to.
MIN_MINUTES = 1
MAX_MINUTES = 120


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class NetworkSource(models.TextChoices):
    OSM = "osm", _("OpenStreetMap extract")
    GENERATED = "generated", _("generated")


class Network(models.Model):
    division = models.ForeignKey("org.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="planning_networks")
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("data source"), max_length=12, choices=NetworkSource.choices)
    source_file = models.CharField(_("source file"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(_("error"), blank=True)
    file = models.CharField(_("arrays file"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    node_count = models.PositiveIntegerField(_("nodes"), default=0)
    edge_count = models.PositiveIntegerField(_("edges"), default=0)
    length_km = models.FloatField(_("length (km)"), default=0)
    building_count = models.PositiveIntegerField(_("residential buildings"), default=0)
    poi_count = models.PositiveIntegerField(_("facility POIs"), default=0)
    bbox = models.JSONField(_("bounding box"), default=list, blank=True)
    dropped = models.JSONField(_("dropped"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    # A city's or district's network serves the streets below it too.
    scope = ScopeFields(division="division", include_ancestors=True)

    class Meta:
        verbose_name = _("walking network")
        verbose_name_plural = _("walking networks")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == JobStatus.DONE


class DemandSource(models.TextChoices):
    COMMUNITIES = "communities", _("communities' population")
    BUILDINGS = "buildings", _("residential buildings")
    UPLOAD = "upload", _("uploaded points")


class DemandSet(models.Model):
    division = models.ForeignKey("org.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="planning_demand")
    network = models.ForeignKey(Network, verbose_name=_("walking network"), on_delete=models.PROTECT, related_name="demand_sets")
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("data source"), max_length=12, choices=DemandSource.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    file = models.CharField(_("arrays file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    point_count = models.PositiveIntegerField(_("demand points"), default=0)
    population = models.FloatField(_("population"), default=0)
    dropped_count = models.PositiveIntegerField(_("points dropped"), default=0)
    dropped_population = models.FloatField(_("population dropped"), default=0)
    dropped = models.JSONField(_("dropped points"), default=list, blank=True)
    # West, south, east, north of the points, so that a page can frame them without the file.
    bbox = models.JSONField(_("bounding box"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("demand set")
        verbose_name_plural = _("demand sets")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class Objective(models.TextChoices):
    COVERAGE = "coverage", _("coverage as it is")
    MAX_COVER = "max_cover", _("maximal covering: k sites covering the most people")
    SET_COVER = "set_cover", _("set covering: fewest sites covering everyone")
    P_MEDIAN = "p_median", _("p-median: k sites with the shortest mean walk")


class CandidateSource(models.TextChoices):
    IDLE_ROOMS = "idle_rooms", _("idle rooms of the register")
    UPLOADED = "uploaded", _("uploaded points")
    NETWORK = "network", _("points of the walking network")


class CoverageFigures:
    """Shares of a population within the threshold, now and with the new sites (population,
    covered and covered_after are fields of the model that mixes this in)."""

    @property
    def share(self) -> float | None:
        return self.covered / self.population if self.population else None

    @property
    def share_after(self) -> float | None:
        return self.covered_after / self.population if self.population and self.covered_after is not None else None

    @property
    def uncovered(self) -> float:
        return max(0.0, self.population - self.covered)


class Scenario(CoverageFigures, models.Model):
    division = models.ForeignKey("org.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="planning_scenarios")
    demand = models.ForeignKey(DemandSet, verbose_name=_("demand"), on_delete=models.PROTECT, related_name="scenarios")
    name = models.CharField(_("name"), max_length=120)
    facility_kind = models.CharField(_("facility kind"), max_length=60)
    facility_title = models.CharField(_("facility"), max_length=120)
    minutes = models.FloatField(_("threshold (minutes)"), validators=[MinValueValidator(MIN_MINUTES),
                                                                          MaxValueValidator(MAX_MINUTES)])
    speed_m_per_min = models.FloatField(_("walking speed (m/min)"))
    include_osm = models.BooleanField(_("count OpenStreetMap facilities too"), default=True)
    objective = models.CharField(_("objective"), max_length=12, choices=Objective.choices, default=Objective.COVERAGE)
    k = models.PositiveIntegerField(_("new sites"), null=True, blank=True)
    candidate_source = models.CharField(_("candidates"), max_length=12, choices=CandidateSource.choices, blank=True)
    candidates = models.JSONField(_("uploaded candidates"), default=list, blank=True)
    reachable_only = models.BooleanField(_("cover only people some candidate can reach"), default=False)
    status = models.CharField(_("status"), max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(_("error"), blank=True)
    facility_count = models.PositiveIntegerField(_("facilities"), default=0)
    population = models.FloatField(_("population"), default=0)
    covered = models.FloatField(_("covered now"), default=0)
    covered_after = models.FloatField(_("covered with the new sites"), null=True, blank=True)
    mean_distance_m = models.FloatField(_("mean walk now (m)"), null=True, blank=True)
    mean_distance_after_m = models.FloatField(_("mean walk with the new sites (m)"), null=True, blank=True)
    solution = models.JSONField(_("solution"), default=dict, blank=True)
    # Facilities the analysis could not count: further than the walking rule's snap_max_m from any
    # walkable way, or on ways not connected to the network's main part (``network.Graph.place``):
    # name, source, site, where, how far and why.
    off_network = models.JSONField(_("facilities off the network"), default=list, blank=True)
    by_type = models.JSONField(_("by community type"), default=list, blank=True)
    file = models.CharField(_("results file"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("planning scenario")
        verbose_name_plural = _("planning scenarios")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="planning_scenario_unique_name_per_area"),
            models.CheckConstraint(condition=Q(objective="coverage") | Q(objective="set_cover") | Q(k__gte=1),
                                   name="planning_scenario_k_for_k_site_objectives"),
        ]

    def __str__(self):
        return self.name

    @property
    def threshold_m(self) -> float:
        return self.minutes * self.speed_m_per_min


class ProposedSite(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="proposed_sites")
    order = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(_("candidate"), max_length=200)
    longitude = models.FloatField(_("longitude"))
    latitude = models.FloatField(_("latitude"))
    site = models.ForeignKey("registry.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    community = models.ForeignKey("org.Division", verbose_name=_("community"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    # What the site adds over the facilities and the sites proposed before it: people it newly
    # brings within the threshold (None: a proposal saved before this was counted), and the walking
    # it saves, in person-metres (the shorter walk to the nearest facility times the people).
    gain = models.FloatField(_("people newly covered"), null=True, blank=True)
    walk_saved_m = models.FloatField(_("walking saved (person-metres)"), null=True, blank=True)

    scope = ScopeFields(division="scenario__division")

    class Meta:
        verbose_name = _("proposed site")
        verbose_name_plural = _("proposed sites")
        ordering = ["scenario", "order"]

    def __str__(self):
        return self.label

    @property
    def walk_saved_person_km(self) -> float | None:
        """The walking saved, in person-kilometres: the unit the page and the Excel file show."""
        return None if self.walk_saved_m is None else self.walk_saved_m / 1000


class CoverageArea(CoverageFigures, models.Model):
    """Coverage of one community, street or district in a scenario."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="areas")
    division = models.ForeignKey("org.Division", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=16)
    population = models.FloatField(_("population"), default=0)
    covered = models.FloatField(_("covered now"), default=0)
    covered_after = models.FloatField(_("covered with the new sites"), null=True, blank=True)
    mean_distance_m = models.FloatField(_("mean walk (m)"), null=True, blank=True)

    scope = ScopeFields(division="division")

    class Meta:
        verbose_name = _("coverage of an area")
        verbose_name_plural = _("coverage of areas")
        ordering = ["scenario", "division__path"]
        constraints = [models.UniqueConstraint(fields=["scenario", "division"], name="planning_one_coverage_row_per_area")]

    def __str__(self):
        return f"{self.scenario} · {self.division}"

