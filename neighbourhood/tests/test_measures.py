"""What supervision reads of the smart neighbourhood (``neighbourhood/measures.py``): needs met, person-times,
feedback closed on time and residents' satisfaction, per community over a month — each built through the
module's services and equal to what the module's own pages and selectors show."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.measures import MEASURES, Month
from org.models import Division, DivisionLevel
from registry.selectors import resident_ratings
from supervision.services import roll_up
from tests.world import make_user

from .. import selectors, services
from ..ratings import stars_given

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MARCH, FEBRUARY, APRIL = Month(date(2026, 3, 1)), Month(date(2026, 2, 1)), Month(date(2026, 4, 1))


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def compute(code: str, month: Month, city: Division) -> dict:
    return MEASURES[code].compute(city, month)


@pytest.fixture
def city(world):
    return world.node("甲市")


@pytest.fixture
def street(world):
    return world.node("甲市一区一街")


@pytest.fixture
def next_door(world):
    return world.node("甲市一区一街二社")


@pytest.fixture
def next_door_worker(next_door):
    return make_user("sq_ershe", role="community_worker", division=next_door)


def need(actor, community, title: str):
    return services.need_record(actor=actor, community=community, kind=selectors.need_kinds().get(code="elderly_meals"), title=title)


def feedback(person, *, submitted: datetime, closed: datetime | None = None, by=None, status: str = "resolved",
             category: str = "environment_sanitation"):
    """A request of ``person``'s community (environment_sanitation: closed within 3 days by the community)."""
    item = services.feedback_submit(actor=person, category=category, description="路灯坏了", now=submitted)
    if closed is not None:
        item = services.feedback_update(actor=by, request=item, status=status, public_note="已处理", now=closed)
    return item


def activity_attended(staff, place, people, *, starts: datetime, title: str = "太极拳入门"):
    """An activity at ``place`` (a community or a street) whose one session starts at ``starts``; each of
    ``people`` (a person and the places they take) registered and was checked in by ``staff``."""
    activity = services.activity_publish(
        actor=staff, community=place, title=title, category="food_recreation", capacity=10, starts_at=starts,
        ends_at=starts + timedelta(minutes=90), place="社区广场", places_per_registration=2, now=starts - timedelta(days=10))
    session = activity.sessions.get()
    for person, places in people:
        registration = services.registration_create(actor=person, activity=activity, places=places, now=starts - timedelta(days=3))
        services.check_in(actor=staff, session=session, registration=registration, now=starts + timedelta(minutes=5))
    return activity


def test_needs_met_are_those_met_in_the_month_over_those_closed_in_it(world, city, community, worker, next_door, next_door_worker,
                                                                      client):
    met, met_later, declined, met_in_february, still_open, reopened = (need(worker, community, f"需求{i}") for i in range(6))
    services.need_mark(actor=worker, need=met, status="met", note="社区食堂已开餐", now=local(3, 5, 10))
    services.need_mark(actor=worker, need=met_later, status="met", note="已引入助餐机构", now=local(3, 20, 10))
    services.need_mark(actor=worker, need=declined, status="declined", note="场地不足", now=local(3, 25, 10))
    services.need_mark(actor=worker, need=met_in_february, status="met", note="已解决", now=local(2, 27, 10))
    services.need_mark(actor=worker, need=reopened, status="met", note="已解决", now=local(3, 10, 10))
    services.need_mark(actor=worker, need=reopened, status="open", now=local(3, 12, 10))  # not met after all
    services.need_mark(actor=worker, need=still_open, status="planned", now=local(3, 15, 10))
    services.need_mark(actor=next_door_worker, need=need(next_door_worker, next_door, "隔壁的需求"), status="met", note="已解决",
                       now=local(3, 8, 10))

    assert compute("neighbourhood.needs_met", MARCH, city) == {community.pk: (2, 3), next_door.pk: (1, 1)}
    assert compute("neighbourhood.needs_met", FEBRUARY, city) == {community.pk: (1, 1)}
    # The records behind it: the community's met needs on its needs page.
    url = MEASURES["neighbourhood.needs_met"].records(community, MARCH)
    assert url == f"/neighbourhood/staff/{community.code}/needs/?status=met"
    client.force_login(worker)
    shown = {n.title for n in client.get(url).context["needs"]}
    assert shown == {"需求0", "需求1", "需求3"}


