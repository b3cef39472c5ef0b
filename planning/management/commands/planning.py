"""`linli planning`: life-circle planning from the command line, for planners who script.

    linli planning --user wang import  --area 350203000000 extract.osm.pbf   import a walking network
    linli planning --user wang demand  --network 3 --area 350203001000 --source buildings|communities|FILE.csv
    linli planning --user wang coverage --demand 5 --kind elderly_canteen    coverage as it is
    linli planning --user wang site    --demand 5 --kind elderly_canteen --objective max_cover --k 3 --candidates network
    linli planning --user wang list    --area 350203000000                   networks, demand and scenarios

The command acts as the named user (``--user``, required): it sees and does what the planning
pages let that user see and do, and the audit trail names them; anything else is refused, and
an area, network or demand set outside their reach is "not found", as on the pages. It speaks
the site's language (Chinese by default). Each action prints its progress and a summary; a bad
input stops with the reason and saves nothing.
"""

import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import require
from core.errors import ApplicationError, NotFound, PermissionDenied
from org.models import Division, DivisionLevel
from org.selectors import division_get
from planning import labels, selectors, services
from planning.models import DemandSet, DemandSource, Objective, Scenario


class _File:
    """A file on disk in the shape the services expect of an upload."""

    def __init__(self, path: str):
        self.name = Path(path).name  # which file, never where it lies on this computer
        with open(path, "rb") as stream:
            self.data = stream.read()
        self.size = len(self.data)

    def read(self, size: int = -1) -> bytes:
        return self.data if size < 0 else self.data[:size]


HELP = gettext_lazy("15-minute life circle planning: import a network, place demand, compute coverage, site new facilities.")


