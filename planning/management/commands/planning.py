"""`linli planning`: life-circle planning from the command line, for planners who script.

    linli planning import  --area 350203000000 extract.osm.pbf      import a walking network
    linli planning demand  --network 3 --area 350203001000 --source buildings|communities|FILE.csv
    linli planning coverage --demand 5 --kind elderly_canteen       coverage as it is
    linli planning site    --demand 5 --kind elderly_canteen --objective max_cover --k 3 --candidates network
    linli planning list    --area 350203000000                      networks, demand and scenarios

Each prints its progress and a summary; a bad input stops with the reason and saves nothing.
"""

import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import User
from core.errors import ApplicationError
from org.models import Division
from planning import services
from planning.models import DemandSet, DemandSource, Network, Objective, Scenario
from planning.selectors import gap_list, scenario_areas


class _File:
    """A file on disk in the shape the services expect of an upload."""

    def __init__(self, path: str):
        self.name = path
        with open(path, "rb") as stream:
            self.data = stream.read()
        self.size = len(self.data)

    def read(self, size: int = -1) -> bytes:
        return self.data if size < 0 else self.data[:size]


class Command(BaseCommand):
    help = "15-minute life circle planning: import a network, place demand, compute coverage, site new facilities."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Act as this user (recorded in the audit trail); the command line otherwise")
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="Import an OpenStreetMap PBF extract as a walking network")
        p.add_argument("file")
        p.add_argument("--area", required=True, help="Code of the city, district or street the network serves")
        p.add_argument("--name", default="")
        p = sub.add_parser("demand", help="Place an area's people on a network")
        p.add_argument("--network", type=int, required=True)
        p.add_argument("--area", required=True, help="Code of the area (within the network's)")
        p.add_argument("--source", required=True, help="communities, buildings, or a CSV/GeoJSON file of points")
        p.add_argument("--name", default="")
        for name, help_text in (("coverage", "Coverage of a facility kind as it is"), ("site", "Site new facilities")):
            p = sub.add_parser(name, help=help_text)
            p.add_argument("--demand", type=int, required=True)
            p.add_argument("--kind", required=True, help="A facility kind of the rule pack, e.g. elderly_canteen")
            p.add_argument("--name", default="")
            p.add_argument("--minutes", type=float)
            p.add_argument("--no-osm", action="store_true", help="Count only the register's sites, not OpenStreetMap's")
            if name == "site":
                p.add_argument("--objective", default=Objective.MAX_COVER, choices=[Objective.MAX_COVER, Objective.SET_COVER,
                                                                                  Objective.P_MEDIAN])
                p.add_argument("--k", type=int)
                p.add_argument("--candidates", default="network", help="idle_rooms, network, or a CSV/GeoJSON file of points")
                p.add_argument("--reachable-only", action="store_true")
        p = sub.add_parser("list", help="Networks, demand and scenarios of an area")
        p.add_argument("--area", required=True)

    def handle(self, *args, action, user=None, **options):
        translation.activate(settings.LANGUAGE_CODE)
        self.actor = "command line"
        if user:
            self.actor = User.objects.filter(username=user).first()
            if self.actor is None:
                raise CommandError(f"No user {user}")
        self.started = time.monotonic()
        try:
            getattr(self, f"do_{action}")(**options)
        except ApplicationError as error:
            details = " ".join(str(m) for messages in error.fields.values() for m in messages)
            raise CommandError(f"{error.message} {details}".strip()) from None

    def progress(self, stage: str, percent: int) -> None:
        sys.stdout.write(f"[{time.monotonic() - self.started:6.1f}s {percent:3d}%] {stage}\n")
        sys.stdout.flush()

    def area(self, code: str) -> Division:
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise CommandError(f"No division with code {code}")
        return division

    def do_import(self, *, file, area, name, **_options):
        network = services.network_import_file(actor=self.actor, division=self.area(area), name=name, path=file,
                                               progress=self.progress)
        self.stdout.write(self.style.SUCCESS(
            f"network #{network.pk} {network.name}: {network.node_count:,} nodes, {network.edge_count:,} edges, "
            f"{network.length_km:,.1f} km, {network.building_count:,} residential buildings, {network.poi_count:,} facility POIs"))
        if network.dropped.get("nodes_outside_main_part"):
            self.stdout.write(f"  {network.dropped['nodes_outside_main_part']:,} nodes of {network.dropped['parts'] - 1} detached parts left out")

    def do_demand(self, *, network, area, source, name, **_options):
        net = Network.objects.filter(pk=network).first()
        if net is None:
            raise CommandError(f"No network #{network}")
        upload = None
        if source not in DemandSource.values:
            upload, source = _File(source), DemandSource.UPLOAD
        demand = services.demand_create(actor=self.actor, division=self.area(area), network=net, name=name, source=source,
                                        upload=upload, progress=self.progress)
        self.stdout.write(self.style.SUCCESS(f"demand #{demand.pk} {demand.name}: {demand.point_count:,} points, "
                                             f"{demand.population:,.0f} people"))
        if demand.dropped_count:
            self.stdout.write(f"  {demand.dropped_count:,} points ({demand.dropped_population:,.0f} people) dropped:")
            for point in demand.dropped[:10]:
                self.stdout.write(f"    {point['lon']}, {point['lat']}  {point['population']} people  {point['reason']} "
                                  f"({point['distance_m']} m)")

    def _demand(self, pk: int) -> DemandSet:
        demand = DemandSet.objects.select_related("division", "network").filter(pk=pk).first()
        if demand is None:
            raise CommandError(f"No demand set #{pk}")
        return demand

    def do_coverage(self, *, demand, kind, name, minutes, no_osm, **_options):
        demand_set = self._demand(demand)
        name = name or f"{kind} {time.strftime('%Y-%m-%d %H:%M:%S')}"
        scenario = services.scenario_create(actor=self.actor, demand=demand_set, name=name, facility_kind=kind, minutes=minutes,
                                            include_osm=not no_osm, run=True, progress=self.progress)
        self.summary(scenario)

    def do_site(self, *, demand, kind, name, minutes, no_osm, objective, k, candidates, reachable_only, **_options):
        demand_set = self._demand(demand)
        uploaded = None
        if candidates not in ("idle_rooms", "network"):
            uploaded, candidates = services.uploaded_candidates(_File(candidates)), "uploaded"
        name = name or f"{kind} {objective} {time.strftime('%Y-%m-%d %H:%M:%S')}"
        scenario = services.scenario_create(actor=self.actor, demand=demand_set, name=name, facility_kind=kind, minutes=minutes,
                                            include_osm=not no_osm, objective=objective, k=k, candidate_source=candidates,
                                            candidates=uploaded, reachable_only=reachable_only, run=True, progress=self.progress)
        self.summary(scenario)

    def summary(self, scenario: Scenario) -> None:
        out = self.stdout.write
        out(self.style.SUCCESS(f"scenario #{scenario.pk} {scenario.name}: {scenario.facility_title}, "
                               f"{scenario.minutes:g} min ({scenario.threshold_m:,.0f} m), {scenario.facility_count} facilities"))
        out(f"  {scenario.population:,.0f} people, {scenario.covered:,.0f} within the threshold ({(scenario.share or 0):.1%}); "
            f"mean walk " + (f"{scenario.mean_distance_m:,.0f} m" if scenario.mean_distance_m is not None else "—"))
        if scenario.covered_after is not None:
            out(f"  with the new sites: {scenario.covered_after:,.0f} ({(scenario.share_after or 0):.1%}); "
                f"mean walk {scenario.mean_distance_after_m or 0:,.0f} m")
            s = scenario.solution
            out(f"  solution: {s.get('method')}, objective {s.get('objective'):,} {s.get('unit')}, bound {s.get('bound'):,}, "
                f"gap {s.get('gap', 0):.3%}{' (proven optimal)' if s.get('proven_optimal') else ''}, {s.get('seconds')} s")
            for site in scenario.proposed_sites.all():
                out(f"  {site.order:>3}. {site.label}  ({site.longitude:.5f}, {site.latitude:.5f})  +{site.gain:,.0f}")
        for area in scenario_areas(scenario=scenario):
            if area.level != "community":
                out(f"  {area.division.name:<16} {area.population:>10,.0f} {(area.share or 0):>7.1%}"
                    + (f" → {(area.share_after or 0):.1%}" if area.share_after is not None else ""))
        gaps = gap_list(scenario=scenario)[:5]
        if gaps:
            out("  largest gaps: " + "; ".join(f"{g.community.name} {g.uncovered:,.0f}" for g in gaps))

    def do_list(self, *, area, **_options):
        division = self.area(area)
        for n in Network.objects.filter(division__path__startswith=division.path).order_by("pk"):
            self.stdout.write(f"network #{n.pk} {n.name} [{n.status}] {n.node_count:,} nodes")
        for d in DemandSet.objects.filter(division__path__startswith=division.path).order_by("pk"):
            self.stdout.write(f"demand  #{d.pk} {d.name} ({d.division.name}) {d.point_count:,} points, {d.population:,.0f} people")
        for s in Scenario.objects.filter(division__path__startswith=division.path).order_by("pk"):
            share = f"{s.share:.1%}" if s.share is not None else "-"
            self.stdout.write(f"scenario #{s.pk} {s.name} [{s.status}] {s.facility_kind} {share}")
