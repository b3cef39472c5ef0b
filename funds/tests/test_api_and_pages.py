import json
import re
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from funds import selectors
from funds.models import Income, Project, ProjectStatus
from ledger.models import Transaction

from .conftest import approved_project, give, seed

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data=json.dumps(data, default=str), content_type="application/json")


class TestApi:
    def test_income_and_a_project_through_the_api(self, client, world, funds):
        code = funds.fund.division.code
        client.force_login(world.users["community_worker"])
        response = post(client, f"/api/v1/funds/{code}/income", {"kind": "targeted_donation", "amount": "888.00", "donor_name": "某某科技公司",
                                                               "donor_kind": "enterprise", "purpose": "助老餐补", "received_on": timezone.localdate(),
                                                               "receipt_no": "票据-77"})
        assert response.status_code == 201, response.content
        response = post(client, f"/api/v1/funds/{code}/projects", {"title": "助老餐补", "kind": "hardship", "budget": "800.00",
                                                                 "beneficiaries": "困难老人", "beneficiary_count": 12, "plan": "每人每月补贴。"})
        assert response.status_code == 201
        project_id = response.json()["id"]
        client.force_login(funds.members[1])
        assert post(client, f"/api/v1/funds/projects/{project_id}/votes", {"choice": "yes", "comment": "同意"}).status_code == 201
        again = post(client, f"/api/v1/funds/projects/{project_id}/votes", {"choice": "no", "comment": "再投"})
        assert again.status_code == 409 and again.json()["code"] == "already_voted"
        client.force_login(world.users["community_worker"])
        listed = client.get(f"/api/v1/funds/{code}/projects").json()
        assert listed["count"] == 1 and listed["items"][0]["status"] == "review"

    def test_bad_input_is_a_4xx_in_chinese_and_writes_nothing(self, client, world, funds):
        code = funds.fund.division.code
        client.force_login(world.users["community_worker"])
        before = (Transaction.objects.count(), Income.objects.count())
        response = post(client, f"/api/v1/funds/{code}/income", {"kind": "public_donation", "amount": "-5", "donor_name": "张三",
                                                               "received_on": timezone.localdate(), "receipt_no": "票据-1"})
        assert response.status_code == 422 and "大于零" in json.dumps(response.json(), ensure_ascii=False)
        assert (Transaction.objects.count(), Income.objects.count()) == before

    def test_a_fund_is_founded_on_the_date_given(self, client, world):
        client.force_login(world.users["supervisor"])
        community, charity = world.node("甲市一区一街二社"), world.organisations["甲市一区慈善会"]
        response = post(client, "/api/v1/funds", {"division": community.code, "host_id": charity.pk, "led_by": "二社党委",
                                                  "founded_on": "2025-03-18"})
        assert response.status_code == 201, response.content
        assert response.json()["founded_on"] == "2025-03-18"
        later = timezone.localdate() + timedelta(days=3)
        refused = post(client, "/api/v1/funds", {"division": world.node("甲市一区一街").code, "host_id": charity.pk,
                                                 "led_by": "党委", "founded_on": later.isoformat()})
        assert refused.status_code == 422

    def test_income_before_the_founding_is_a_4xx_in_chinese_and_writes_nothing(self, client, world, funds):
        code = funds.fund.division.code
        client.force_login(world.users["community_worker"])
        before = (Transaction.objects.count(), Income.objects.count())
        response = post(client, f"/api/v1/funds/{code}/income", {"kind": "public_donation", "amount": "50.00", "donor_name": "张三",
                                                               "received_on": "2024-12-31", "receipt_no": "票据-1"})
        assert response.status_code == 422
        assert response.json()["fields"]["received_on"] == ["基金设立于2025-01-01，收入日期不能早于设立日期。"]
        assert (Transaction.objects.count(), Income.objects.count()) == before

    def test_money_in_the_public_disclosure_json_has_two_decimals(self, client, world, funds):
        """Whatever the database: SQLite sums whole yuan to 1500000 and fen to 73104.8800000000."""
        seed(funds.district, "100000")
        give(funds.fund, "5000", receipt="票据-1", when=date(2026, 3, 1))
        give(funds.fund, "0.10", receipt="票据-2")
        give(funds.fund, "0.20", receipt="票据-3", anonymous=True)
        project = approved_project(world, funds, budget="1200")
        from funds import services
        services.project_disburse(actor=world.users["charity_staff"], project=project, amount="300", payee="物业", document="付-1")
        data = client.get(f"/api/v1/public/funds/{funds.fund.division.code}").json()
        money = [data["balance"], data["income"], data["spent"], data["seed_matching"],
                 *[row["amount"] for row in data["income_by_kind"] + data["income_by_month"] + data["donors"]],
                 *[p[key] for p in data["projects"] for key in ("budget", "disbursed")],
                 *[d["amount"] for p in data["projects"] for d in p["disbursements"]]]
        assert len(money) > 10 and all(isinstance(m, str) and re.fullmatch(r"-?\d+\.\d{2}", m) for m in money), money
        assert data["income"] == "10000.60" and data["seed_matching"] == "5000.30" and data["spent"] == "300.00"
        assert data["balance"] == "9700.60"

    def test_the_neighbour_sees_nothing(self, client, world, funds):
        client.force_login(world.users["resident_b"])
        assert client.get(f"/api/v1/funds/{funds.fund.division.code}").status_code == 404
        client.force_login(world.users["community_worker"])
        other = world.node("甲市一区一街二社")
        assert client.get(f"/api/v1/funds/{other.code}").status_code == 404

    def test_public_disclosure_json_needs_no_sign_in(self, client, funds):
        give(funds.fund, "66.00", donor="王五", anonymous=True)
        data = client.get(f"/api/v1/public/funds/{funds.fund.division.code}").json()
        assert data["balance"] == "66.00" and data["donors"][0]["name"] == "匿名捐赠人"


