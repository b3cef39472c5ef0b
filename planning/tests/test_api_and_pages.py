"""The planning API and pages: background jobs through the real task worker, errors in the one
shape, Excel exports of the gap list and the proposal, what each role sees, and lists whose
query count does not grow with their rows."""

import io
import json

import numpy as np
import pyrosm
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from excel.models import ExcelJob
from planning import selectors, services
from planning.models import JobStatus, Network, Scenario

from .conftest import ACTOR, helsinki_in, set_boundaries


def run_worker():
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_a_planner_imports_an_extract_places_people_and_sites_canteens_through_the_api(client, world):
    supervisor = world.users["supervisor"]
    client.force_login(supervisor)
    district = world.node("甲市一区")
    with open(pyrosm.get_data("test_pbf"), "rb") as stream:
        response = client.post("/api/v1/planning/networks", {"division": district.code, "name": "测试路网",
                                                             "file": SimpleUploadedFile("test.osm.pbf", stream.read())})
    assert response.status_code == 202, response.content
    network_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    run_worker()
    network = client.get(f"/api/v1/planning/networks/{network_id}").json()
    assert network["status"] == "done" and network["node_count"] > 500, network
    assert network["building_count"] > 100 and network["poi_count"] >= 1  # the extract's kindergarten and childcare
    set_boundaries(network["bbox"])
    response = client.post("/api/v1/planning/demand", {"division": district.code, "network_id": network_id, "source": "buildings"})
    assert response.status_code == 201, response.content
    demand = response.json()
    assert demand["point_count"] > 100 and demand["population"] > 0
    body = {"demand_id": demand["id"], "name": "托育补点", "facility_kind": "childcare", "objective": "max_cover", "k": 2,
            "candidate_source": "network"}
    response = client.post("/api/v1/planning/scenarios", json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    scenario_id = response.json()["id"]
    response = client.get(f"/api/v1/planning/scenarios/{scenario_id}/map")
    assert response.status_code == 422 and response.json()["code"] == "not_ready"
    run_worker()
    scenario = client.get(f"/api/v1/planning/scenarios/{scenario_id}").json()
    assert scenario["status"] == "done", scenario["error"]
    assert scenario["facility_count"] >= 1 and scenario["share_after"] >= scenario["share"]
    assert len(scenario["proposed_sites"]) >= 1 and scenario["solution"]["bound"] >= scenario["solution"]["objective"]
    features = client.get(f"/api/v1/planning/scenarios/{scenario_id}/map").json()["features"]
    layers = {f["properties"]["layer"] for f in features}
    assert layers == {"community", "demand", "facility", "proposed"}
    areas = client.get(f"/api/v1/planning/scenarios/{scenario_id}/areas?level=street").json()
    assert {a["name"] for a in areas} == {"甲市一区一街", "甲市一区二街"}
    gaps = client.get(f"/api/v1/planning/scenarios/{scenario_id}/gaps").json()
    assert all(g["uncovered"] > 0 for g in gaps)
    lines = client.get(f"/api/v1/planning/networks/{network_id}/map").json()["features"][0]["geometry"]["coordinates"]
    assert len(lines) == network["edge_count"]


@pytest.mark.django_db
def test_api_errors_come_in_the_one_shape(client, world, helsinki):
    client.force_login(world.users["supervisor"])
    body = {"demand_id": helsinki.demand.pk, "name": "太多", "facility_kind": "health_station", "objective": "max_cover", "k": 5,
            "candidate_source": "uploaded", "candidates": [{"lon": 24.94, "lat": 60.17}]}
    response = client.post("/api/v1/planning/scenarios", json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "fields"} and "k" in response.json()["fields"]
    response = client.post("/api/v1/planning/networks", {"division": helsinki.district.code,
                                                         "file": SimpleUploadedFile("x.osm.pbf", b"not a pbf")})
    assert response.status_code == 422 and "file" in response.json()["fields"]
    response = client.get(f"/api/v1/planning/networks/{helsinki.network.pk}/map?bbox=1,2,3")
    assert response.status_code == 422 and "bbox" in response.json()["fields"]
    assert Network.objects.count() == 1


@pytest.mark.django_db
def test_pages_show_the_scenario_its_map_and_the_comparison(client, world, helsinki):
    client.force_login(world.users["supervisor"])
    a = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="现状", facility_kind="health_station", run=True)
    b = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="补两处", facility_kind="health_station",
                                 objective="max_cover", k=2, candidate_source="network", run=True)
    page = client.get(f"/planning/{helsinki.district.code}/").content.decode()
    assert "现状" in page and "补两处" in page and "Helsinki" in page
    page = client.get(f"/planning/scenarios/{b.pk}/").content.decode()
    assert 'id="planning-map"' in page and "甲市一区一街一社" in page and f"/planning/scenarios/{b.pk}/compare/{a.pk}/" in page
    page = client.get(f"/planning/scenarios/{b.pk}/compare/{a.pk}/").content.decode()
    assert "甲市一区二街" in page and "B − A" in page
    # Each side counts its new sites where it has them, the same on the page and in the API, one decimal everywhere.
    district = next(r for r in selectors.scenario_compare(a=b, b=a) if r.division == helsinki.district)
    b_district = b.areas.get(division=helsinki.district)
    assert district.a_share == b_district.share_after and district.b_share == pytest.approx(a.share)
    assert f"{district.a_share * 100:.1f}%" in page and f"{district.b_share * 100:.1f}%" in page
    rows = client.get(f"/api/v1/planning/scenarios/{b.pk}/compare/{a.pk}").json()
    api_district = next(r for r in rows if r["code"] == helsinki.district.code)
    assert api_district["a_share"] == pytest.approx(district.a_share) and api_district["b_covered"] == pytest.approx(a.covered)
    page = client.get(f"/planning/{helsinki.district.code}/").content.decode()
    assert f"{b.share * 100:.1f}%" in page and f"{b.share_after * 100:.1f}%" in page
    assert client.get(f"/planning/networks/{helsinki.network.pk}/").status_code == 200
    assert client.get(f"/planning/demand/{helsinki.demand.pk}/").status_code == 200
    assert client.get("/planning/").status_code == 302
    # The page frames the map from the demand set's record, without reading its points.
    default_storage.delete(helsinki.demand.file)
    page = client.get(f"/planning/scenarios/{b.pk}/").content.decode()
    west, south = helsinki.demand.bbox[:2]
    assert f"?bbox={round(west - 0.005, 6)},{round(south - 0.005, 6)}," in page
    # Its map says what is missing, instead of failing.
    response = client.get(f"/api/v1/planning/scenarios/{b.pk}/map")
    assert response.status_code == 409 and response.json()["code"] == "demand_file_missing"
    assert "需求人口“住宅”的数组文件缺失" in response.json()["message"]