def test_person_times_are_the_places_checked_in_as_the_person_times_page_counts_them(
        world, city, street, community, worker, resident, next_door, next_door_worker, client):
    first, second = resident, make_user("jumin1", role="resident", division=community)
    activity_attended(worker, community, [(first, 2), (second, 1)], starts=local(3, 14, 9))
    activity_attended(worker, community, [(second, 1)], starts=local(2, 14, 9), title="二月的课")  # February's
    # The street's own activity, for all its communities: the street's figure.
    activity_attended(world.users["street_admin"], street, [(first, 1)], starts=local(3, 20, 9), title="街道运动会")
    activity_attended(next_door_worker, next_door, [(world.users["resident_b"], 1)], starts=local(3, 21, 9), title="隔壁的课")

    figures = compute("neighbourhood.person_times", MARCH, city)
    communities = set(Division.objects.filter(path__under=city.path, level=DivisionLevel.COMMUNITY).values_list("pk", flat=True))
    assert set(figures) == communities | {street.pk} and len(communities) == 8
    assert (figures[community.pk], figures[next_door.pk], figures[street.pk]) == ((3, None), (1, None), (1, None))
    assert all(figures[pk] == (0, None) for pk in communities - {community.pk, next_door.pk})
    assert compute("neighbourhood.person_times", FEBRUARY, city)[community.pk] == (1, None)

    # One truth: the community's figure is its person-times page's, and the street's (rolled up) is the street's page's.
    url = MEASURES["neighbourhood.person_times"].records(community, MARCH)
    assert url == f"/neighbourhood/staff/{community.code}/person-times/?since=2026-03-01&until=2026-03-31"
    client.force_login(worker)
    assert client.get(url).context["total"] == figures[community.pk][0] == selectors.person_times_total(
        user=worker, within=community, since=MARCH.since, until=MARCH.last)
    divisions = list(Division.objects.filter(path__under=city.path).values_list("pk", "path"))
    rolled = roll_up(figures, dict(divisions), {path: pk for pk, path in divisions})
    assert rolled[street.pk][0] == 5 == selectors.person_times_total(user=world.users["street_admin"], within=street,
                                                                      since=MARCH.since, until=MARCH.last)


def test_feedback_on_time_is_closed_by_its_deadline_over_closed_in_the_month(world, city, community, worker, resident, next_door,
                                                                            next_door_worker):
    feedback(resident, submitted=local(3, 2, 10), closed=local(3, 4, 10), by=worker)  # 2 days of 3: on time
    feedback(resident, submitted=local(3, 3, 10), closed=local(3, 10, 10), by=worker)  # 7 days: late
    feedback(resident, submitted=local(3, 11, 10), closed=local(3, 14, 10), by=worker)  # exactly at the deadline: on time
    feedback(resident, submitted=local(3, 20, 10), closed=local(3, 21, 10), by=worker, status="rejected")  # closed too
    feedback(resident, submitted=local(3, 1, 10), closed=local(3, 9, 10), by=world.users["street_admin"],
             category="road_drainage")  # the street's to close, within 10 days: the community's request, on time
    feedback(resident, submitted=local(2, 20, 10), closed=local(2, 26, 10), by=worker)  # February's, late
    feedback(resident, submitted=local(3, 25, 10))  # still open
    feedback(world.users["resident_b"], submitted=local(3, 5, 10), closed=local(3, 6, 10), by=next_door_worker)

    march = compute("neighbourhood.feedback_on_time", MARCH, city)
    february = compute("neighbourhood.feedback_on_time", FEBRUARY, city)
    assert march == {community.pk: (4, 5), next_door.pk: (1, 1)}
    assert february == {community.pk: (0, 1)}
    # One truth: over both months, the feedback page's "closed on time" and its count of closed requests.
    shown = selectors.feedback_figures(user=worker, within=community)
    on_time, closed = (march[community.pk][i] + february[community.pk][i] for i in (0, 1))
    assert (shown["closed"], shown["on_time_share"]) == (closed, round(float(on_time / closed), 3)) == (6, 0.667)
    assert MEASURES["neighbourhood.feedback_on_time"].records(community, MARCH) == \
        f"/neighbourhood/staff/{community.code}/feedback/?status=resolved"