def _percent(share) -> str:
    return f"{(share or 0):.1%}"


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser):
        with translation.override(settings.LANGUAGE_CODE):
            self._add_arguments(parser)

    def _add_arguments(self, parser):
        parser.description = str(HELP)
        parser.add_argument("--user", required=True,
                            help=_("Act as this user: the command may do what the planning pages let them do, and the "
                                   "audit trail names them"))
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help=_("Import an OpenStreetMap PBF extract as a walking network"))
        p.add_argument("file")
        p.add_argument("--area", required=True, help=_("Code of the city, district or street the network serves"))
        p.add_argument("--name", default="")
        p = sub.add_parser("demand", help=_("Place an area's people on a network"))
        p.add_argument("--network", type=int, required=True)
        p.add_argument("--area", required=True, help=_("Code of the area (within the network's)"))
        p.add_argument("--source", required=True, help=_("communities, buildings, or a CSV/GeoJSON file of points"))
        p.add_argument("--name", default="")
        for name, help_text in (("coverage", _("Coverage of a facility kind as it is")), ("site", _("Site new facilities"))):
            p = sub.add_parser(name, help=help_text)
            p.add_argument("--demand", type=int, required=True)
            p.add_argument("--kind", required=True, help=_("A facility kind of the rule pack, e.g. elderly_canteen"))
            p.add_argument("--name", default="")
            p.add_argument("--minutes", type=float)
            p.add_argument("--no-osm", action="store_true", help=_("Count only the register's sites, not OpenStreetMap's"))
            if name == "site":
                p.add_argument("--objective", default=Objective.MAX_COVER, choices=[Objective.MAX_COVER, Objective.SET_COVER,
                                                                                  Objective.P_MEDIAN])
                p.add_argument("--k", type=int)
                p.add_argument("--candidates", default="network",
                               help=_("idle_rooms, network, or a CSV/GeoJSON file of points"))
                p.add_argument("--reachable-only", action="store_true")
        p = sub.add_parser("list", help=_("Networks, demand and scenarios of an area"))
        p.add_argument("--area", required=True)

    def handle(self, *args, action, user, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self.actor = User.objects.filter(username=user, is_active=True).first()
            if self.actor is None:
                raise CommandError(_("There is no active user %(name)s.") % {"name": user})
            self.started = time.monotonic()
            try:
                getattr(self, f"do_{action}")(**options)
            except ApplicationError as error:
                details = " ".join(str(m) for messages in error.fields.values() for m in messages)
                raise CommandError(f"{error.message} {details}".strip()) from None

    def progress(self, stage: str, percent: int) -> None:
        sys.stdout.write(f"[{time.monotonic() - self.started:6.1f}s {percent:3d}%] {labels.stage_label(stage)}\n")
        sys.stdout.flush()

    def area(self, code: str) -> Division:
        try:
            return division_get(user=self.actor, code=code)
        except NotFound:
            raise CommandError(_("%(user)s can see no division with the code %(code)s.")
                               % {"user": self.actor.username, "code": code}) from None

    def require(self, perm: str, division: Division) -> None:
        """The permission the pages check for the same action, on the same area."""
        try:
            require(self.actor, perm, division)
        except PermissionDenied:
            raise CommandError(_("%(user)s may not do this in %(area)s: their role does not allow it.")
                               % {"user": self.actor.username, "area": division.name}) from None

    def do_import(self, *, file, area, name, **_options):
        division = self.area(area)
        self.require("planning.add_network", division)
        network = services.network_import_file(actor=self.actor, division=division, name=name, path=file,
                                               progress=self.progress)
        self.stdout.write(self.style.SUCCESS(
            _("network #%(id)s %(name)s: %(nodes)s nodes, %(edges)s edges, %(km)s km, %(buildings)s residential buildings, "
              "%(pois)s facility POIs")
            % {"id": network.pk, "name": network.name, "nodes": f"{network.node_count:,}", "edges": f"{network.edge_count:,}",
               "km": f"{network.length_km:,.1f}", "buildings": f"{network.building_count:,}", "pois": f"{network.poi_count:,}"}))
        if network.dropped.get("nodes_outside_main_part"):
            self.stdout.write("  " + _("%(n)s nodes of %(parts)s detached parts left out")
                              % {"n": f"{network.dropped['nodes_outside_main_part']:,}", "parts": network.dropped["parts"] - 1})

    def do_demand(self, *, network, area, source, name, **_options):
        division = self.area(area)
        self.require("planning.add_demandset", division)
        try:
            net = selectors.network_get(user=self.actor, pk=network)
        except NotFound:
            raise CommandError(_("%(user)s can see no network #%(id)s.") % {"user": self.actor.username, "id": network}) from None
        upload = None
        if source not in DemandSource.values:
            upload, source = _File(source), DemandSource.UPLOAD
        demand = services.demand_create(actor=self.actor, division=division, network=net, name=name, source=source,
                                        upload=upload, progress=self.progress)
        self.stdout.write(self.style.SUCCESS(_("demand #%(id)s %(name)s: %(points)s points, %(people)s people")
                                             % {"id": demand.pk, "name": demand.name, "points": f"{demand.point_count:,}",
                                                "people": f"{demand.population:,.0f}"}))
        for label, value in labels.demand_params(demand.params):
            self.stdout.write(f"  {label}: {value}")
        if demand.dropped_count:
            self.stdout.write("  " + _("%(n)s points (%(people)s people) dropped:")
                              % {"n": f"{demand.dropped_count:,}", "people": f"{demand.dropped_population:,.0f}"})
            for point in demand.dropped[:10]:
                self.stdout.write("    " + _("%(lon)s, %(lat)s  %(people)s people  %(reason)s (%(m)s m)")
                                  % {"lon": point["lon"], "lat": point["lat"], "people": point["population"],
                                     "reason": labels.left_out_label(point["reason"]), "m": point["distance_m"]})

    def _demand(self, pk: int) -> DemandSet:
        try:
            demand = selectors.demand_get(user=self.actor, pk=pk)
        except NotFound:
            raise CommandError(_("%(user)s can see no demand set #%(id)s.") % {"user": self.actor.username, "id": pk}) from None
        self.require("planning.add_scenario", demand.division)
        return demand

    def do_coverage(self, *, demand, kind, name, minutes, no_osm, **_options):
        demand_set = self._demand(demand)
        scenario = services.scenario_create(actor=self.actor, demand=demand_set, name=name, facility_kind=kind, minutes=minutes,
                                            include_osm=not no_osm, run=True, progress=self.progress)
        self.summary(scenario)

    def do_site(self, *, demand, kind, name, minutes, no_osm, objective, k, candidates, reachable_only, **_options):
        demand_set = self._demand(demand)
        uploaded = None
        if candidates not in ("idle_rooms", "network"):
            uploaded, candidates = services.uploaded_candidates(_File(candidates)), "uploaded"
        scenario = services.scenario_create(actor=self.actor, demand=demand_set, name=name, facility_kind=kind, minutes=minutes,
                                            include_osm=not no_osm, objective=objective, k=k, candidate_source=candidates,
                                            candidates=uploaded, reachable_only=reachable_only, run=True, progress=self.progress)
        self.summary(scenario)

    def summary(self, scenario: Scenario) -> None:
        out = self.stdout.write
        out(self.style.SUCCESS(_("scenario #%(id)s %(name)s: %(facility)s, %(minutes)s min (%(metres)s m), %(n)s facilities")
                               % {"id": scenario.pk, "name": scenario.name, "facility": scenario.facility_title,
                                  "minutes": f"{scenario.minutes:g}", "metres": f"{scenario.threshold_m:,.0f}",
                                  "n": scenario.facility_count}))
        walk = f"{scenario.mean_distance_m:,.0f}" if scenario.mean_distance_m is not None else "—"
        out("  " + _("%(people)s people, %(covered)s within the threshold (%(share)s); mean walk %(walk)s m")
            % {"people": f"{scenario.population:,.0f}", "covered": f"{scenario.covered:,.0f}", "share": _percent(scenario.share),
               "walk": walk})
        if scenario.covered_after is not None:
            out("  " + _("with the new sites: %(covered)s (%(share)s); mean walk %(walk)s m")
                % {"covered": f"{scenario.covered_after:,.0f}", "share": _percent(scenario.share_after),
                   "walk": f"{scenario.mean_distance_after_m or 0:,.0f}"})
            s = scenario.solution
            out("  " + _("solution: %(method)s, objective %(objective)s %(unit)s, bound %(bound)s, gap %(gap)s%(proven)s, "
                         "%(seconds)s s")
                % {"method": labels.method_label(s.get("method")), "objective": f"{s.get('objective'):,}",
                   "unit": labels.unit_label(s.get("unit")), "bound": f"{s.get('bound'):,}", "gap": f"{s.get('gap', 0):.3%}",
                   "proven": " " + _("(proven optimal)") if s.get("proven_optimal") else "", "seconds": s.get("seconds")})
            if s.get("candidates_refused"):
                out("  " + labels.refusal_summary(s["refused_rooms"], s["room_requirement"]))
            for site in scenario.proposed_sites.all():
                out(f"  {site.order:>3}. {site.label}  ({site.longitude:.5f}, {site.latitude:.5f})  "
                    + _("+%(people)s people, %(saved)s person-km less walking")
                    % {"people": f"{site.gain or 0:,.0f}", "saved": f"{site.walk_saved_person_km or 0:,.1f}"})
        for area in selectors.scenario_areas(scenario=scenario):
            if area.level != DivisionLevel.COMMUNITY:
                out(f"  {area.division.name:<16} {area.population:>10,.0f} {_percent(area.share):>7}"
                    + (f" → {_percent(area.share_after)}" if area.share_after is not None else ""))
        gaps = selectors.gap_list(scenario=scenario)[:5]
        if gaps:
            out("  " + _("largest gaps: %(gaps)s") % {"gaps": "; ".join(f"{g.community.name} {g.uncovered:,.0f}" for g in gaps)})

    def do_list(self, *, area, **_options):
        division = self.area(area)
        for n in selectors.network_list(user=self.actor, within=division).order_by("pk"):
            self.stdout.write(_("network #%(id)s %(name)s [%(status)s] %(nodes)s nodes")
                              % {"id": n.pk, "name": n.name, "status": n.get_status_display(), "nodes": f"{n.node_count:,}"})
        for d in selectors.demand_list(user=self.actor, within=division).order_by("pk"):
            self.stdout.write(_("demand #%(id)s %(name)s (%(area)s) %(points)s points, %(people)s people")
                              % {"id": d.pk, "name": d.name, "area": d.division.name, "points": f"{d.point_count:,}",
                                 "people": f"{d.population:,.0f}"})
        for s in selectors.scenario_list(user=self.actor, within=division).order_by("pk"):
            self.stdout.write(_("scenario #%(id)s %(name)s [%(status)s] %(facility)s %(share)s")
                              % {"id": s.pk, "name": s.name, "status": s.get_status_display(), "facility": s.facility_title,
                                 "share": _percent(s.share) if s.status == "done" else "—"})
