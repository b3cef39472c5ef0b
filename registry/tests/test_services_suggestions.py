"""Suggestions to merge idle rooms of the same function [Huli] and to swap unfit rooms [Haining]."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, ValidationFailed
from registry import services
from registry.models import RoomSuggestion, SuggestionKind, SuggestionStatus
from scheduling import services as scheduling_services

from .conftest import make_site

ACTOR = "test"


def site_at(world, community: str, *, lat="24.480000", lon="118.100000", lift=False, name=None):
    return make_site(world.node(community), name=name or f"{community}中心", latitude=Decimal(lat), longitude=Decimal(lon),
                     has_lift=lift, opening_hours={str(d): [["08:00", "21:00"]] for d in range(1, 8)})


def room(site, name, functions, *, floor=1, area="60"):
    return services.room_create(actor=ACTOR, site=site, name=name, area=Decimal(area), floor=floor, functions=functions)


def book_in_the_past(world, some_room, days_ago=3):
    """A booking a few days back, so the room's community records its bookings."""
    day = timezone.localdate() - timedelta(days=days_ago)
    start = datetime.combine(day, datetime.min.time(), tzinfo=timezone.get_current_timezone()).replace(hour=9)
    return scheduling_services.booking_create(actor=world.users["supervisor"], room=some_room, start=start,
                                              end=start + timedelta(hours=1), title="活动", now=start - timedelta(days=1))


def generate(world, within="甲市一区一街"):
    return services.room_suggestions_generate(actor=ACTOR, within=world.node(within))


@pytest.mark.django_db
class TestMerges:
    def test_idle_rooms_of_a_function_in_common_in_one_community_are_suggested_with_their_figures(self, world):
        centre = site_at(world, "甲市一区一街一社")
        small = room(centre, "小活动室", ["elderly_activity"], area="30")
        big = room(centre, "大活动室", ["elderly_activity", "reading_room"], area="80")
        book_in_the_past(world, big)
        assert generate(world) == {"merge": 1, "swap": 0}
        suggestion = RoomSuggestion.objects.get()
        assert (suggestion.kind, suggestion.room, suggestion.keep) == (SuggestionKind.MERGE, small, big)
        assert [r["area"] for r in suggestion.figures["rooms"]] == ["30.00", "80.00"]
        assert suggestion.figures["rooms"][1]["rate"] is not None and suggestion.figures["functions"] == ["老年活动室"]
        assert generate(world) == {"merge": 0, "swap": 0}  # idempotent
        assert RoomSuggestion.objects.count() == 1

    def test_rooms_without_a_function_in_common_are_not_merged(self, world):
        centre = site_at(world, "甲市一区一街一社")
        room(centre, "活动室", ["elderly_activity"])
        book_in_the_past(world, room(centre, "阅览室", ["reading_room"]))
        assert generate(world)["merge"] == 0

    def test_neighbouring_communities_of_a_street_merge_but_distant_ones_do_not(self, world):
        one = room(site_at(world, "甲市一区一街一社"), "活动室", ["elderly_activity"])
        far = room(site_at(world, "甲市一区一街二社", lat="24.520000"), "活动室", ["elderly_activity"])  # about 4.4 km
        book_in_the_past(world, one)
        book_in_the_past(world, far)
        assert generate(world)["merge"] == 0
        near = room(site_at(world, "甲市一区一街二社", lat="24.484000", name="二社第二中心"), "老年室", ["elderly_activity"])
        assert generate(world)["merge"] == 1
        assert {RoomSuggestion.objects.get().room, RoomSuggestion.objects.get().keep} == {one, near}

    def test_no_merge_is_suggested_across_streets(self, world):
        one = room(site_at(world, "甲市一区一街一社"), "活动室", ["elderly_activity"])
        other = room(site_at(world, "甲市一区二街一社", lat="24.480100"), "活动室", ["elderly_activity"])
        book_in_the_past(world, one)
        book_in_the_past(world, other)
        assert generate(world, "甲市一区")["merge"] == 0

    def test_a_merge_across_streets_proposed_by_hand_is_refused_and_nothing_is_written(self, world):
        one = room(site_at(world, "甲市一区一街一社"), "活动室", ["elderly_activity"])
        other = room(site_at(world, "甲市一区二街一社"), "活动室", ["elderly_activity"])
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationFailed) as refused:
            services.room_merge_propose(actor=world.users["supervisor"], room=one, keep=other)
        assert "keep" in refused.value.fields
        assert not RoomSuggestion.objects.exists() and AuditEvent.objects.count() == events

    def test_an_accepted_merge_closes_the_room_and_moves_its_functions_through_the_register(self, world):
        centre = site_at(world, "甲市一区一街一社")
        small = room(centre, "小活动室", ["elderly_activity", "study_room"], area="30")
        big = room(centre, "大活动室", ["elderly_activity"], area="80")
        book_in_the_past(world, big)
        generate(world)
        suggestion = RoomSuggestion.objects.get()
        admin = world.users["street_admin"]
        services.room_suggestion_accept(actor=admin, suggestion=suggestion, note="街道会议决定")
        small.refresh_from_db()
        assert small.closed_on == timezone.localdate() and "大活动室" in small.note and not small.functions.exists()
        assert set(big.functions.values_list("code", flat=True)) == {"elderly_activity", "study_room"}
        assert AuditEvent.objects.filter(action="registry.room.updated", target_id__in=[str(small.pk), str(big.pk)]).count() == 2
        suggestion.refresh_from_db()
        assert suggestion.status == SuggestionStatus.ACCEPTED and suggestion.decided_by == admin
        with pytest.raises(Conflict):
            services.room_suggestion_accept(actor=admin, suggestion=suggestion)


