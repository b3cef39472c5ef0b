"""The rules of volunteers.services, each with a test that fails when the rule is removed."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from tests.world import make_user
from volunteers import selectors, services
from volunteers.models import (
    ApplicationStatus,
    HoursMonthTotal,
    RecordStatus,
    ServiceRecord,
    Volunteer,
)

from .conftest import signed

pytestmark = pytest.mark.django_db


def test_a_resident_signs_up_with_consent_recorded(volunteer, resident):
    assert volunteer.consented_at is not None and volunteer.agreement_version
    assert volunteer.skills == ["elderly_care"] and volunteer.availability == ["6:morning"]
    assert AuditEvent.objects.filter(action="volunteers.volunteer.registered", actor=resident).exists()


def test_signing_up_needs_consent(resident, community):
    with pytest.raises(ValidationFailed) as error:
        services.volunteer_register(actor=resident, community=community, real_name="王", phone="13800001111", skills=["repair"],
                                    availability=[], consent=False)
    assert "consent" in error.value.fields
    assert not Volunteer.objects.exists()


def test_signing_up_checks_skills_availability_phone_and_id(resident, community):
    base = {"actor": resident, "community": community, "real_name": "王", "phone": "13800001111", "skills": ["repair"],
            "availability": [], "consent": True}
    for change, field in (({"skills": ["juggling"]}, "skills"), ({"skills": []}, "skills"), ({"availability": ["8:morning"]}, "availability"),
                          ({"phone": "12345"}, "phone"), ({"id_number": "350102199001011235"}, "id_number")):
        with pytest.raises(ValidationFailed) as error:
            services.volunteer_register(**{**base, **change})
        assert field in error.value.fields
    assert services.volunteer_register(**base, id_number="11010519491231002X").id_number == "11010519491231002X"


def test_only_residents_of_the_community_sign_up_there(world, resident):
    with pytest.raises(PermissionDenied):
        services.volunteer_register(actor=resident, community=world.node("甲市一区一街二社"), real_name="王", phone="13800001111",
                                    skills=["repair"], availability=[], consent=True)


def test_signing_up_twice_is_refused(volunteer, resident, community):
    with pytest.raises(Conflict):
        services.volunteer_register(actor=resident, community=community, real_name="王", phone="13800001111", skills=["repair"],
                                    availability=[], consent=True)


def test_an_auto_accepting_opportunity_never_takes_more_than_its_places(opportunity, community, volunteer, resident, now):
    others = [make_user(f"r{i}", role="resident", division=community) for i in range(2)]
    for person in others:
        services.volunteer_register(actor=person, community=community, real_name="李", phone="13800002222", skills=["repair"],
                                    availability=[], consent=True)
    services.application_submit(actor=others[0], opportunity=opportunity, now=now)
    services.application_submit(actor=others[1], opportunity=opportunity, now=now)
    with pytest.raises(Conflict) as error:
        services.application_submit(actor=resident, opportunity=opportunity, now=now)
    assert error.value.code == "full"
    opportunity.refresh_from_db()
    assert opportunity.accepted_count == 2


def test_applying_twice_is_refused(accepted, resident, opportunity, now):
    with pytest.raises(Conflict):
        services.application_submit(actor=resident, opportunity=opportunity, now=now)


def test_the_organiser_decides_applications(worker, community, volunteer, resident, now):
    item = services.opportunity_publish(actor=worker, community=community, title="巡逻", places=1, starts_at=now + timedelta(hours=1),
                                        ends_at=now + timedelta(hours=2), place="北门", now=now)
    application = services.application_submit(actor=resident, opportunity=item, now=now)
    assert application.status == ApplicationStatus.APPLIED
    with pytest.raises(PermissionDenied):
        services.application_decide(actor=resident, application=application, accept=True)
    services.application_decide(actor=worker, application=application, accept=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED


def test_sign_in_needs_the_current_code(accepted, resident, opportunity, now):
    with pytest.raises(ValidationFailed):
        services.sign_in(actor=resident, opportunity=opportunity, code="000000" if services.sign_code(opportunity, now) != "000000" else "1",
                         now=now)
    stale = services.sign_code(opportunity, now - timedelta(minutes=10))
    if stale != services.sign_code(opportunity, now) and stale != services.sign_code(opportunity, now - timedelta(seconds=60)):
        with pytest.raises(ValidationFailed):
            services.sign_in(actor=resident, opportunity=opportunity, code=stale, now=now)
    assert not ServiceRecord.objects.exists()


def test_sign_in_needs_an_accepted_application(volunteer, resident, opportunity, now):
    with pytest.raises(Conflict) as error:
        services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    assert error.value.code == "not_accepted"


def test_sign_in_only_around_the_opportunitys_time(accepted, resident, opportunity, now):
    late = opportunity.ends_at + timedelta(minutes=1)
    with pytest.raises(Conflict) as error:
        services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, late), now=late)
    assert error.value.code == "sign_in_closed"


def _set_city_parameter(key: str, value) -> None:
    from rulepack import selectors as rule_selectors
    from rulepack.models import Rule

    Rule.objects.filter(pack__city__name="甲市", pack__is_active=True, key=key).update(params={"value": value})
    rule_selectors._RULES_BY_PACK.clear()


def test_the_citys_pack_sets_when_signing_in_opens_and_signing_out_closes(accepted, resident, opportunity, now):
    early = opportunity.starts_at - timedelta(minutes=45)
    with pytest.raises(Conflict) as error:
        services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, early), now=early)
    assert error.value.code == "sign_in_closed"
    try:
        _set_city_parameter("volunteers.sign_in_opens_minutes_before", 60)
        _set_city_parameter("volunteers.sign_out_grace_hours", 0.5)
        services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, early), now=early)
        late = opportunity.ends_at + timedelta(minutes=40)
        with translation.override("zh-hans"), pytest.raises(Conflict) as error:
            services.sign_out(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, late), now=late)
        assert error.value.code == "sign_out_closed"
        assert timezone.localtime(opportunity.ends_at + timedelta(minutes=30)).strftime("%H:%M") in str(error.value.message)
    finally:
        from rulepack import selectors as rule_selectors

        rule_selectors._RULES_BY_PACK.clear()


def test_the_code_changes_as_often_as_the_citys_pack_says(opportunity, now):
    assert services.code_period(opportunity) == 60
    try:
        _set_city_parameter("volunteers.sign_code_seconds", 600)
        start = now.replace(minute=now.minute - now.minute % 10, second=0)
        assert services.sign_code(opportunity, start) == services.sign_code(opportunity, start + timedelta(minutes=9))
        assert services.sign_code_valid(opportunity, services.sign_code(opportunity, start), start + timedelta(minutes=19))
    finally:
        from rulepack import selectors as rule_selectors

        rule_selectors._RULES_BY_PACK.clear()


def test_signing_in_twice_is_refused(accepted, resident, opportunity, now):
    services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    with pytest.raises(Conflict) as error:
        services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    assert error.value.code == "already_signed_in"
    assert ServiceRecord.objects.count() == 1


def test_signing_out_before_signing_in_is_refused(accepted, resident, opportunity, now):
    with pytest.raises(Conflict) as error:
        services.sign_out(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    assert error.value.code == "not_signed_in"
    assert str(error.value.message) and not ServiceRecord.objects.exists()


def test_signing_out_twice_is_refused(accepted, resident, opportunity, now):
    record = signed(resident, opportunity, now)
    later = now + timedelta(hours=2, minutes=5)
    with pytest.raises(Conflict) as error:
        services.sign_out(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, later), now=later)
    assert error.value.code == "already_signed_out"
    record.refresh_from_db()
    assert record.minutes == 120 and record.status == RecordStatus.PENDING


def test_only_an_organiser_confirms_hours(accepted, resident, opportunity, now, world):
    record = signed(resident, opportunity, now)
    for outsider in (resident, world.users["operator_staff"], make_user("w2", role="community_worker", division=world.node("甲市一区一街二社"))):
        with pytest.raises(PermissionDenied):
            services.record_confirm(actor=outsider, record=record)
    record.refresh_from_db()
    assert record.status == RecordStatus.PENDING
    assert Volunteer.objects.get().confirmed_minutes == 0


def test_an_operators_opportunity_is_confirmed_by_its_staff_only(world, community, volunteer, resident, now, worker):
    operator_user = world.users["operator_staff"]
    operator = operator_user.role_assignments.get().organisation
    item = services.Opportunity.objects.create(
        community=community, organiser=operator, title="义诊", places=3, auto_accept=True, starts_at=now, ends_at=now + timedelta(hours=3),
        place="广场", code_secret="s", created_by=operator_user, created_at=now)
    services.application_submit(actor=resident, opportunity=item, now=now)
    record = signed(resident, item, now)
    with pytest.raises(PermissionDenied):
        services.record_confirm(actor=worker, record=record)
    services.record_confirm(actor=operator_user, record=record)
    assert Volunteer.objects.get().confirmed_minutes == 120


def test_confirmed_hours_join_the_time_bank_and_the_months_total(accepted, resident, opportunity, now, worker):
    record = signed(resident, opportunity, now)
    services.record_confirm(actor=worker, record=record, minutes=90)
    volunteer = Volunteer.objects.get()
    assert volunteer.confirmed_minutes == 90
    assert HoursMonthTotal.objects.get().minutes == 90
    assert selectors.volunteers_unreconciled() == [] and selectors.month_totals_unreconciled() == []
    assert selectors.time_bank(volunteer).confirmed == volunteer.hours
    with pytest.raises(Conflict):
        services.record_confirm(actor=worker, record=record)
    assert Volunteer.objects.get().confirmed_minutes == 90


def test_the_organiser_cannot_confirm_more_than_was_signed(accepted, resident, opportunity, now, worker):
    record = signed(resident, opportunity, now)
    with pytest.raises(ValidationFailed):
        services.record_confirm(actor=worker, record=record, minutes=121)
    assert Volunteer.objects.get().confirmed_minutes == 0


def test_hours_cannot_be_confirmed_before_signing_out(accepted, resident, opportunity, now, worker):
    record = services.sign_in(actor=resident, opportunity=opportunity, code=services.sign_code(opportunity, now), now=now)
    with pytest.raises(Conflict):
        services.record_confirm(actor=worker, record=record)


def test_rejected_hours_add_nothing(accepted, resident, opportunity, now, worker):
    record = signed(resident, opportunity, now)
    services.record_reject(actor=worker, record=record, reason="未到岗")
    assert Volunteer.objects.get().confirmed_minutes == 0 and not HoursMonthTotal.objects.exists()


def test_hours_add_up_by_street_and_district(accepted, resident, opportunity, now, worker, world):
    services.record_confirm(actor=worker, record=signed(resident, opportunity, now))
    district = selectors.hours_by_division(within=world.node("甲市一区"))
    assert {r.division.name: r.hours for r in district}["甲市一区一街"] == 2
    assert selectors.district_totals(within=world.node("甲市一区"))["total"] == 120


def test_the_organiser_closes_a_forgotten_sign_out(accepted, resident, opportunity, now, worker):
    from django.utils import timezone

    start = timezone.now() - timedelta(hours=3)
    record = ServiceRecord.objects.create(volunteer=accepted.volunteer, opportunity=opportunity, community=opportunity.community,
                                          signed_in_at=start)
    with pytest.raises(ValidationFailed):
        services.record_close(actor=worker, record=record, signed_out_at=start - timedelta(minutes=1))
    services.record_close(actor=worker, record=record, signed_out_at=start + timedelta(hours=1))
    record.refresh_from_db()
    assert record.minutes == 60 and record.status == RecordStatus.PENDING


def test_a_team_is_joined_once(worker, community, volunteer, resident):
    team = services.team_create(actor=worker, community=community, name="红马甲")
    services.team_join(actor=resident, team=team)
    with pytest.raises(Conflict):
        services.team_join(actor=resident, team=team)


def test_building_heads_are_volunteers_at_a_grid_of_their_community(world, worker, volunteer):
    grid = world.node("甲市一区一街一社一格")
    with pytest.raises(ValidationFailed):
        services.grid_role_assign(actor=worker, volunteer=volunteer, grid=grid, role="building_head")
    role = services.grid_role_assign(actor=worker, volunteer=volunteer, grid=grid, role="building_head", building="3号楼")
    assert role.grid == grid
    with pytest.raises(ValidationFailed):
        services.grid_role_assign(actor=world.users["street_admin"], volunteer=volunteer, grid=world.node("甲市一区一街二社一格"),
                                  role="grid_volunteer")


def test_an_opportunity_is_tied_to_an_activity_of_its_own_community(worker, community, now, world):
    from tests.authz import _activity_at

    elsewhere = _activity_at(world, world.node("甲市一区一街二社"))
    with pytest.raises(ValidationFailed):
        services.opportunity_publish(actor=worker, community=community, title="t", places=1, starts_at=now + timedelta(hours=1),
                                     ends_at=now + timedelta(hours=2), place="p", activity=elsewhere, now=now)


def test_outsiders_cannot_recruit(world, community, now):
    with pytest.raises(PermissionDenied):
        services.opportunity_publish(actor=world.users["resident"], community=community, title="t", places=1,
                                     starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2), place="p", now=now)
