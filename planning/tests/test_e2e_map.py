"""End to end in a real browser: a scenario's map draws its demand, facilities and proposed sites."""

import pytest

from planning import services
from tests.browser import browser_page, requires_chromium, screenshot, sign_in

from .conftest import ACTOR, helsinki_in

pytestmark = [requires_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_scenario_map_shows_who_is_covered_and_where_the_new_sites_go(live_server, world, helsinki_extract):
    demand = helsinki_in(world, helsinki_extract).demand
    scenario = services.scenario_create(actor=ACTOR, demand=demand, name="健康站补点", facility_kind="health_station",
                                        objective="max_cover", k=2, candidate_source="network", run=True)
    with browser_page() as page:
        sign_in(page, live_server.url, world.users["supervisor"].username)
        page.goto(f"{live_server.url}/planning/scenarios/{scenario.pk}/")
        page.wait_for_selector("#planning-map[data-loaded]", timeout=15000)
        assert int(page.get_attribute("#planning-map", "data-loaded")) == demand.point_count
        assert int(page.get_attribute("#planning-map", "data-shaded")) == 4  # every quarter shaded by its coverage
        assert "各社区步行15分钟内居民占比" in page.inner_text(".planning-choropleth-key")
        assert page.locator(".leaflet-tooltip").count() == scenario.proposed_sites.count()  # each new site is labelled
        assert page.locator("#planning-map canvas").count() >= 1
        text = page.inner_text("main")
        assert "健康站补点" in text and "甲市一区一街一社" in text
        screenshot(page, "planning-scenario-map")


def test_with_tianditu_set_the_map_draws_its_tiles_credits_it_and_shows_the_approval_number(live_server, world, grid, settings,
                                                                                             monkeypatch):
    import base64

    from config.settings import map_background

    for name, value in {"MAP_TILES": "tianditu", "TIANDITU_KEY": "0123456789abcdef0123456789abcdef",
                        "MAP_REVIEW_NUMBER": "GS(2024)0568号"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    settings.MAP_BACKGROUND = map_background()
    scenario = services.scenario_create(actor=ACTOR, demand=grid.demand, name="食堂现状", facility_kind="elderly_canteen", run=True)
    tile = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    asked = []
    with browser_page() as page:
        page.route("https://*.tianditu.gov.cn/**", lambda route: (asked.append(route.request.url),
                                                                   route.fulfill(body=tile, content_type="image/png")))
        sign_in(page, live_server.url, world.users["supervisor"].username)
        page.goto(f"{live_server.url}/planning/scenarios/{scenario.pk}/")
        page.wait_for_selector("#planning-map[data-loaded]", timeout=15000)
        page.wait_for_selector("#planning-map img.leaflet-tile-loaded", timeout=15000)
        assert page.get_attribute("#planning-map", "data-background") == "tiles"
        assert any("/vec_w/" in url for url in asked) and any("/cva_w/" in url for url in asked)
        assert all("tk=0123456789abcdef0123456789abcdef" in url for url in asked)
        assert "天地图" in page.inner_text("#planning-map .leaflet-bottom.leaflet-right")
        assert page.inner_text("#planning-map .linli-map-review") == "审图号：GS(2024)0568号"
