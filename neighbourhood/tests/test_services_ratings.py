"""Residents' stars — of a service they ordered, an activity they took part in, the handling of their feedback —
are their centre's satisfaction in its star rating; a centre's activities are registered for online only while
the street has its online services on, under the city's gate [Quanzhou]."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from registry import services as registry_services
from registry.hours import parse_hours
from registry.models import StarRating
from rulepack.services import default_pack_content, rulepack_load
from tests.world import make_user

from .. import selectors, services
from ..models import ActivityRating
from .conftest import agree, at, make_room, publish, residents

pytestmark = pytest.mark.django_db


def centre_of(community):
    return registry_services.site_create(
        actor="test", division=community, name=f"{community.name}党群服务中心", kind="party_mass_centre", floor_area=Decimal("1500"),
        ground_floor_area=Decimal("900"), independent_entrance=True, property_class="state_admin", property_source="street_owned",
        opening_hours=parse_hours("每天 08:00-21:00"))


def satisfaction(rating: StarRating) -> dict:
    return next(d for d in rating.details if d["indicator"] == "resident_ratings")


def closed_feedback(world, person, community, text="路灯坏了"):
    item = services.feedback_submit(actor=person, category="environment_sanitation", description=text, community=community)
    return services.feedback_update(actor=world.users["community_worker"], request=item, status="resolved", public_note="已修复")


def attended(worker, community, person, *, title="太极拳入门"):
    """An activity two days ago (published the week before) that ``person`` registered for and checked in at."""
    start = at(-2, 9)
    activity = publish(worker, community, title=title, days=-2, hour=9, now=start - timedelta(days=7),
                       registration_closes_at=start - timedelta(hours=1))
    services.registration_create(actor=person, activity=activity, now=start - timedelta(days=3))
    session = activity.sessions.get()
    services.check_in(actor=worker, session=session, registration=activity.registrations.get(user=person),
                      now=start + timedelta(minutes=5))
    return activity


def test_satisfaction_is_the_stars_residents_gave_orders_activities_and_feedback(world, community, worker, resident):
    centre = centre_of(community)
    before = satisfaction(registry_services.star_rating_recompute(site=centre))
    assert (before["value"], before["ratings"]) == (0.0, 0)

    people = [resident, *residents(world, 3)]
    for person, stars in zip(people, [5, 4, 5, 4], strict=True):
        services.feedback_rate(actor=person, request=closed_feedback(world, person, community), stars=stars)
    operator = world.organisations["甲市一区一街一社服务中心"]
    order = services.order_place(actor=people[1], service=agree(world, community, operator, name="助浴服务", category="elderly_child"),
                                 title="", details="助浴")
    services.order_accept(actor=world.users["operator_staff"], order=order, operator=operator)
    services.order_deliver(actor=world.users["operator_staff"], order=order, people_served=1)
    services.order_rate(actor=people[1], order=order, rating=3)
    assert satisfaction(registry_services.star_rating_recompute(site=centre))["ratings"] == 5  # four and one: not yet enough

    activity = attended(worker, community, people[2])
    services.activity_rate(actor=people[2], activity=activity, stars=5)
    rating = registry_services.star_rating_recompute(site=centre)
    shown = satisfaction(rating)
    assert (shown["ratings"], shown["average"], shown["value"], shown["points"]) == (6, 4.3, 0.86, 12.9)  # 26 stars / 6
    # Stars given next door do not count for this centre.
    next_door = world.node("甲市一区一街二社")
    neighbour = residents(world, 1, "甲市一区一街二社", prefix="linju")[0]
    item = services.feedback_submit(actor=neighbour, category="environment_sanitation", description="路灯坏了")
    services.feedback_update(actor=make_user("sq_erhshe", role="community_worker", division=next_door), request=item,
                             status="resolved", public_note="已修复")
    services.feedback_rate(actor=neighbour, request=item, stars=1)
    assert satisfaction(registry_services.star_rating_recompute(site=centre))["ratings"] == 6


def test_with_too_few_ratings_the_assessors_survey_counts(world, community, resident):
    centre = centre_of(community)
    services.feedback_rate(actor=resident, request=closed_feedback(world, resident, community), stars=5)
    registry_services.star_evidence_record(actor=world.users["supervisor"], site=centre, criterion="resident_satisfaction",
                                           score=Decimal("0.8"), evidence="随机抽访居民30户", assessed_on=timezone.localdate())
    shown = satisfaction(registry_services.star_rating_recompute(site=centre))
    assert (shown["ratings"], shown["survey"], shown["value"]) == (1, True, 0.8)


def test_a_rating_recomputes_the_centres_serving_the_community_after_the_commit(world, community, resident,
                                                                                  django_capture_on_commit_callbacks):
    centre = centre_of(community)
    registry_services.star_rating_recompute(site=centre)
    people = [resident, *residents(world, 4)]
    items = [closed_feedback(world, person, community) for person in people]
    with django_capture_on_commit_callbacks(execute=True):
        for person, item in zip(people, items, strict=True):
            services.feedback_rate(actor=person, request=item, stars=4)
    current = StarRating.objects.get(site=centre, is_current=True)
    assert satisfaction(current)["average"] == 4.0 and StarRating.objects.filter(site=centre).count() == 2


class TestActivityRating:
    def test_only_who_took_part_rates_once_after_the_session(self, world, community, worker, resident):
        activity = attended(worker, community, resident)
        bystander = residents(world, 1)[0]
        with pytest.raises(PermissionDenied):
            services.activity_rate(actor=bystander, activity=activity, stars=5)
        session_end = activity.sessions.get().ends_at
        with pytest.raises(Conflict):
            services.activity_rate(actor=resident, activity=activity, stars=5, now=session_end - timedelta(minutes=1))
        with pytest.raises(ValidationFailed) as refused:
            services.activity_rate(actor=resident, activity=activity, stars=6, now=session_end)
        assert str(refused.value.fields["stars"][0]) == "请给1至5星。"
        rating = services.activity_rate(actor=resident, activity=activity, stars=4, comment="老师很耐心", now=session_end)
        assert (rating.stars, rating.comment) == (4, "老师很耐心")
        with pytest.raises(Conflict) as again:
            services.activity_rate(actor=resident, activity=activity, stars=5, now=session_end)
        assert again.value.message == "您已评价过该活动。" and ActivityRating.objects.count() == 1
        assert AuditEvent.objects.filter(action="neighbourhood.activity.rated").count() == 1
        with pytest.raises(Conflict):
            services.activity_rate(actor=resident, activity=activity, stars=5, now=session_end + timedelta(days=31))

    def test_the_activity_page_offers_the_rating_to_who_took_part(self, client, world, community, worker, resident):
        activity = attended(worker, community, resident)
        client.force_login(resident)
        with_form = client.get(f"/neighbourhood/activities/{activity.pk}/").content.decode()
        assert "活动怎么样？" in with_form
        response = client.post(f"/neighbourhood/activities/{activity.pk}/", {"rate": "1", "rating": "5", "comment": "很好"}, follow=True)
        assert "感谢您的评价" in response.content.decode() and ActivityRating.objects.get().stars == 5
        assert "我的评价" in client.get(f"/neighbourhood/activities/{activity.pk}/").content.decode()

    def test_through_the_api(self, client, world, community, worker, resident):
        activity = attended(worker, community, resident)
        client.force_login(resident)
        url = f"/api/v1/neighbourhood/activities/{activity.pk}/rating"
        bad = client.post(url, data=json.dumps({"stars": 0}), content_type="application/json")
        assert bad.status_code == 422 and bad.json()["fields"]["stars"] == ["请给1至5星。"]
        done = client.post(url, data=json.dumps({"stars": 4, "comment": "不错"}), content_type="application/json")
        assert done.status_code == 201 and done.json()["stars"] == 4
        assert client.post(url, data=json.dumps({"stars": 4}), content_type="application/json").status_code == 409


class TestFeedbackRating:
    def test_the_resident_rates_the_handling_once_it_is_closed(self, world, community, resident):
        item = services.feedback_submit(actor=resident, category="environment_sanitation", description="垃圾未清运")
        with pytest.raises(Conflict):
            services.feedback_rate(actor=resident, request=item, stars=5)
        services.feedback_update(actor=world.users["community_worker"], request=item, status="resolved", public_note="已清运")
        with pytest.raises(PermissionDenied):
            services.feedback_rate(actor=world.users["community_worker"], request=item, stars=5)
        rated = services.feedback_rate(actor=resident, request=item, stars=2, comment="处理太慢")
        assert (rated.satisfaction, rated.satisfaction_comment) == (2, "处理太慢") and rated.rated_at is not None
        with pytest.raises(Conflict) as again:
            services.feedback_rate(actor=resident, request=item, stars=5)
        assert again.value.message == "您已评价过该诉求的办理情况。"

    def test_on_the_page_and_through_the_api(self, client, world, community, resident):
        item = closed_feedback(world, resident, community)
        client.force_login(resident)
        assert "办理情况满意吗？" in client.get(f"/neighbourhood/feedback/{item.pk}/").content.decode()
        page = client.post(f"/neighbourhood/feedback/{item.pk}/", {"rate": "1", "rating": "4"}, follow=True).content.decode()
        assert "感谢您的评价" in page and "办理评价" in page
        other = closed_feedback(world, resident, community, text="井盖松动")
        response = client.post(f"/api/v1/neighbourhood/feedback/{other.pk}/rating", data=json.dumps({"stars": 5}),
                               content_type="application/json")
        assert response.status_code == 200 and response.json()["satisfaction"] == 5


def lower_the_bar(world):
    """The city rates its centres on lower scores (a pilot), so a plain test centre reaches four stars."""
    content = default_pack_content().replace("stars_at = [40, 55, 70, 80, 90]", "stars_at = [10, 20, 30, 40, 50]")
    rulepack_load(actor=world.users["city_supervisor"], city=world.node("甲市"), content=content, note="试点降低分值")


class TestOnlineRegistration:
    def test_a_centres_activities_are_registered_for_online_only_while_it_is_on(self, client, world, community, worker, resident):
        centre = centre_of(community)
        hall = make_room(community, name="多功能厅", site=centre)
        activity = publish(worker, community, room=hall, title="书法班")
        registry_services.star_rating_recompute(site=centre)
        assert selectors.registration_offer(user=resident, activity=activity) == "offline"
        with pytest.raises(Conflict) as refused:
            services.registration_create(actor=resident, activity=activity)
        assert refused.value.message == "甲市一区一街一社党群服务中心尚未开通在线服务，请到中心现场报名。"
        client.force_login(resident)
        assert "尚未开通在线服务" in client.get(f"/neighbourhood/activities/{activity.pk}/").content.decode()
        assert "本中心尚未开通在线服务" in client.get("/neighbourhood/").content.decode()

        lower_the_bar(world)
        assert registry_services.star_rating_recompute(site=centre).stars >= 4
        registry_services.online_services_switch(actor=world.users["street_admin"], site=centre, on=True)
        assert selectors.registration_offer(user=resident, activity=activity) == "register"
        assert services.registration_create(actor=resident, activity=activity).status == "registered"
        assert "智慧邻里在线服务已开通" in client.get("/neighbourhood/").content.decode()

    def test_activities_elsewhere_are_not_gated(self, world, community, worker, resident, room):
        centre_of(community)
        activity = publish(worker, community, room=room, title="绘本故事会")  # at the service station
        outdoors = publish(worker, community, title="广场舞", days=4)
        assert selectors.registration_offer(user=resident, activity=activity) == "register"
        assert selectors.registration_offer(user=resident, activity=outdoors) == "register"