class TestPages:
    def test_the_public_page_on_a_phone_shows_money_projects_and_donors(self, client, world, funds):
        give(funds.fund, "5000.00", donor="赵六")
        give(funds.fund, "300.00", donor="钱七", anonymous=True, receipt="票据-2")
        project = approved_project(world, funds, budget="1200.00")
        page = client.get(f"/funds/public/{funds.fund.division.code}/")
        body = page.content.decode()
        assert page.status_code == 200 and "赵六" in body and "钱七" not in body and "匿名捐赠人" in body
        assert project.title in body and "赞成 3" in body and "¥5,300.00" in body

    def test_the_whole_project_from_the_pages(self, client, world, funds):
        give(funds.fund, "2000.00")
        code = funds.fund.division.code
        client.force_login(world.users["community_worker"])
        response = client.post(f"/funds/{code}/", {"action": "project", "project-title": "楼道灯更换", "project-kind": "micro_renovation",
                                                   "project-budget": "900", "project-beneficiaries": "2号楼居民",
                                                   "project-beneficiary_count": "48", "project-plan": "更换声控灯。"})
        project = Project.objects.get(title="楼道灯更换")
        assert response.status_code == 302
        for member in funds.members:
            client.force_login(member)
            assert client.post(f"/funds/projects/{project.pk}/", {"step": "vote", "vote-choice": "yes", "vote-comment": "同意"}).status_code == 302
        client.force_login(world.users["community_worker"])
        client.post(f"/funds/projects/{project.pk}/", {"step": "apply"})
        client.force_login(world.users["charity_staff"])
        client.post(f"/funds/projects/{project.pk}/", {"step": "decide", "decide-approve": "1", "decide-note": "同意"})
        page = client.post(f"/funds/projects/{project.pk}/", {"step": "disburse", "disburse-amount": "5000", "disburse-payee": "电工",
                                                             "disburse-document": "付-1"})
        assert page.status_code == 200 and "预算仅剩" in page.content.decode()
        client.post(f"/funds/projects/{project.pk}/", {"step": "disburse", "disburse-amount": "900", "disburse-payee": "电工",
                                                      "disburse-document": "付-1"})
        project.refresh_from_db()
        assert project.status == ProjectStatus.DISBURSING and project.disbursed == Decimal("900.00")
        client.force_login(world.users["resident_b"])
        assert client.get(f"/funds/projects/{project.pk}/").status_code == 404

    def test_the_founding_page_takes_the_founding_date(self, client, world):
        community, charity = world.node("甲市一区一街二社"), world.organisations["甲市一区慈善会"]
        client.force_login(world.users["supervisor"])
        page = client.get(f"/funds/found/{community.code}/")
        assert page.status_code == 200 and 'name="founded_on"' in page.content.decode()
        later = timezone.localdate() + timedelta(days=1)
        refused = client.post(f"/funds/found/{community.code}/", {"host": charity.pk, "led_by": "二社党委",
                                                                 "founded_on": later.isoformat()})
        assert refused.status_code == 200 and "基金设立日期不能晚于今天。" in refused.content.decode()
        response = client.post(f"/funds/found/{community.code}/", {"host": charity.pk, "led_by": "二社党委", "founded_on": "2025-05-04"})
        assert response.status_code == 302
        assert selectors.fund_get(user=world.users["supervisor"], code=community.code).founded_on == date(2025, 5, 4)

    def test_the_founding_page_names_the_shares_held_and_founding_posts_them(self, client, world):
        from funds import services

        community, charity = world.node("甲市一区一街二社"), world.organisations["甲市一区慈善会"]
        services.operator_share_post(actor="test", division=community, amount="320.00", received_on=date(2026, 3, 10),
                                     operator=world.organisations["甲市一区一街一社服务中心"], document="运营月报-2026-02")
        client.force_login(world.users["supervisor"])
        page = client.get(f"/funds/found/{community.code}/").content.decode()
        assert "本社区有1笔经营主体分成共¥320.00留存待转，基金设立后将作为收入转入本基金。" in page
        done = client.post(f"/funds/found/{community.code}/", {"host": charity.pk, "led_by": "二社党委", "founded_on": "2026-01-01"},
                           follow=True).content.decode()
        assert "甲市一区一街二社留存的1笔经营主体分成共¥320.00已转入本基金。" in done

    def test_dashboards(self, client, world, funds):
        seed(funds.district, "100.00")
        client.force_login(world.users["supervisor"])
        body = client.get("/funds/").content.decode()
        assert "设立基金的社区" in body and "甲市一区一街" in body
        client.force_login(world.users["charity_staff"])
        assert funds.fund.name in client.get("/funds/").content.decode()
        client.force_login(world.users["fund_committee"])
        assert client.get("/").status_code == 200