@pytest.mark.django_db
def test_pages_say_the_stage_the_unit_and_the_demand_parameters_in_chinese(client, world, helsinki):
    from planning.progress import progress_set

    client.force_login(world.users["supervisor"])
    queued = Network.objects.create(division=helsinki.district, name="排队路网", source="osm")
    progress_set("network", queued.pk, stage="pois", percent=80)
    page = client.get(f"/planning/networks/{queued.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "读取设施兴趣点" in page and "pois" not in page
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="排队", facility_kind="health_station")
    progress_set("scenario", scenario.pk, stage="coverage_matrix", percent=40)
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert "计算各候选点覆盖的居民" in page and "coverage_matrix" not in page
    sited = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="补一处", facility_kind="health_station",
                                     objective="max_cover", k=1, candidate_source="network", run=True)
    page = client.get(f"/planning/scenarios/{sited.pk}/").content.decode()
    assert "(人)" in page and "(people)" not in page
    page = client.get(f"/planning/demand/{helsinki.demand.pk}/").content.decode()
    assert "需求点距步行道路最远（米）" in page and "每平方米建筑面积人数" in page and "snap_max_m" not in page


@pytest.mark.django_db
def test_a_street_plans_on_its_districts_network_and_a_community_worker_reads_its_coverage(client, world, helsinki):
    services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="区级现状", facility_kind="health_station", run=True)
    street = world.node("甲市一区一街")
    client.force_login(world.users["street_admin"])
    page = client.get(f"/planning/{street.code}/")
    assert "Helsinki" in page.content.decode()  # the district's network serves the street
    page = client.get(f"/planning/networks/{helsinki.network.pk}/").content.decode()
    assert "甲市一区" in page and f'href="/planning/{helsinki.district.code}/"' not in page  # a page they could not open
    assert client.get(f"/planning/{helsinki.district.code}/").status_code == 404
    response = client.post(f"/planning/{street.code}/", {"action": "demand", "demand-network": helsinki.network.pk,
                                                        "demand-source": "communities", "demand-name": "一街人口"})
    assert response.status_code == 302, response.content.decode()[:500]
    demand_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    response = client.post(f"/planning/{street.code}/", {"action": "scenario", "scenario-name": "一街健康站",
                                                        "scenario-demand": demand_id, "scenario-facility_kind": "health_station",
                                                        "scenario-objective": "coverage"})
    assert response.status_code == 302
    scenario = Scenario.objects.get(name="一街健康站")
    assert scenario.status == JobStatus.QUEUED and scenario.division == street
    client.force_login(world.users["community_worker"])
    page = client.get(f"/planning/{world.node('甲市一区一街一社').code}/").content.decode()
    assert "区级现状" not in page and "%" in page
    rows = client.get("/api/v1/planning/coverage").json()["items"]
    assert {r["name"] for r in rows} == {"甲市一区一街一社"}
    assert client.get(f"/api/v1/planning/scenarios/{scenario.pk}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_gap_list_and_the_proposal_export_to_excel(client, world, helsinki_extract):
    demand = helsinki_in(world, helsinki_extract).demand
    scenario = services.scenario_create(actor=ACTOR, demand=demand, name="补点", facility_kind="health_station",
                                        objective="max_cover", k=2, candidate_source="network", run=True)
    client.force_login(world.users["supervisor"])
    for register in ("planning.gaps", "planning.gap_points", "planning.proposal"):
        response = client.post(f"/planning/scenarios/{scenario.pk}/export/{register}/")
        assert response.status_code == 302
    run_worker()
    books = {}
    for job in ExcelJob.objects.filter(register__startswith="planning."):
        assert job.status == "done", job.errors
        with job.result.open("rb") as stream:
            books[job.register] = list(load_workbook(io.BytesIO(stream.read())).active.iter_rows(values_only=True))
    assert books["planning.gaps"][0][1] in ("社区", "Community")
    assert len(books["planning.gaps"]) - 1 == len([a for a in scenario.areas.filter(level="community") if a.uncovered > 0.5])
    assert len(books["planning.proposal"]) - 1 == scenario.proposed_sites.count()
    assert len(books["planning.gap_points"]) > 1


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


@pytest.mark.django_db
def test_planning_lists_cost_the_same_queries_for_four_times_the_rows(client, world, helsinki):
    client.force_login(world.users["supervisor"])
    code = helsinki.district.code

    def fill(n: int, prefix: str):
        for i in range(n):
            services.scenario_create(actor=ACTOR, demand=helsinki.demand, name=f"{prefix}{i}", facility_kind="health_station",
                                     objective="max_cover", k=1, candidate_source="network", run=True)

    fill(2, "少")
    first = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="对照", facility_kind="health_station", run=True)
    urls = [f"/planning/{code}/", f"/planning/scenarios/{first.pk}/", "/api/v1/planning/scenarios", "/api/v1/planning/networks",
            "/api/v1/planning/demand", "/api/v1/planning/coverage", f"/api/v1/planning/scenarios/{first.pk}/areas"]
    few = {url: queries(client, url) for url in urls}
    fill(6, "多")
    many = {url: queries(client, url) for url in urls}
    assert many == few


