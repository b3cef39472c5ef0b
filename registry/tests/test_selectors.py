from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import selectors, services

from .conftest import make_site


def queries_for(client, url: str) -> int:
    client.get(url)  # warm what is kept between views (the rule pack, the compliance report)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
class TestRegisterSummary:
    def test_each_site_counts_once_however_many_rooms_it_has(self, world):
        community = world.node("甲市一区一街一社")
        centre = make_site(community, area="900", ground="600")
        for n in range(3):
            services.room_create(actor="t", site=centre, name=f"活动室{n}", area=Decimal("50"))
        make_site(community, name="一老一小服务中心", kind="elderly_care", area="700", ground="700")
        summary = selectors.register_summary(user=world.users["street_admin"], within=world.node("甲市一区一街"))
        by_kind = {row["kind"]: (row["n"], row["area"]) for row in summary.by_kind}
        assert by_kind == {"party_mass_centre": (1, Decimal("900")), "elderly_care": (1, Decimal("700"))}
        assert (summary.sites, summary.floor_area, summary.rooms) == (2, Decimal("1600"), 3)
        assert sum(row["n"] for row in summary.by_source) == sum(row["n"] for row in summary.by_class) == 2


@pytest.mark.django_db
class TestOverviewQueries:
    """The overview and the compliance pages cost the same queries however large the register."""

    def add_register(self, world, names):
        for name in names:
            site = make_site(world.node(name), area="700", ground="300", property_source="leased", owner_name="某公司",
                             lease_start="2025-01-01", lease_end="2026-01-01", annual_rent=Decimal("1000"))
            services.room_create(actor="t", site=site, name="大厅", area=Decimal("100"), functions=["party_hall"])

    def test_the_city_overview(self, client, world):
        client.force_login(world.users["city_supervisor"])
        url = f"/registry/{world.node('甲市').code}/"
        self.add_register(world, ["甲市一区一街一社"])
        few = queries_for(client, url)
        self.add_register(world, ["甲市一区一街二社", "甲市一区二街一社", "甲市二区一街一社"])
        assert queries_for(client, url) == few

    def test_the_city_compliance_page(self, client, world):
        client.force_login(world.users["city_supervisor"])
        url = f"/registry/{world.node('甲市').code}/compliance/"
        self.add_register(world, ["甲市一区一街一社"])
        few = queries_for(client, url)
        self.add_register(world, ["甲市一区一街二社", "甲市一区二街一社", "甲市二区一街一社"])
        assert queries_for(client, url) == few

    def test_the_home_dashboard_of_the_city(self, client, world):
        client.force_login(world.users["city_supervisor"])
        self.add_register(world, ["甲市一区一街一社"])
        few = queries_for(client, "/")
        self.add_register(world, ["甲市一区一街二社", "甲市一区二街一社", "甲市二区一街一社"])
        assert queries_for(client, "/") == few