class TestAuditExport:
    def test_the_workbook_reconciles_to_the_balances_shown(self, client, world, funds):
        seed(funds.district, "20000.00")
        give(funds.fund, "3000.00", when=date(2026, 3, 1))
        give(funds.fund, "1000.00", receipt="票据-5")
        project = approved_project(world, funds, budget="2500.00")
        from funds import services
        services.project_disburse(actor=world.users["charity_staff"], project=project, amount="2500.00", payee="物业", document="付-9")
        client.force_login(world.users["charity_staff"])
        response = client.get("/funds/audit.xlsx", {"since": "2026-01-01", "until": timezone.localdate()})
        assert response.status_code == 200
        book = load_workbook(BytesIO(response.content))
        rows = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
        funds_now = {f.division.code: f for f in selectors.fund_list(user=world.users["charity_staff"])}
        for code, fund in funds_now.items():
            opening, money_in, money_out, closing = (Decimal(str(v)) for v in rows[code][3:7])
            assert opening + money_in - money_out == closing == fund.account.balance
        community = rows[funds.fund.division.code]
        assert Decimal(str(community[4])) == Decimal("8000.00") and Decimal(str(community[5])) == Decimal("2500.00")
        ledger_sheet = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
        assert sum(Decimal(str(r[5] or 0)) - Decimal(str(r[6] or 0)) for r in ledger_sheet) == sum(f.account.balance for f in funds_now.values())
        client.force_login(world.users["community_worker"])
        assert client.get("/funds/audit.xlsx", {"since": "2026-01-01", "until": "2026-12-31"}).status_code == 404


class TestEvidenceScans:
    def test_a_scan_is_kept_checked_and_shown_only_within_the_fund(self, client, world, funds):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from core.errors import ValidationFailed
        from funds import services

        give(funds.fund, "2000.00")
        project = approved_project(world, funds, budget="1000.00")
        services.project_disburse(actor=world.users["charity_staff"], project=project, amount="1000.00", payee="某五金店", document="付-9")
        worker = world.users["community_worker"]
        with pytest.raises(ValidationFailed):
            services.evidence_add(actor=worker, project=project, description="材料", amount="400.00", invoice_no="发票-1",
                                  file=SimpleUploadedFile("发票.pdf", b"<html>not a scan</html>"))
        project.refresh_from_db()
        assert project.spent == 0 and not project.evidence.exists()
        evidence = services.evidence_add(actor=worker, project=project, description="材料", amount="400.00", invoice_no="发票-1",
                                         file=SimpleUploadedFile("发票.pdf", b"%PDF-1.4\n% invoice\n"))
        client.force_login(worker)
        page = client.get(f"/funds/projects/{project.pk}/").content.decode()
        assert f"/funds/evidence/{evidence.pk}/scan" in page
        scan = client.get(f"/funds/evidence/{evidence.pk}/scan")
        assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
        assert scan["Content-Disposition"].startswith("attachment")
        client.force_login(world.users["resident_b"])
        assert client.get(f"/funds/evidence/{evidence.pk}/scan").status_code in (403, 404)