@pytest.mark.django_db
def test_a_scenario_costs_the_same_queries_with_one_proposed_site_or_three(client, world, helsinki):
    client.force_login(world.users["supervisor"])

    def sited(name: str, k: int) -> Scenario:
        return services.scenario_create(actor=ACTOR, demand=helsinki.demand, name=name, facility_kind="elderly_canteen",
                                        objective="max_cover", k=k, candidate_source="network", run=True)

    one, three = sited("补一处", 1), sited("补三处", 3)
    assert one.proposed_sites.count() == 1 and three.proposed_sites.count() == 3
    assert all(site.community_id for site in three.proposed_sites.all())  # each site's community is read too
    for url in ("/api/v1/planning/scenarios/{}", "/planning/scenarios/{}/", "/api/v1/planning/scenarios/{}/map"):
        assert queries(client, url.format(three.pk)) == queries(client, url.format(one.pk)), url
    assert client.get(f"/api/v1/planning/scenarios/{three.pk}").json()["proposed_sites"][2]["community"]


@pytest.mark.django_db
def test_a_neighbouring_streets_planner_cannot_upload_a_network_or_demand_into_this_street(client, world, helsinki, settings):
    from pathlib import Path

    from audit.models import AuditEvent
    from planning.demo import walking_grid
    from planning.models import DemandSet
    from tests.world import make_user

    first, second = world.node("甲市一区一街"), world.node("甲市一区二街")
    west, south, east, north = helsinki.network.bbox
    first_network = services.network_generate(actor=ACTOR, division=first, name="一街路网",
                                              graph=walking_grid(west, south, east, north, spacing_m=150, seed=1))
    client.force_login(make_user("planner_second_street", role="street_admin", division=second))
    home = services.demand_arrays(helsinki.demand)
    i = int(np.flatnonzero(np.isin(home.community, list(second.children.values_list("pk", flat=True))))[0])
    points = f"lon,lat,population\n{home.lon[i]},{home.lat[i]},120\n"  # a home in the second street

    def files():
        return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    before = (Network.objects.count(), DemandSet.objects.count(), AuditEvent.objects.count(), files())
    with open(pyrosm.get_data("test_pbf"), "rb") as stream:
        extract = stream.read()
    attempts = [
        ("/api/v1/planning/networks", {"division": first.code, "file": SimpleUploadedFile("a.osm.pbf", extract)}),
        ("/api/v1/planning/demand", {"division": first.code, "network_id": helsinki.network.pk, "source": "upload",
                                     "file": SimpleUploadedFile("p.csv", points.encode())}),
        # Its own street, but the neighbour's network.
        ("/api/v1/planning/demand", {"division": second.code, "network_id": first_network.pk, "source": "upload",
                                     "file": SimpleUploadedFile("p.csv", points.encode())}),
        (f"/planning/{first.code}/", {"action": "network", "network-name": "越界",
                                      "network-file": SimpleUploadedFile("a.osm.pbf", extract)}),
        (f"/planning/{first.code}/", {"action": "demand", "demand-network": helsinki.network.pk, "demand-source": "upload",
                                      "demand-file": SimpleUploadedFile("p.csv", points.encode())}),
    ]
    for url, data in attempts:
        response = client.post(url, data)  # multipart, as a browser or a script uploads
        assert response.status_code in (403, 404), (url, response.status_code, response.content[:200])
    assert (Network.objects.count(), DemandSet.objects.count(), AuditEvent.objects.count(), files()) == before
    # The same uploads into its own street go through.
    response = client.post("/api/v1/planning/demand", {"division": second.code, "network_id": helsinki.network.pk,
                                                       "source": "upload", "file": SimpleUploadedFile("p.csv", points.encode())})
    assert response.status_code == 201, response.content[:300]


