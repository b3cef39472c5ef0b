"""Space for service through the API and the pages: the whole path of an agreement, bad input refused in
Chinese, an operator seeing only its own, query counts that do not grow with the rows, Excel registers."""

import json
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from core.errors import ValidationFailed
from operations import services
from operations.models import Agreement, AgreementStatus, OperatingReport, ReportStatus

from .conftest import (
    FIGURES,
    GOOD_TERMS,
    MONDAY_MORNING,
    SERVICES,
    SHARES,
    admit,
    draft,
    in_force,
    last_month,
    records_bookings,
)

pytestmark = pytest.mark.django_db


def post(client, url, data, method="post"):
    return getattr(client, method)(url, data=json.dumps(data, default=str), content_type="application/json")


def agreement_payload(ops, **terms):
    starts = timezone.localdate() - timedelta(days=60)
    return {"division_code": ops.community.code, "operator_id": ops.operator.pk,
            "terms": {**GOOD_TERMS, "starts_on": starts, "ends_on": starts + timedelta(days=700), **terms},
            "spaces": [{"room": ops.hall.pk, "hours": MONDAY_MORNING}], "services": SERVICES, "shares": SHARES}


class TestApi:
    def test_an_agreement_from_draft_to_a_confirmed_report(self, client, world, ops):
        client.force_login(world.users["community_worker"])
        response = post(client, "/api/v1/operations/agreements", agreement_payload(ops))
        assert response.status_code == 201, response.content
        agreement = response.json()
        assert agreement["status"] == "draft" and len(agreement["services"]) == 3 and agreement["spaces"][0]["hours"] == MONDAY_MORNING
        assert post(client, f"/api/v1/operations/agreements/{agreement['id']}/submit", {}).status_code == 200
        assert post(client, f"/api/v1/operations/agreements/{agreement['id']}/approve", {}).status_code == 403
        client.force_login(world.users["street_admin"])
        approved = post(client, f"/api/v1/operations/agreements/{agreement['id']}/approve", {"note": "同意"})
        assert approved.status_code == 200 and approved.json()["status"] == "active"
        client.force_login(world.users["operator_staff"])
        report = post(client, f"/api/v1/operations/agreements/{agreement['id']}/reports", {"month": last_month(), **FIGURES})
        assert report.status_code == 201 and report.json()["fund_share"] == "1000.00"
        assert post(client, f"/api/v1/operations/reports/{report.json()['id']}/confirm", {}).status_code == 403
        client.force_login(world.users["community_worker"])
        confirmed = post(client, f"/api/v1/operations/reports/{report.json()['id']}/confirm", {})
        assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
        offered = client.get(f"/api/v1/operations/services-offered?division={ops.community.code}").json()
        assert {s["name"] for s in offered} == {"四点半课堂", "长者助餐", "少儿美术"}

    def test_bad_input_is_refused_in_chinese_and_writes_nothing(self, client, world, ops):
        client.force_login(world.users["community_worker"])
        payload = agreement_payload(ops)
        payload["services"] = [{"name": "理发", "category": "living_environment", "tier": "low_cost", "price": "80"}]
        response = post(client, "/api/v1/operations/agreements", payload)
        body = json.dumps(response.json(), ensure_ascii=False)
        assert response.status_code == 422 and "低偿服务价格上限" in body
        payload = agreement_payload(ops)
        payload["shares"] = [{"tier": "market", "percent": "150"}]
        assert post(client, "/api/v1/operations/agreements", payload).status_code == 422
        assert post(client, "/api/v1/operations/agreements", {"division_code": ops.community.code}).status_code == 422
        assert not Agreement.objects.exists()
        in_force(world, ops)
        clash = post(client, "/api/v1/operations/agreements", agreement_payload(ops, title="同一时段"))
        assert clash.status_code == 409 and "已交由" in json.dumps(clash.json(), ensure_ascii=False)

    def test_an_operator_sees_only_its_own(self, client, world, ops):
        mine = in_force(world, ops)
        other_operator = world.organisations["甲市一区一街二社服务中心"]
        admit(world, other_operator, ops.street)
        theirs = services.agreement_draft(actor=world.users["street_admin"], division=ops.street, operator=other_operator,
                                          terms={**GOOD_TERMS, "title": "街道层面协议", "starts_on": timezone.localdate(),
                                                 "ends_on": timezone.localdate() + timedelta(days=300)},
                                          spaces=[{"room": ops.barn.pk, "hours": MONDAY_MORNING}], services=SERVICES[:1],
                                          shares=[])
        client.force_login(world.users["operator_staff"])
        listed = client.get("/api/v1/operations/agreements").json()
        assert [a["id"] for a in listed["items"]] == [mine.pk]
        assert client.get(f"/api/v1/operations/agreements/{theirs.pk}").status_code == 404
        assert post(client, f"/api/v1/operations/agreements/{theirs.pk}/reports", {"month": last_month()}).status_code == 404

    def test_compliance_and_savings_by_place(self, client, world, ops):
        in_force(world, ops, terms={"public_benefit_share": "0.3"})
        client.force_login(world.users["supervisor"])
        rows = client.get(f"/api/v1/operations/compliance?within={world.node('甲市一区').code}").json()
        assert rows[0]["agreements"] == 1 and rows[0]["with_breach"] == 1
        assert {r["name"]: r["with_breach"] for r in rows[1:]} == {"甲市一区一街": 1, "甲市一区二街": 0}
        started = Agreement.objects.get().starts_on
        savings = client.get(f"/api/v1/operations/savings?within={world.node('甲市一区').code}&year={started.year}").json()
        assert savings[0]["year"] == started.year and savings[0]["renovation"] == "600000.00"
        assert savings[0]["renovation_to_date"] == "600000.00" and savings[0]["running_per_year"] == "200000.00"
        assert savings[0]["in_force"] == 1 and {r["name"] for r in savings[1:]} == {"甲市一区一街", "甲市一区二街"}
        assert Decimal(savings[0]["running_to_date"]) > 0
        findings = client.get("/api/v1/operations/findings").json()
        assert findings["count"] == 1 and findings["items"][0]["rule_key"] == "operations.state_public_benefit_share"

    def test_reports_due_lists_the_months_without_a_report(self, client, world, ops):
        agreement = in_force(world, ops, starts_on=timezone.localdate() - timedelta(days=100))
        client.force_login(world.users["community_worker"])
        due = client.get("/api/v1/operations/reports/due").json()
        assert due and all(d["agreement_id"] == agreement.pk for d in due)
        months = {d["month"] for d in due}
        services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
        after = {d["month"] for d in client.get("/api/v1/operations/reports/due").json()}
        assert last_month().isoformat() not in after and after <= months

    def test_admission_through_the_api(self, client, world):
        operator = world.organisations["甲市一区一街一社服务中心"]
        client.force_login(world.users["operator_staff"])
        assert post(client, f"/api/v1/operations/operators/{operator.pk}/qualifications",
                    {"kind": "business_licence", "number": "91350100MA0000001X"}).status_code == 201
        applied = post(client, "/api/v1/operations/admissions", {
            "operator_id": operator.pk, "division_code": world.node("甲市一区二街").code, "categories": ["elderly_child"],
            "scope_description": "托育"})
        assert applied.status_code == 201, applied.content
        client.force_login(world.users["street_admin"])  # 一街's administrator: not theirs to review
        assert post(client, f"/api/v1/operations/admissions/{applied.json()['id']}/review",
                    {"admit": True, "checklist": {}}).status_code == 404