@pytest.mark.django_db
def test_an_unchanged_export_of_income_imports_again_without_a_change(world, funds):
    from excel.tests.roundtrip import assert_reimport_changes_nothing
    from funds.models import IncomeKind

    seed(funds.district, "50000")
    give(funds.fund, "1000.50", donor="李四", receipt="票据-0002")
    give(funds.fund, "1000.50", donor="李四", receipt="票据-0002")  # the same twice is two incomes
    give(funds.fund, "300", kind=IncomeKind.TARGETED_DONATION, purpose="助老", receipt="票据-0003", anonymous=True)
    assert Income.objects.filter(kind=IncomeKind.SEED_MATCHING).count() == 3
    summary = assert_reimport_changes_nothing("funds.income", world.users["charity_staff"], [Income, Transaction])
    assert summary["unchanged"] == 7


@pytest.mark.django_db
def test_income_names_its_fund_by_community_and_a_new_seed_matching_row_is_refused(world, funds):
    from io import BytesIO

    from openpyxl import Workbook

    from excel.registers import REGISTERS, ImportRejected, import_workbook

    book = Workbook()
    book.active.append(["社区", "类型", "金额（元）", "捐赠人或缴款方", "捐赠人类型", "匿名", "用途", "到账日期", "捐赠票据号"])
    book.active.append(["甲市一区一街一社", "公开捐赠", 200, "王五", "居民", "否", None, "2026-01-05", "票据-0009"])
    book.active.append(["甲市一区一街一社", "种子资金配比", 100, "一区社会治理基金", "政府", "否", None, "2026-01-05", None])
    book.active.append(["火星社区", "捐赠", 100, "赵六", "个人", "否", None, "2026-01-05", "票据-0010"])
    stream = BytesIO()
    book.save(stream)
    with pytest.raises(ImportRejected) as rejected:
        import_workbook(BytesIO(stream.getvalue()), REGISTERS["funds.income"], actor=world.users["charity_staff"], params={},
                        progress=lambda n: None)
    found = {(e["row"], e["column"]): e["message"] for e in rejected.value.errors}
    assert found == {(3, "类型"): "种子资金配比由系统按捐赠自动计算，不能导入。", (4, "社区"): "火星社区 尚未设立社区发展基金。"}
    assert not Income.objects.filter(donor_name="王五").exists()
class TestWaitingWork:
    """The charity's applications to decide lead its funds page, above the list of funds, with the days
    they have waited (flagged past the city's ``funds.decision_overdue_days``); the list is paged."""

    def test_applications_to_decide_come_before_the_funds_and_are_flagged_when_late(self, client, world, funds):
        from datetime import timedelta

        from funds import services
        from funds.models import Project
        from rulepack.selectors import param

        worker = world.users["community_worker"]
        project = services.project_propose(actor=worker, fund=funds.fund, title="楼道照明改造", kind="micro_renovation",
                                           budget="3000.00", beneficiaries="居民", beneficiary_count=80, plan="更换灯具。")
        for member in funds.members:
            services.project_vote(actor=member, project=project, choice="yes", comment="同意")
        services.project_apply(actor=worker, project=project)
        limit = int(param(division=funds.fund.division, key="funds.decision_overdue_days"))
        Project.objects.filter(pk=project.pk).update(applied_at=timezone.now() - timedelta(days=limit + 1, minutes=1))
        client.force_login(world.users["charity_staff"])
        page = client.get("/funds/").content.decode()
        assert page.index("待审批的用资申请") < page.index(funds.fund.name) and "楼道照明改造" in page
        assert f"已等待 {limit + 1} 天 · 已超期" in page
        card = client.get("/").content.decode()
        assert 'href="/funds/#decisions">1</a>' in card and "1 项已超期" in card
        Project.objects.filter(pk=project.pk).update(applied_at=timezone.now() - timedelta(days=limit, minutes=1))
        assert "已超期" not in client.get("/funds/").content.decode()

    def test_the_funds_list_is_paged_and_filtered(self, client, world, funds):
        client.force_login(world.users["charity_staff"])
        assert funds.fund.name in client.get("/funds/?q=一社").content.decode()
        assert funds.fund.name not in client.get("/funds/?q=二社").content.decode()
