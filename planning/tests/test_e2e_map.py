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
        assert page.locator(".leaflet-tooltip").count() == scenario.proposed_sites.count()  # each new site is labelled
        assert page.locator("#planning-map canvas").count() >= 1
        text = page.inner_text("main")
        assert "健康站补点" in text and "甲市一区一街一社" in text
        screenshot(page, "planning-scenario-map")