class TestPages:
    def test_the_desk_of_each_role(self, client, world, ops):
        in_force(world, ops, terms={"public_benefit_share": "0.3"})
        for role, text in (("street_admin", "违规"), ("community_worker", "生效协议"), ("operator_staff", "我方生效协议"),
                           ("supervisor", "以场地换服务")):
            client.force_login(world.users[role])
            response = client.get("/operations/")
            assert response.status_code == 200 and text in response.content.decode(), role

    def test_a_community_drafts_an_agreement_on_the_page(self, client, world, ops):
        client.force_login(world.users["community_worker"])
        url = f"/operations/agreements/new/{ops.community.code}/"
        assert client.get(url).status_code == 200
        starts = timezone.localdate()
        data = {
            "title": "活动室托育合作", "operator": ops.operator.pk, "mode": "co_operated", "starts_on": starts,
            "ends_on": starts + timedelta(days=700), "renovation_by": "operator", "utilities_by": "operator",
            "maintenance_by": "shared", "operator_renovation_cost": "80000", "operator_running_cost": "30000", "annual_rent": "6000",
            "non_profit_purpose": "on", "public_benefit_share": "0.7", "basis_kind": "joint_meeting", "basis_number": "联席〔2026〕9号",
            "basis_date": starts, "revenue_distribution": "低偿收入5%入基金", "valuation_report_no": "评估-9", "authorised_by": "机关事务局",
            "authorisation_document": "授权-9",
            "spaces-TOTAL_FORMS": "1", "spaces-INITIAL_FORMS": "0", "spaces-0-room": ops.hall.pk, "spaces-0-hours": "周二、周四 14:00-17:00",
            "services-TOTAL_FORMS": "2", "services-INITIAL_FORMS": "0",
            "services-0-name": "托育", "services-0-category": "elderly_child", "services-0-tier": "low_cost", "services-0-price": "30",
            "services-0-price_unit": "session", "services-0-market_price": "80",
            "shares-TOTAL_FORMS": "3", "shares-INITIAL_FORMS": "3", "shares-0-tier": "free", "shares-1-tier": "low_cost",
            "shares-1-percent": "5", "shares-2-tier": "market",
        }
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]
        agreement = Agreement.objects.get()
        assert agreement.spaces.get().hours == [{"weekday": 2, "start": "14:00", "end": "17:00"},
                                                {"weekday": 4, "start": "14:00", "end": "17:00"}]
        assert agreement.shares.get().percent == 5
        page = client.get(f"/operations/agreements/{agreement.pk}/").content.decode()
        assert "周二 14:00-17:00；周四 14:00-17:00" in page and "报街道审批" in page

    def test_a_price_above_the_cap_is_shown_on_the_form_and_nothing_is_written(self, client, world, ops):
        client.force_login(world.users["community_worker"])
        starts = timezone.localdate()
        response = client.post(f"/operations/agreements/new/{ops.community.code}/", {
            "title": "咖啡", "operator": ops.operator.pk, "mode": "entrusted", "starts_on": starts, "ends_on": starts + timedelta(days=300),
            "renovation_by": "operator", "utilities_by": "operator", "maintenance_by": "operator", "operator_renovation_cost": "0",
            "operator_running_cost": "0", "annual_rent": "0", "public_benefit_share": "0.6",
            "spaces-TOTAL_FORMS": "1", "spaces-INITIAL_FORMS": "0", "spaces-0-room": ops.hall.pk, "spaces-0-hours": "周六 09:00-12:00",
            "services-TOTAL_FORMS": "1", "services-INITIAL_FORMS": "0", "services-0-name": "咖啡", "services-0-category": "food_recreation",
            "services-0-tier": "low_cost", "services-0-price": "99", "services-0-price_unit": "session",
            "shares-TOTAL_FORMS": "0", "shares-INITIAL_FORMS": "0"})
        assert response.status_code == 200 and "超过低偿服务价格上限" in response.content.decode()
        assert not Agreement.objects.exists()

    def test_the_street_approves_and_the_community_confirms_a_report_on_the_pages(self, client, world, ops):
        agreement = draft(world, ops)
        services.agreement_submit(actor=world.users["community_worker"], agreement=agreement)
        client.force_login(world.users["street_admin"])
        assert client.post(f"/operations/agreements/{agreement.pk}/", {"step": "approve", "approve-note": "同意"}).status_code == 302
        agreement.refresh_from_db()
        assert agreement.status == AgreementStatus.ACTIVE
        client.force_login(world.users["operator_staff"])
        response = client.post(f"/operations/agreements/{agreement.pk}/", {"step": "report", "report-month": last_month().strftime("%Y-%m"),
                                                                           **{f"report-{k}": v for k, v in FIGURES.items()}})
        assert response.status_code == 302, response.content.decode()[:2000]
        report = OperatingReport.objects.get()
        client.force_login(world.users["community_worker"])
        page = client.get(f"/operations/reports/{report.pk}/").content.decode()
        assert "确认：分成留存待转" in page  # the community has no fund: the share will be held, and the page says so
        assert "甲市一区一街一社尚未设立社区发展基金：确认后分成¥1,000.00先留存于社区专户，基金设立时转入基金。" in page
        confirmed = client.post(f"/operations/reports/{report.pk}/", {"step": "confirm"}, follow=True).content.decode()
        report.refresh_from_db()
        assert report.status == ReportStatus.CONFIRMED and report.fund_hold.amount == Decimal("1000.00")
        assert "月报已确认。甲市一区一街一社尚未设立社区发展基金，分成¥1,000.00已留存于社区专户，基金设立后转入基金。" in confirmed
        assert "已留存，待社区设立基金后转入" in confirmed

    def test_the_compliance_page_shows_the_breach_with_its_figures(self, client, world, ops):
        in_force(world, ops, terms={"annual_rent": "0"})
        client.force_login(world.users["street_admin"])
        page = client.get(f"/operations/compliance/{ops.street.code}/").content.decode()
        assert "行政事业性国有资产无偿出借仅限非营利性事项" in page and "少儿美术" in page and "¥600,000" in page

    def test_the_savings_say_their_year_and_the_year_can_be_chosen(self, client, world, ops):
        agreement = in_force(world, ops)
        started = agreement.starts_on.year
        client.force_login(world.users["street_admin"])
        page = client.get(f"/operations/compliance/{ops.street.code}/?year={started}").content.decode()
        assert f"{started}年运营方承担的装修费用" in page and f"{started}年运营方承担的运行费用" in page
        assert f"{started}年各地节约的政府支出" in page and f'<option value="{started}" selected>{started}年</option>' in page
        assert f"{started}年以来累计¥600,000" in page and "今日在行协议1份，每年¥200,000" in page
        assert "¥600,000" in page.split(f"{started}年运营方承担的装修费用", 1)[1].split("</div>", 2)[1]
        ignored = client.get(f"/operations/compliance/{ops.street.code}/?year=1999").content.decode()
        assert f"{timezone.localdate().year}年运营方承担的装修费用" in ignored  # a year without agreements falls back on this one

    def test_the_neighbour_street_gets_a_404(self, client, world, ops):
        agreement = in_force(world, ops)
        client.force_login(world.users["street_admin"])
        assert client.get(f"/operations/compliance/{world.node('甲市一区二街').code}/").status_code == 404
        client.force_login(world.users["resident"])
        assert client.get(f"/operations/agreements/{agreement.pk}/").status_code == 404


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


