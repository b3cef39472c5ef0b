"""Compliance report for every community of a province: set-based against a per-community loop.

Builds a province of 10 cities, 100 districts, 1,000 streets and 10,000 communities, each with
a party-mass centre and a second site and five rooms with functions (about 20,000 sites and
50,000 rooms), then times the report the pages and the API use (``registry.compliance``: a
few GROUP BY queries, verdicts in Python) for all 10,000 communities, against the obvious
ORM loop that asks the database about one community at a time. The loop is timed on 500
communities and its per-community time scaled to the province.
"""

import random
import sys
import time
from decimal import Decimal

from common import prefer_postgres, report, say, throwaway_database

COMMUNITIES_PER_STREET = 10
LOOP_SAMPLE = 500


def build_province():
    from org.models import Division
    from registry.models import Function, Room, Site
    from rulepack.services import rulepack_ensure

    rng = random.Random(11)
    levels = []

    def node(parent, code, level, depth, **extra):
        return Division(code=code, name=code, level=level, parent=parent, path=f"{parent.path if parent else ''}{code}/",
                        depth=depth, **extra)

    cities = Division.objects.bulk_create([node(None, f"35{c:02d}00000000", "city", 0) for c in range(10, 20)])
    districts = Division.objects.bulk_create([node(c, f"{c.code[:4]}{d:02d}000000", "district", 1) for c in cities for d in range(1, 11)])
    streets = Division.objects.bulk_create([node(d, f"{d.code[:6]}{s:03d}000", "street", 2) for d in districts for s in range(1, 11)])
    communities = Division.objects.bulk_create(
        [node(s, f"{s.code[:9]}{k:03d}", "community", 3, population=rng.randint(2000, 15000), community_type="old_estate")
         for s in streets for k in range(1, COMMUNITIES_PER_STREET + 1)], batch_size=5000)
    levels.append(len(communities))
    for city in cities:
        rulepack_ensure(city=city)
    functions = {(f.city_id, f.code): f for f in Function.objects.all()}
    city_of = {c.path: c for c in cities}
    sites = []
    for community in communities:
        area = Decimal(rng.choice([600, 800, 900, 1100]))
        sites.append(Site(division=community, code=f"{community.code}-S01", name="中心", kind="party_mass_centre",
                          floor_area=area, ground_floor_area=area * Decimal("0.6"), independent_entrance=rng.random() < 0.9,
                          property_class="state_admin", property_source="street_owned"))
        sites.append(Site(division=community, code=f"{community.code}-S02", name="食堂", kind="elderly_canteen",
                          floor_area=Decimal(rng.randint(200, 800)), ground_floor_area=Decimal(150), independent_entrance=True,
                          property_class="state_admin", property_source="leased", owner_name="某公司",
                          lease_end="2030-01-01", annual_rent=Decimal(10000)))
    Site.objects.bulk_create(sites, batch_size=5000)
    rooms, links = [], []
    codes = ["party_hall", "service_window", "mediation_room", "residents_lounge", "elderly_canteen", "childcare", "office"]
    for site in Site.objects.select_related("division").iterator(chunk_size=5000):
        for index in range(3 if site.kind == "party_mass_centre" else 2):
            rooms.append(Room(site=site, name=f"房间{index}", area=Decimal(60), use="office" if index == 2 else "service"))
    Room.objects.bulk_create(rooms, batch_size=5000)
    through = Room.functions.through
    for room in Room.objects.select_related("site__division").iterator(chunk_size=5000):
        city = city_of[room.site.division.path[:13]]
        for code in rng.sample(codes, 2):
            links.append(through(room_id=room.pk, function_id=functions[(city.pk, code)].pk))
    through.objects.bulk_create(links, batch_size=10000)
    return communities


def set_based(root):
    from org.models import Division
    from registry.compliance import compliance_report

    return compliance_report(division=root, communities=Division.objects.filter(level="community", path__under=root.path),
                             streets=[])


def per_community_loop(communities):
    """One community at a time, as a view written without thought would do it."""
    from registry.compliance import (
        COMMUNITY_RULE_KINDS,
        Figures,
        evaluate_community,
        required_function_names,
    )
    from registry.models import Room, Site
    from rulepack.selectors import city_of, rules_for

    results = []
    for community in communities:
        rules = [r for r in rules_for(division=community, module="registry") if r.kind in COMMUNITY_RULE_KINDS]
        figures = Figures()
        for site in Site.objects.filter(division=community, closed_on__isnull=True):
            figures.area_by_kind[site.kind] = figures.area_by_kind.get(site.kind, Decimal(0)) + site.floor_area
            figures.ground_by_kind[site.kind] = figures.ground_by_kind.get(site.kind, Decimal(0)) + site.ground_floor_area
            figures.sites_by_kind[site.kind] = figures.sites_by_kind.get(site.kind, 0) + 1
            figures.entrances_by_kind[site.kind] = figures.entrances_by_kind.get(site.kind, 0) + int(site.independent_entrance)
            for room in Room.objects.filter(site=site, closed_on__isnull=True):
                figures.room_area += room.area
                if room.use == "office":
                    figures.office_area += room.area
                figures.functions.update(room.functions.values_list("code", flat=True))
        results.append(evaluate_community(figures, rules, required_function_names(city_of(community))))
    return results


def main() -> int:
    prefer_postgres()
    with throwaway_database():
        from django.db import connection

        from org.models import Division

        say(f"database: {connection.vendor}")
        start = time.perf_counter()
        communities = build_province()
        say(f"province built: {len(communities)} communities in {time.perf_counter() - start:.0f} s")
        province_root = Division.objects.filter(level="city").order_by("path")
        # The province is ten cities; the report runs city by city as a supervisor's pages would.
        set_based(province_root[0])  # warm the rule packs
        start = time.perf_counter()
        reports = [set_based(city) for city in province_root]
        set_seconds = time.perf_counter() - start
        total = sum(len(r.communities) for r in reports)
        sample = list(Division.objects.filter(level="community").order_by("?")[:LOOP_SAMPLE])
        start = time.perf_counter()
        loop_results = per_community_loop(sample)
        loop_per_community = (time.perf_counter() - start) / len(sample)
        by_code = {r.division.code: r for report in reports for r in report.communities}
        for community, results in zip(sample, loop_results, strict=True):
            assert [x.passed for x in results] == [x.passed for x in by_code[community.code].results], "the two methods disagree"
        loop_seconds = loop_per_community * total
        ratio = loop_seconds / set_seconds
        failing = sum(1 for report in reports for r in report.communities if not r.compliant)
        say(f"{total} communities, {failing} short of a standard; set-based {set_seconds:.2f} s, "
            f"loop {loop_per_community * 1000:.1f} ms per community ≈ {loop_seconds:.0f} s for all")
        ok = report("compliance-province", set_seconds, f"s for {total} communities", ratio,
                    "per-community ORM loop", "< 2 s and ≥ 20x", set_seconds < 2 and ratio >= 20)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