@pytest.mark.django_db
def test_the_scenario_page_names_the_facilities_left_off_the_network_and_says_when_the_map_samples(client, world, helsinki,
                                                                                                 monkeypatch):
    from decimal import Decimal

    from org.models import Division
    from registry import services as registry_services

    west, south, east, north = helsinki.network.bbox
    for name, community in (("远离道路的健康站", "甲市一区一街一社"), ("邻街远处健康站", "甲市一区二街二社")):
        registry_services.site_create(actor=ACTOR, division=Division.objects.get(name=community), name=name, kind="health_station",
                                      floor_area=Decimal("100"), property_class="state_admin", property_source="street_owned",
                                      latitude=Decimal(f"{north:.6f}"), longitude=Decimal(f"{east + 0.012:.6f}"))  # ~650 m off
    scenario = services.scenario_create(actor=ACTOR, demand=helsinki.demand, name="离路", facility_kind="health_station", run=True)
    assert scenario.solution["facilities_off_network"] >= 2
    assert {"远离道路的健康站", "邻街远处健康站"} <= {f["name"] for f in scenario.off_network}
    client.force_login(world.users["supervisor"])
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert 'id="off-network"' in page and "远离道路的健康站" in page and "邻街远处健康站" in page
    assert 'id="map-sampled"' not in page
    # A street's planner sees where the neighbouring street's site lies, not its name (as on the map).
    street = world.node("甲市一区一街")
    demand = services.demand_create(actor=ACTOR, division=street, network=helsinki.network, name="一街人口", source="communities")
    own = services.scenario_create(actor=ACTOR, demand=demand, name="一街离路", facility_kind="health_station", run=True)
    client.force_login(world.users["street_admin"])
    page = client.get(f"/planning/scenarios/{own.pk}/").content.decode()
    assert "远离道路的健康站" in page and "邻街远处健康站" not in page
    # When the map shows a sample of the demand points, the page says so.
    monkeypatch.setattr(selectors, "MAP_POINTS_MAX", 20)
    page = client.get(f"/planning/scenarios/{own.pk}/").content.decode()
    assert 'id="map-sampled"' in page
    shown = client.get(f"/api/v1/planning/scenarios/{own.pk}/map").json()["properties"]
    assert shown["shown"] == 20 < shown["points"] == demand.point_count