def test_lists_cost_the_same_queries_for_more_agreements(client, world, ops):
    from .conftest import make_site_room

    urls = {"community_worker": ["/operations/", "/operations/agreements/", "/api/v1/operations/agreements",
                                 "/api/v1/operations/reports", "/api/v1/operations/findings", "/api/v1/operations/reports/due",
                                 f"/operations/compliance/{ops.community.code}/"],
            "street_admin": [f"/operations/compliance/{ops.street.code}/", "/operations/admissions/",
                             "/api/v1/operations/admissions", f"/api/v1/operations/compliance?within={ops.street.code}"]}

    def add(n):
        for k in range(n):
            room = make_site_room(ops.community, name=f"站点{n}-{k}", property_class="state_admin", room_name="活动室")
            agreement = in_force(world, ops, room=room, terms={"title": f"协议{n}-{k}", "public_benefit_share": "0.3"})
            services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(),
                                   figures={**FIGURES, "revenue_market": "60000"})

    add(2)
    counts = {(role, url): None for role, pages in urls.items() for url in pages}
    for role, pages in urls.items():
        client.force_login(world.users[role])
        for url in pages:
            counts[(role, url)] = queries(client, url)
    add(6)
    for role, pages in urls.items():
        client.force_login(world.users[role])
        for url in pages:
            assert queries(client, url) == counts[(role, url)], (role, url)


