"""A refusal for a taken time names the booking in the way only to someone who may see it (their
own, or one their role opens); anyone else is told that the time is taken."""

import json

import pytest

from core.errors import Conflict
from scheduling import services
from tests.world import make_user

from .conftest import at


def book(user, room, start, end, title="议事会"):
    return services.booking_create(actor=user, room=room, start=start, end=end, title=title)


def refusal(user, room, start, end) -> str:
    with pytest.raises(Conflict) as refused:
        book(user, room, start, end)
    return str(refused.value.message)


@pytest.fixture
def neighbours_operator_staff(world):
    """The staff of the neighbour community's operator, which serves this community too."""
    operator = world.organisations["甲市一区一街二社服务中心"]
    operator.served_divisions.add(world.node("甲市一区一街一社"))
    return make_user("linshe_yunying", role="operator_staff", organisation=operator)


@pytest.mark.django_db
class TestARefusalNamesOnlyWhatOneMaySee:
    def test_a_resident_is_told_the_time_is_taken_not_another_groups_title(self, world, room):
        book(world.users["community_worker"], room, at(1, 14), at(1, 16), title="党员议事会")
        message = refusal(world.users["resident"], room, at(1, 15), at(1, 17))
        assert "党员议事会" not in message
        assert "14:00" in message and "16:00" in message  # when it is taken may be said: the calendar shows it as busy

    def test_a_resident_is_told_the_title_of_their_own_booking(self, world, room):
        book(world.users["resident"], room, at(1, 14), at(1, 16), title="书法课")
        assert "书法课" in refusal(world.users["resident"], room, at(1, 15), at(1, 17))

    def test_a_neighbour_communitys_user_is_not_told_this_communitys_titles(self, world, room, neighbours_operator_staff):
        book(world.users["community_worker"], room, at(1, 14), at(1, 16), title="党员议事会")
        message = refusal(neighbours_operator_staff, room, at(1, 15), at(1, 17))
        assert "党员议事会" not in message

    def test_nor_is_this_communitys_resident_told_the_neighbours_titles(self, world, room, neighbours_operator_staff):
        book(neighbours_operator_staff, room, at(1, 14), at(1, 16), title="二社长者午餐")
        assert "二社长者午餐" not in refusal(world.users["resident"], room, at(1, 15), at(1, 17))
        # The community's staff, who see every booking of its rooms, are told which one it is.
        assert "二社长者午餐" in refusal(world.users["community_worker"], room, at(1, 15), at(1, 17))

    def test_through_the_api_too(self, client, world, room):
        book(world.users["community_worker"], room, at(1, 14), at(1, 16), title="党员议事会")
        client.force_login(world.users["resident"])
        response = client.post("/api/v1/scheduling/bookings", data=json.dumps(
            {"room_id": room.pk, "starts_at": at(1, 15), "ends_at": at(1, 17), "title": "x"}, default=str), content_type="application/json")
        assert response.status_code == 409 and "党员议事会" not in response.content.decode()