@pytest.mark.django_db
class TestSwaps:
    def test_an_elderly_care_room_upstairs_without_a_lift_is_flagged_with_the_rule_it_fails(self, world):
        upstairs = room(site_at(world, "甲市一区一街一社"), "日间照料室", ["elderly_care"], floor=2)
        room(site_at(world, "甲市一区一街二社", lift=True), "日间照料室", ["elderly_care"], floor=3)
        room(site_at(world, "甲市一区一街二社", name="二社另一处"), "照料室", ["elderly_care"], floor=1)
        assert generate(world) == {"merge": 0, "swap": 1}
        suggestion = RoomSuggestion.objects.get()
        assert suggestion.room == upstairs and suggestion.kind == SuggestionKind.SWAP
        assert suggestion.figures["reasons"] == [{"rule": "registry.room_fit.elderly", "title": suggestion.figures["reasons"][0]["title"],
                                                  "check": "floor", "functions": ["养老服务设施（日间照料）"], "value": 2, "limit": 1}]

    def test_a_childcare_room_below_the_minimum_area_is_flagged(self, world):
        room(site_at(world, "甲市一区一街一社"), "托育室", ["childcare"], area="40")
        generate(world)
        assert RoomSuggestion.objects.get().figures["reasons"][0]["check"] == "area"

    def test_an_accepted_swap_is_written_on_the_room(self, world):
        upstairs = room(site_at(world, "甲市一区一街一社"), "日间照料室", ["elderly_care"], floor=2)
        generate(world)
        services.room_suggestion_accept(actor=world.users["street_admin"], suggestion=RoomSuggestion.objects.get())
        upstairs.refresh_from_db()
        assert upstairs.closed_on is None and "养老服务用房" in upstairs.note

    def test_a_dismissal_needs_a_reason_and_is_not_suggested_again_for_a_while(self, world):
        room(site_at(world, "甲市一区一街一社"), "日间照料室", ["elderly_care"], floor=2)
        generate(world)
        suggestion = RoomSuggestion.objects.get()
        with pytest.raises(ValidationFailed):
            services.room_suggestion_dismiss(actor=world.users["street_admin"], suggestion=suggestion, reason=" ")
        services.room_suggestion_dismiss(actor=world.users["street_admin"], suggestion=suggestion, reason="明年改造加装电梯")
        assert generate(world)["swap"] == 0
        RoomSuggestion.objects.update(decided_at=timezone.now() - timedelta(days=400))
        assert generate(world)["swap"] == 1

    def test_the_clock_makes_the_suggestions_once_a_day(self, world):
        from django.core.cache import cache

        cache.clear()
        room(site_at(world, "甲市一区一街一社"), "日间照料室", ["elderly_care"], floor=2)
        now = timezone.now()
        assert "甲市" in services.room_suggestions_due(now)
        RoomSuggestion.objects.all().delete()
        assert services.room_suggestions_due(now) == ""