@pytest.mark.django_db
def test_a_p_median_proposal_shows_the_walking_it_saves_with_its_unit_on_the_page_the_api_and_excel(client, world, grid):
    from decimal import Decimal

    from planning.registers import PROPOSAL_COLUMNS, export_proposal
    from registry import services as registry_services

    west, south, east, north = grid.network.bbox
    registry_services.site_create(actor=ACTOR, division=world.node("甲市一区一街一社"), name="一社长者食堂", kind="elderly_canteen",
                                  floor_area=Decimal("200"), property_class="state_admin", property_source="street_owned",
                                  latitude=Decimal(f"{south + 0.001:.6f}"), longitude=Decimal(f"{west + 0.001:.6f}"))
    scenario = services.scenario_create(actor=ACTOR, demand=grid.demand, name="最短步行", facility_kind="elderly_canteen",
                                        objective="p_median", k=1, candidate_source="network", run=True)
    site = scenario.proposed_sites.get()
    assert site.walk_saved_m > 0 and site.gain == pytest.approx(scenario.covered_after - scenario.covered, abs=0.5)
    client.force_login(world.users["supervisor"])
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert "缩短步行（人·公里）" in page and f"{site.walk_saved_m / 1000:,.1f}" in page
    api = client.get(f"/api/v1/planning/scenarios/{scenario.pk}").json()["proposed_sites"][0]
    assert api["walk_saved_m"] == pytest.approx(site.walk_saved_m) and api["gain"] == pytest.approx(site.gain)
    count, rows = export_proposal(user=world.users["supervisor"], params={"scenario": scenario.pk})
    header = [str(column.header) for column in PROPOSAL_COLUMNS]
    row = dict(zip(header, next(iter(rows)), strict=True))
    assert count == 1 and row["缩短步行（人·公里）"] == round(site.walk_saved_m / 1000, 1) and row["新增覆盖人口"] == round(site.gain)


@pytest.mark.django_db
def test_the_scenario_map_shades_each_community_by_its_share_within_the_threshold_and_names_the_scenario(client, world, grid):
    scenario = services.scenario_create(actor=ACTOR, demand=grid.demand, name="食堂补点", facility_kind="elderly_canteen",
                                        objective="max_cover", k=2, candidate_source="network", run=True, include_osm=False)
    client.force_login(world.users["supervisor"])
    features = client.get(f"/api/v1/planning/scenarios/{scenario.pk}/map").json()["features"]
    shaded = {f["properties"]["name"]: f for f in features if f["properties"]["layer"] == "community"}
    rows = {a.division.name: a for a in scenario.areas.filter(level="community").select_related("division")}
    assert set(shaded) == set(rows) and len(rows) == 4  # the four quarters, each with its boundary
    for name, feature in shaded.items():
        assert feature["geometry"] == rows[name].division.boundary
        assert feature["properties"]["share"] == pytest.approx(rows[name].share)  # the figure the tables show
        assert feature["properties"]["share_after"] == pytest.approx(rows[name].share_after)
    page = client.get(f"/planning/scenarios/{scenario.pk}/").content.decode()
    assert (f'data-choropleth-title="食堂补点：各社区步行15分钟内居民占比（{scenario.finished_at.astimezone().strftime("%Y-%m-%d")}测算）"'
            in page)
