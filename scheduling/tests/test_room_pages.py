import pytest

from scheduling.views import ROOMS_PER_PAGE

from .conftest import make_room


@pytest.mark.django_db
def test_every_room_of_a_division_is_listed_a_page_at_a_time(client, world):
    community = world.node("甲市一区一街一社")
    site = make_room(community, name="活动室000", area="10").site
    for n in range(1, ROOMS_PER_PAGE + 1):
        make_room(community, name=f"活动室{n:03d}", site=site, area="10")
    client.force_login(world.users["community_worker"])
    first = client.get(f"/scheduling/{community.code}/rooms/").content.decode()
    second = client.get(f"/scheduling/{community.code}/rooms/?page=2").content.decode()
    assert first.count('href="/scheduling/rooms/') == ROOMS_PER_PAGE and "活动室000" in first
    assert second.count('href="/scheduling/rooms/') == 1 and f"活动室{ROOMS_PER_PAGE:03d}" in second
    assert "page=2" in first