def test_satisfaction_is_the_stars_residents_gave_in_the_month_over_their_ratings(world, city, street, community, worker, resident,
                                                                                 next_door, next_door_worker):
    second = make_user("jumin1", role="resident", division=community)
    rated_well = feedback(resident, submitted=local(3, 2, 10), closed=local(3, 3, 10), by=worker)
    rated_badly = feedback(resident, submitted=local(3, 4, 10), closed=local(3, 5, 10), by=worker)
    services.feedback_rate(actor=resident, request=rated_well, stars=5, now=local(3, 4, 10))
    services.feedback_rate(actor=resident, request=rated_badly, stars=2, now=local(3, 6, 10))
    in_february = feedback(resident, submitted=local(2, 2, 10), closed=local(2, 3, 10), by=worker)
    services.feedback_rate(actor=resident, request=in_february, stars=1, now=local(2, 4, 10))
    operator = world.organisations["甲市一区一街一社服务中心"]
    order = services.order_place(actor=resident, category="living_environment", title="修水管", operator=operator, now=local(3, 1, 9))
    services.order_accept(actor=world.users["operator_staff"], order=order, operator=operator, now=local(3, 1, 10))
    services.order_deliver(actor=world.users["operator_staff"], order=order, people_served=1, now=local(3, 2, 10))
    services.order_rate(actor=resident, order=order, rating=4, now=local(3, 3, 10))
    course = activity_attended(worker, community, [(second, 1)], starts=local(3, 14, 9))
    services.activity_rate(actor=second, activity=course, stars=3, now=local(3, 14, 11))
    games = activity_attended(world.users["street_admin"], street, [(second, 1)], starts=local(3, 20, 9), title="街道运动会")
    services.activity_rate(actor=second, activity=games, stars=5, now=local(3, 20, 11))
    elsewhere = feedback(world.users["resident_b"], submitted=local(3, 5, 10), closed=local(3, 6, 10), by=next_door_worker)
    services.feedback_rate(actor=world.users["resident_b"], request=elsewhere, stars=1, now=local(3, 7, 10))

    figures = compute("neighbourhood.satisfaction", MARCH, city)
    assert figures == {community.pk: (5 + 2 + 4 + 3, 4), street.pk: (5, 1), next_door.pk: (1, 1)}
    assert compute("neighbourhood.satisfaction", FEBRUARY, city) == {community.pk: (1, 1)}
    # One truth: the stars the star rating of the community's centres reads, here and at the street.
    since, until = local(3, 1, 0), local(4, 1, 0)
    assert stars_given(community.path, since, until) == (4, 14)
    divisions = list(Division.objects.filter(path__under=city.path).values_list("pk", "path"))
    rolled = roll_up(figures, dict(divisions), {path: pk for pk, path in divisions})
    assert tuple(rolled[street.pk][:2]) == (20, 6)
    assert resident_ratings(division=street, since=since, until=until) == (6, 20) == stars_given(street.path, since, until)


