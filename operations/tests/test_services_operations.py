"""Space for service: admission, agreements and their bookings, reports and the fund's share."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import Conflict, PermissionDenied, ValidationFailed
from operations import services
from operations.models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementStatus,
    OperatingReport,
    ReportStatus,
)
from operations.selectors import admitted_operators, services_offered
from scheduling.models import Booking, BookingStatus
from scheduling.services import booking_create
from scheduling.tests.conftest import at

from .conftest import ACTOR, CHECKLIST_ALL_MET, FIGURES, MONDAY_MORNING, draft, in_force, last_month

pytestmark = pytest.mark.django_db


def test_an_operator_applies_with_a_licence_and_the_street_admits_it_against_the_checklist(world, ops):
    assert ops.admission.status == AdmissionStatus.ADMITTED
    assert ops.admission.valid_until > timezone.localdate()
    assert ops.operator.served_divisions.filter(pk=ops.street.pk).exists()
    assert list(admitted_operators(division=ops.community)) == [ops.operator]
    assert list(admitted_operators(division=ops.community, category="medical_wellness")) == []
    assert list(admitted_operators(division=world.sibling(ops.street))) == []
    assert AuditEvent.objects.filter(action="operations.admission.admitted").count() == 1


def test_an_operator_without_a_valid_licence_cannot_apply(world):
    operator = world.organisations["甲市一区一街二社服务中心"]
    with pytest.raises(ValidationFailed) as refused:
        services.admission_apply(actor=ACTOR, operator=operator, division=world.node("甲市一区一街"),
                                 categories=["elderly_child"], scope_description="托育")
    assert "qualifications" in refused.value.fields
    assert not Admission.objects.filter(operator=operator).exists()


def test_a_second_application_at_the_same_street_is_refused(world, ops):
    with pytest.raises(Conflict):
        services.admission_apply(actor=ACTOR, operator=ops.operator, division=ops.street, categories=["elderly_child"],
                                 scope_description="托育")


def test_admission_needs_every_required_item_met_and_a_refusal_needs_a_reason(world):
    operator = world.organisations["甲市一区一街二社服务中心"]
    services.qualification_add(actor=ACTOR, operator=operator, kind="registration", number="REG-1")
    admission = services.admission_apply(actor=world.users["operator_staff"], operator=operator,
                                         division=world.node("甲市一区一街"), categories=["medical_wellness"],
                                         scope_description="康复理疗")
    reviewer = world.users["street_admin"]
    with pytest.raises(ValidationFailed) as refused:
        services.admission_review(actor=reviewer, admission=admission, admit=True,
                                  checklist={**CHECKLIST_ALL_MET, "safety": {"met": False, "note": "无消防方案"}})
    assert "消防" in str(refused.value.fields["checklist"])
    with pytest.raises(ValidationFailed):
        services.admission_review(actor=reviewer, admission=admission, admit=True, checklist={"licence": {"met": True}})
    with pytest.raises(ValidationFailed):
        services.admission_review(actor=reviewer, admission=admission, admit=False, checklist=CHECKLIST_ALL_MET)
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.APPLIED
    services.admission_review(actor=reviewer, admission=admission, admit=False, checklist=CHECKLIST_ALL_MET, note="资质不全")
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REJECTED


def test_a_suspended_operator_gets_no_new_agreement_and_a_blacklisted_one_cannot_apply_again(world, ops):
    services.admission_suspend(actor=world.users["street_admin"], admission=ops.admission, reason="投诉核查中")
    with pytest.raises(Conflict, match="暂停|suspended"):
        draft(world, ops)
    services.admission_reinstate(actor=world.users["street_admin"], admission=ops.admission, reason="核查完毕")
    draft(world, ops)
    services.admission_blacklist(actor=world.users["street_admin"], admission=ops.admission, reason="虚报服务人次")
    assert list(admitted_operators(division=ops.community)) == []
    with pytest.raises(PermissionDenied):
        draft(world, ops, room=ops.barn)
    assert Agreement.objects.count() == 1


def test_an_agreement_in_force_holds_its_room_at_the_agreed_hours_for_its_term(world, ops):
    agreement = in_force(world, ops)
    assert agreement.status == AgreementStatus.ACTIVE
    held = Booking.objects.filter(origin=f"agreement:{agreement.pk}", status=BookingStatus.CONFIRMED)
    weeks = (agreement.ends_on - agreement.starts_on).days // 7  # approved on its first day: the whole term
    assert weeks - 1 <= held.count() <= weeks + 1
    assert all(timezone.localtime(b.starts_at).isoweekday() == 1 and timezone.localtime(b.starts_at).hour == 9 for b in held)
    assert {s.name for s in services_offered(division=ops.community)} == {"四点半课堂", "长者助餐", "少儿美术"}
    # Nobody else can book the room then.
    monday = at((7 - timezone.localdate().weekday()) % 7 or 7, 10)
    with pytest.raises(Conflict):
        booking_create(actor=world.users["community_worker"], room=ops.hall, start=monday, end=monday + timedelta(hours=1),
                       title="居民议事会")


def test_a_room_already_given_for_those_hours_is_refused_and_nothing_is_written(world, ops):
    in_force(world, ops)
    before = Agreement.objects.count()
    with pytest.raises(Conflict, match="已|already"):
        draft(world, ops, hours=[{"weekday": 1, "start": "11:00", "end": "13:00"}], terms={"title": "午间托管"})
    assert Agreement.objects.count() == before
    # Other hours of the same room are free to give.
    draft(world, ops, hours=[{"weekday": 1, "start": "14:00", "end": "17:00"}], terms={"title": "下午课程"})


def test_a_booking_in_the_way_refuses_the_approval_and_nothing_changes(world, ops):
    agreement = draft(world, ops, hours=[{"weekday": 3, "start": "18:00", "end": "20:00"}])
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    days = (2 - timezone.localdate().weekday()) % 7 or 7
    booking_create(actor=world.users["community_worker"], room=ops.hall, start=at(days, 18), end=at(days, 19), title="合唱团排练")
    with pytest.raises(Conflict, match="合唱团排练"):
        services.agreement_approve(actor=world.users["street_admin"], agreement=agreement)
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.SUBMITTED
    assert not Booking.objects.filter(origin=f"agreement:{agreement.pk}").exists()


@pytest.mark.parametrize("change, field", [
    ({"services_": [{"name": "理发", "category": "living_environment", "tier": "low_cost", "price": "60"}]}, "services.1"),
    ({"services_": [{"name": "咖啡", "category": "food_recreation", "tier": "low_cost", "price": "20", "market_price": "25"}]},
     "services.1"),
    ({"services_": [{"name": "讲座", "category": "elderly_child", "tier": "free", "price": "5"}]}, "services.1"),
    ({"shares": [{"tier": "market", "percent": "120"}]}, "shares.market"),
    ({"shares": [{"tier": "market", "percent": "10", "fixed_monthly": "500"}]}, "shares.market"),
    ({"hours": [{"weekday": 8, "start": "09:00", "end": "10:00"}]}, "spaces.1"),
    ({"terms": {"ends_on": timezone.localdate() + timedelta(days=365 * 6)}}, "ends_on"),
])
def test_bad_terms_are_refused_with_the_field_and_nothing_is_written(world, ops, change, field):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, ops, **change)
    assert field in refused.value.fields, refused.value.fields
    assert not Agreement.objects.exists()


def test_a_low_cost_price_above_the_cap_names_the_cap(world, ops):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, ops, services_=[{"name": "咖啡", "category": "food_recreation", "tier": "low_cost", "price": "20",
                                       "market_price": "25"}])
    assert "17.50" in str(refused.value.fields["services.1"])  # 70 % of the ¥25 market price


def test_a_room_of_another_community_cannot_be_given(world, ops):
    from .conftest import make_site_room

    theirs = make_site_room(world.node("甲市一区一街二社"), name="邻社中心", property_class="state_admin", room_name="大厅")
    with pytest.raises(ValidationFailed) as refused:
        draft(world, ops, room=theirs)
    assert "spaces.1" in refused.value.fields


def test_termination_frees_the_room_from_the_next_day(world, ops):
    agreement = in_force(world, ops)
    last_day = timezone.localdate() + timedelta(days=20)
    services.agreement_terminate(actor=world.users["street_admin"], agreement=agreement, on=last_day, reason="运营方退出")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.TERMINATED and agreement.last_day == last_day
    ahead = Booking.objects.filter(origin=f"agreement:{agreement.pk}", status=BookingStatus.CONFIRMED)
    assert ahead.exists() and all(timezone.localtime(b.starts_at).date() <= last_day for b in ahead)
    assert Booking.objects.filter(origin=f"agreement:{agreement.pk}", status=BookingStatus.CANCELLED).exists()


def test_a_renewal_drafts_the_next_term_with_the_same_rooms_and_services(world, ops):
    agreement = in_force(world, ops)
    renewal = services.agreement_renew(actor=world.users["community_worker"], agreement=agreement,
                                       ends_on=agreement.ends_on + timedelta(days=365))
    assert renewal.status == AgreementStatus.DRAFT and renewal.renewal_of == agreement
    assert renewal.starts_on == agreement.ends_on + timedelta(days=1)
    assert renewal.spaces.get().hours == MONDAY_MORNING
    assert renewal.services.count() == 3 and renewal.shares.count() == 2
    with pytest.raises(Conflict):
        services.agreement_renew(actor=world.users["community_worker"], agreement=agreement,
                                 ends_on=agreement.ends_on + timedelta(days=365))


def test_a_report_computes_the_share_and_confirming_it_posts_the_share_to_the_fund(world, ops):
    from funds.models import IncomeKind
    from funds.services import fund_create

    fund = fund_create(actor=ACTOR, division=ops.community, host=world.organisations["甲市一区慈善会"], led_by="一社党委")
    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    assert report.fund_share == Decimal("1000.00")  # 5 % of ¥8,000 + 10 % of ¥6,000
    services.report_confirm(actor=world.users["community_worker"], report=report)
    report.refresh_from_db()
    fund.account.refresh_from_db()
    assert report.status == ReportStatus.CONFIRMED
    assert report.fund_income.kind == IncomeKind.OPERATOR_SHARE and report.fund_income.donor_name == ops.operator.name
    assert fund.account.balance == Decimal("1000.00")


def test_a_community_without_a_fund_holds_the_share_until_its_fund_is_founded(world, ops):
    from funds.models import Fund, HeldShare, IncomeKind
    from funds.services import fund_create
    from ledger.models import Account

    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    services.report_confirm(actor=world.users["community_worker"], report=report)
    report.refresh_from_db()
    assert report.status == ReportStatus.CONFIRMED and report.fund_income is None
    held = report.fund_hold
    assert (held.amount, held.operator, held.division, held.income) == (Decimal("1000.00"), ops.operator, ops.community, None)
    account = Account.objects.get(code=f"held:{ops.community.code}")
    assert account.kind == "earmarked" and account.balance == Decimal("1000.00")
    assert AuditEvent.objects.filter(action="funds.share.held", target_id=str(held.pk)).exists()
    assert not Fund.objects.filter(division=ops.community).exists()

    fund = fund_create(actor=world.users["city_supervisor"], division=ops.community, host=world.organisations["甲市一区慈善会"],
                       led_by="一社党委", founded_on=timezone.localdate())
    held.refresh_from_db(), account.refresh_from_db(), fund.account.refresh_from_db()
    income = held.income
    assert income.fund == fund and income.kind == IncomeKind.OPERATOR_SHARE and income.donor_name == ops.operator.name
    assert income.amount == Decimal("1000.00") and income.received_on == fund.founded_on  # not before the founding
    assert income.transaction.legs.get(account=account).amount == Decimal("-1000.00")
    assert account.balance == Decimal("0.00") and fund.account.balance == Decimal("1000.00")
    assert held.handed_over_at is not None and HeldShare.objects.filter(income__isnull=True).count() == 0
    created = AuditEvent.objects.get(action="funds.fund.created", target_id=str(fund.pk))
    assert created.changes["held_shares_posted"] == 1 and created.changes["held_amount_posted"] == "1000.00"


def test_a_share_held_before_a_fund_backdated_past_it_keeps_its_date(world, ops):
    from funds.services import fund_create

    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    services.report_confirm(actor=world.users["community_worker"], report=report)
    report.refresh_from_db()
    fund = fund_create(actor=world.users["city_supervisor"], division=ops.community, host=world.organisations["甲市一区慈善会"],
                       led_by="一社党委", founded_on=date(2025, 1, 1))
    assert fund.incomes.get().received_on == report.fund_hold.received_on


def test_reports_for_months_outside_the_agreement_or_not_over_or_twice_are_refused(world, ops):
    agreement = in_force(world, ops)
    operator_staff = world.users["operator_staff"]
    before_start = (agreement.starts_on.replace(day=1) - timedelta(days=1)).replace(day=1)
    for month in (before_start, timezone.localdate().replace(day=1)):
        with pytest.raises(ValidationFailed) as refused:
            services.report_submit(actor=operator_staff, agreement=agreement, month=month, figures=FIGURES)
        assert "month" in refused.value.fields
    services.report_submit(actor=operator_staff, agreement=agreement, month=last_month(), figures=FIGURES)
    with pytest.raises(Conflict):
        services.report_submit(actor=operator_staff, agreement=agreement, month=last_month(), figures=FIGURES)
    with pytest.raises(ValidationFailed) as refused:
        services.report_submit(actor=operator_staff, agreement=agreement,
                               month=last_month() - timedelta(days=20), figures={**FIGURES, "sessions_free": -3,
                                                                                 "revenue_market": "很多"})
    assert set(refused.value.fields) == {"sessions_free", "revenue_market"}
    assert OperatingReport.objects.count() == 1


def test_a_returned_report_is_corrected_and_submitted_again(world, ops):
    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    services.report_return(actor=world.users["community_worker"], report=report, note="人次与签到不符")
    again = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                   figures={**FIGURES, "people_free": 250})
    assert again.pk == report.pk and again.status == ReportStatus.SUBMITTED and again.people_free == 250
    services.report_confirm(actor=world.users["community_worker"], report=again)
    with pytest.raises(Conflict):
        services.report_confirm(actor=world.users["community_worker"], report=again)


def two_year_agreement(world, ops):
    """¥600,000 of renovation and ¥365,000 a year of running costs, 2025-07-01 to 2027-06-30, in force from its first day."""
    Admission.objects.filter(pk=ops.admission.pk).update(valid_from=date(2025, 1, 1))
    return in_force(world, ops, starts_on=date(2025, 7, 1), ends_on=date(2027, 6, 30),
                    terms={"operator_running_cost": "365000", "basis_date": "2025-06-10"})


def figures(row) -> tuple:
    return row.year, row.agreements, row.renovation, row.running, row.renovation_to_date, row.running_to_date, row.in_force


def test_savings_are_counted_by_year_renovation_when_borne_and_running_costs_by_the_days_run(world, ops):
    from operations.selectors import savings

    two_year_agreement(world, ops)
    spring = date(2026, 3, 31)
    assert figures(savings(within=ops.street, year=2025, today=spring)) == (
        2025, 1, Decimal("600000.00"), Decimal("184000.00"), Decimal("600000.00"), Decimal("274000.00"), 1)  # 184 days of 2025
    this_year = savings(within=ops.street, today=spring)
    assert figures(this_year) == (2026, 1, Decimal("0.00"), Decimal("90000.00"), Decimal("600000.00"), Decimal("274000.00"), 1)
    assert this_year.running_per_year == Decimal("365000.00") and this_year.since == date(2025, 7, 1)
    assert figures(savings(within=ops.street, year=2024, today=spring))[1:4] == (0, Decimal("0.00"), Decimal("0.00"))
    by_place = {row.division.name: figures(row) for row in savings(within=ops.street, year=2025, today=spring, by_child=True)}
    assert by_place["甲市一区一街一社"] == figures(savings(within=ops.street, year=2025, today=spring))
    assert by_place["甲市一区一街二社"][1:] == (0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 0)


def test_savings_do_not_fall_when_an_agreement_ends(world, ops):
    from operations.selectors import savings

    agreement = two_year_agreement(world, ops)
    last_day = date(2026, 3, 31)
    before = savings(within=ops.street, today=last_day)
    services.agreement_terminate(actor=world.users["street_admin"], agreement=agreement, on=last_day, reason="运营方退出")
    ended = savings(within=ops.street, today=last_day)
    assert figures(ended)[:6] == figures(before)[:6] and ended.in_force == 0 and ended.running_per_year == Decimal("0.00")
    autumn = savings(within=ops.street, year=2026, today=date(2026, 10, 1))
    assert figures(autumn)[:6] == figures(before)[:6]  # the months after its end add nothing, and nothing is taken away
    assert figures(savings(within=ops.street, year=2025, today=date(2027, 1, 5)))[2:4] == (Decimal("600000.00"), Decimal("184000.00"))


def test_savings_for_many_agreements_take_the_same_few_queries(world, ops):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from operations.selectors import savings

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            savings(within=ops.street, by_child=True)
        return len(captured)

    in_force(world, ops)
    one = queries()
    in_force(world, ops, room=ops.barn, terms={"title": "村集体活动室托育", "collective_resolution": "村代会〔2026〕1号"})
    in_force(world, ops, room=ops.annex, terms={"title": "综合楼课堂", "collective_resolution": "村代会〔2026〕2号"})
    assert queries() == one <= 3


def test_a_withdrawn_agreement_gives_its_hours_back(world, ops):
    agreement = draft(world, ops)
    services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
    services.agreement_withdraw(actor=world.users["community_worker"], agreement=agreement, reason="运营方另有安排")
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.WITHDRAWN
    with pytest.raises(Conflict):
        services.agreement_approve(actor=world.users["street_admin"], agreement=agreement)
    draft(world, ops, terms={"title": "另一家运营同一时段"})  # the hours are free to give again