def test_agreements_and_reports_export_and_reports_import_all_or_nothing(world, ops):
    from excel.registers import REGISTERS, import_workbook
    from excel.workbooks import write_workbook

    agreement = in_force(world, ops)
    services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    for name in ("operations.agreements", "operations.services", "operations.reports", "operations.admissions",
                 "operations.findings", "operations.funding"):
        reg = REGISTERS[name]
        count, rows = reg.export_rows(user=world.users["street_admin"], params={})
        stream = BytesIO()
        write_workbook(stream, [(reg, rows)])
        sheet = load_workbook(BytesIO(stream.getvalue())).active
        assert sheet.max_row == count + 1, name
    count, rows = REGISTERS["operations.agreements"].export_rows(user=world.users["operator_staff"], params={})
    assert count == 1 and list(rows)[0][4] == agreement.title

    reg = REGISTERS["operations.reports"]
    month = last_month()
    earlier = (month - timedelta(days=1)).replace(day=1)

    def workbook(rows):
        book = Workbook()
        sheet = book.active
        sheet.append([str(c.header) for c in reg.columns])
        for row in rows:
            sheet.append(row)
        stream = BytesIO()
        book.save(stream)
        stream.seek(0)
        return stream

    bad = workbook([[agreement.pk, "", "", earlier, 100, 0, 500, 3, 0, 0, 30, 0, 0],
                    [agreement.pk, "", "", month, 0, 0, 0, 1, 0, 0, 1, 0, 0],  # already reported
                    [999999, "", "", earlier, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    from excel.registers import ImportRejected

    with pytest.raises(ImportRejected) as rejected:
        import_workbook(bad, reg, actor=world.users["operator_staff"], params={}, progress=lambda *a: None)
    assert {e["row"] for e in rejected.value.errors} == {3, 4}
    assert OperatingReport.objects.count() == 1
    good = workbook([[agreement.pk, "", "", earlier, 100, 0, 500, 3, 0, 0, 30, 0, 0]])
    import_workbook(good, reg, actor=world.users["operator_staff"], params={}, progress=lambda *a: None)
    assert OperatingReport.objects.count() == 2


def test_an_idle_room_is_offered_on_the_page_and_an_operator_proposes(client, world, ops):
    client.force_login(world.users["community_worker"])
    assert "村集体活动楼 · 活动室" not in client.get("/operations/offers/").content.decode()  # no booking recorded: not idle
    records_bookings(world, ops)
    page = client.get("/operations/offers/").content.decode()
    assert "村集体活动楼 · 活动室（0%）" in page and "近30天" in page and "不足20%" in page
    response = client.post("/operations/offers/", {"room": ops.barn.pk, "title": "活动室诚邀合作", "description": "引入托育",
                                                   "categories": ["elderly_child"], "hours": "周六 09:00-12:00",
                                                   "closes_on": timezone.localdate() + timedelta(days=20)})
    assert response.status_code == 302, response.content.decode()[:2000]
    offer_url = response["Location"]
    client.force_login(world.users["operator_staff"])
    response = client.post(offer_url, {"step": "interest", "interest-operator": ops.operator.pk, "interest-proposal": "周末托育",
                                       "interest-renovation_cost": "0", "services-TOTAL_FORMS": "1", "services-INITIAL_FORMS": "0",
                                       "services-0-name": "周末托育", "services-0-category": "elderly_child",
                                       "services-0-tier": "free", "services-0-price": "0"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "周末托育" in client.get(offer_url).content.decode()


def test_report_photos_are_served_only_to_those_who_see_the_report(client, world, ops):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.images import png_bytes

    agreement = in_force(world, ops)
    report = services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES,
                                    photos=[SimpleUploadedFile("课堂.png", png_bytes(), content_type="image/png")])
    photo = report.photos.get()
    client.force_login(world.users["community_worker"])
    assert client.get(f"/operations/files/report-photos/{photo.pk}/").status_code == 200
    assert f"/operations/files/report-photos/{photo.pk}/" in client.get(f"/operations/reports/{report.pk}/").content.decode()
    client.force_login(world.users["resident_b"])
    assert client.get(f"/operations/files/report-photos/{photo.pk}/").status_code == 404
    with pytest.raises(ValidationFailed):
        services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month() - timedelta(days=40),
                               figures=FIGURES, photos=[SimpleUploadedFile("x.png", b"not an image", content_type="image/png")])
    assert OperatingReport.objects.count() == 1


def test_an_unchanged_export_of_monthly_reports_imports_again_without_a_change(world, ops):
    from excel.tests.roundtrip import assert_reimport_changes_nothing

    agreement = in_force(world, ops)
    services.report_submit(actor=world.users["operator_staff"], agreement=agreement, month=last_month(), figures=FIGURES)
    assert_reimport_changes_nothing("operations.reports", world.users["operator_staff"], [OperatingReport])