def test_a_neighbours_records_count_for_the_neighbour_only(world, city, community, next_door, next_door_worker):
    neighbour = world.users["resident_b"]
    services.need_mark(actor=next_door_worker, need=need(next_door_worker, next_door, "隔壁的需求"), status="met", note="已解决",
                       now=local(3, 8, 10))
    rated = feedback(neighbour, submitted=local(3, 5, 10), closed=local(3, 6, 10), by=next_door_worker)
    services.feedback_rate(actor=neighbour, request=rated, stars=4, now=local(3, 7, 10))
    activity_attended(next_door_worker, next_door, [(neighbour, 2)], starts=local(3, 21, 9))
    # And another city's.
    other = world.node("乙市一区一街一社")
    other_worker = make_user("sq_yi", role="community_worker", division=other)
    other_resident = make_user("jumin_yi", role="resident", division=other)
    feedback(other_resident, submitted=local(3, 5, 10), closed=local(3, 6, 10), by=other_worker)
    activity_attended(other_worker, other, [(other_resident, 1)], starts=local(3, 21, 9))

    assert compute("neighbourhood.needs_met", MARCH, city) == {next_door.pk: (1, 1)}
    assert compute("neighbourhood.feedback_on_time", MARCH, city) == {next_door.pk: (1, 1)}
    assert compute("neighbourhood.satisfaction", MARCH, city) == {next_door.pk: (4, 1)}
    person_times = compute("neighbourhood.person_times", MARCH, city)
    assert (person_times[community.pk], person_times[next_door.pk], other.pk in person_times) == ((0, None), (2, None), False)
    other_city = world.node("乙市")
    assert compute("neighbourhood.feedback_on_time", MARCH, other_city) == {other.pk: (1, 1)}
    assert compute("neighbourhood.person_times", MARCH, other_city)[other.pk] == (1, None)


def test_what_happens_just_after_local_midnight_of_the_first_is_of_the_new_month(world, city, community, worker, resident):
    just_after = local(4, 1, 0, 30)  # 00:30 in Shanghai: 16:30 UTC on 31 March
    just_before = local(3, 31, 23, 30)
    late_in_march = feedback(resident, submitted=local(3, 30, 10), closed=just_before, by=worker)
    first_of_april = feedback(resident, submitted=local(3, 30, 11), closed=just_after, by=worker)
    assert first_of_april.closed_at.astimezone(ZoneInfo("UTC")) == datetime(2026, 3, 31, 16, 30, tzinfo=ZoneInfo("UTC"))
    services.feedback_rate(actor=resident, request=late_in_march, stars=5, now=just_before)
    services.feedback_rate(actor=resident, request=first_of_april, stars=3, now=just_after)
    services.need_mark(actor=worker, need=need(worker, community, "夜里满足的需求"), status="met", note="已解决", now=just_after)
    activity_attended(worker, community, [(resident, 2)], starts=just_after, title="跨年夜观星")

    assert compute("neighbourhood.feedback_on_time", MARCH, city) == {community.pk: (1, 1)}
    assert compute("neighbourhood.feedback_on_time", APRIL, city) == {community.pk: (1, 1)}
    assert compute("neighbourhood.satisfaction", MARCH, city) == {community.pk: (5, 1)}
    assert compute("neighbourhood.satisfaction", APRIL, city) == {community.pk: (3, 1)}
    assert compute("neighbourhood.needs_met", MARCH, city) == {}
    assert compute("neighbourhood.needs_met", APRIL, city) == {community.pk: (1, 1)}
    assert compute("neighbourhood.person_times", MARCH, city)[community.pk] == (0, None)
    assert compute("neighbourhood.person_times", APRIL, city)[community.pk] == (2, None)


def test_each_measure_takes_a_few_queries_for_the_whole_city_however_many_communities(
        world, city, community, worker, resident, next_door, next_door_worker, django_assert_num_queries):
    for person, staff in ((resident, worker), (world.users["resident_b"], next_door_worker)):
        rated = feedback(person, submitted=local(3, 2, 10), closed=local(3, 3, 10), by=staff)
        services.feedback_rate(actor=person, request=rated, stars=4, now=local(3, 4, 10))
        activity_attended(staff, rated.community, [(person, 1)], starts=local(3, 14, 9))
    for code, queries in (("neighbourhood.needs_met", 1), ("neighbourhood.person_times", 2), ("neighbourhood.feedback_on_time", 1),
                          ("neighbourhood.satisfaction", 3)):
        with django_assert_num_queries(queries):
            compute(code, MARCH, city)
