"""End to end on a phone (390×844, headless Chromium): a resident finds this week's activity,
registers, sends feedback with a photo, supports a need — in Chinese, without sideways scrolling."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot, sign_in
from tests.images import jpeg_bytes

from .. import selectors, services
from ..models import FeedbackRequest, Registration
from .conftest import publish


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_registers_sends_feedback_and_supports_a_need_on_a_phone(live_server, world, tmp_path):
    community = world.node("甲市一区一街一社")
    worker = world.users["community_worker"]
    activity = publish(worker, community, title="亲子绘本故事会", days=2, capacity=1, audience="families")
    services.registration_create(actor=_neighbour(world), activity=activity)  # the one place is taken
    need = services.need_record(actor=worker, community=community, kind=selectors.need_kinds().get(code="after_school"), title="需要四点半课堂",
                                on_behalf_of="5号楼")
    photo = tmp_path / "rubbish.jpg"
    photo.write_bytes(jpeg_bytes(64, 48))
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "resident_a", next_path="/neighbourhood/")
        assert "我的社区" in page.content() and "甲市一区一街一社" in page.locator(".nb-hero").inner_text()
        assert "本周活动" in page.content() and "亲子绘本故事会" in page.content()
        assert "甲市一区一街二社" not in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-home")

        page.click("text=亲子绘本故事会")
        page.wait_for_url(f"{live_server.url}/neighbourhood/activities/{activity.pk}/")
        assert "已满，可候补" in page.content() or "加入候补" in page.content()
        page.click("button[name=register]")
        page.wait_for_selector(".alert")
        assert "候补" in page.locator(".alert").first.inner_text()
        _fits(page)
        screenshot(page, "neighbourhood-phone-activity-waitlisted")
        assert Registration.objects.get(activity=activity, user=world.users["resident"]).status == "waitlisted"

        page.goto(f"{live_server.url}/neighbourhood/feedback/")
        page.select_option("select[name=category]", "environment_sanitation")
        page.fill("textarea[name=description]", "3号楼门口垃圾两天没有清运")
        page.fill("input[name=address]", "3号楼门口")
        page.set_input_files("input[name=photo]", str(photo))
        page.click("main button[type=submit]")
        page.wait_for_selector("text=办理进度")
        item = FeedbackRequest.objects.get()
        assert item.photo and item.routed_to == community
        assert "环境卫生" in page.content() and "已提交" in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-feedback")

        page.goto(f"{live_server.url}/neighbourhood/needs/")
        page.locator(".nb-card", has_text="需要四点半课堂").locator("button[name=support]").click()
        page.wait_for_selector("text=感谢您的支持", timeout=15000)
        need.refresh_from_db()
        assert need.supports == 2
        _fits(page)
        screenshot(page, "neighbourhood-phone-needs")


def _neighbour(world, username: str = "linju"):
    from tests.world import make_user

    return make_user(username, role="resident", division=world.node("甲市一区一街一社"))


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_checks_in_orders_a_service_and_reads_the_fund_on_a_phone(live_server, world):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from funds import services as funds
    from operations.models import AgreementService

    from ..models import Attendance, ServiceOrder
    from .conftest import agree

    community = world.node("甲市一区一街一社")
    worker, resident = world.users["community_worker"], world.users["resident"]
    operator = world.organisations["甲市一区一街一社服务中心"]
    now = timezone.now()
    starting = services.activity_publish(actor=worker, community=community, title="银发健步走", category="medical_wellness", capacity=20,
                                         starts_at=now + timedelta(minutes=20), ends_at=now + timedelta(minutes=80), place="社区广场",
                                         registration_closes_at=now + timedelta(minutes=10))
    waiting = publish(worker, community, title="中秋手工月饼", days=3, capacity=1)
    services.registration_create(actor=_neighbour(world), activity=waiting)  # the one place
    services.registration_create(actor=_neighbour(world, "linju2"), activity=waiting)  # first in line
    services.registration_create(actor=resident, activity=waiting)  # second in line
    haircut = agree(world, community, operator, name="上门理发", category="elderly_child", price="10.00", description="行动不便的老人在家理发")
    fund = funds.fund_create(actor="test", division=community, host=world.organisations["甲市一区慈善会"], led_by="一社社区党委")
    funds.income_record(actor="test", fund=fund, kind="public_donation", amount=Decimal("2000.00"), donor_name="爱心企业",
                        received_on=timezone.localdate(), receipt_no="票据-0001")
    need = services.need_record(actor=resident, community=community, kind=selectors.need_kinds().get(code="home_care"), title="老人在家理发难")
    services.need_mark(actor=worker, need=need, status="met", service=haircut)
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "resident_a", next_path="/neighbourhood/")

        # Register for what starts in twenty minutes, then check in with the code shown at the door.
        page.click("text=银发健步走")
        page.wait_for_url(f"{live_server.url}/neighbourhood/activities/{starting.pk}/")
        page.click("button[name=register]")
        page.wait_for_selector(".alert")
        assert "报名成功" in page.locator(".alert").first.inner_text()
        page.click("main a:has-text('签到')")
        page.wait_for_url(f"{live_server.url}/neighbourhood/activities/{starting.pk}/check-in/")
        page.fill("input[name=code]", starting.attendance_code)
        _fits(page)
        screenshot(page, "neighbourhood-phone-check-in")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/neighbourhood/me/registrations/")
        assert "签到成功" in page.locator(".alert").first.inner_text()
        assert Attendance.objects.filter(registration__user=resident, session__activity=starting).count() == 1

        # My registrations: the one checked in, and where I wait for the other.
        registrations = page.locator("main").inner_text()
        assert "银发健步走" in registrations and "已签到1次" in registrations and "中秋手工月饼" in registrations and "#2" in registrations
        _fits(page)
        screenshot(page, "neighbourhood-phone-registrations")

        # Order the haircut agreed for the community.
        page.click("nav.nb-tabs >> text=服务")
        page.wait_for_url(f"{live_server.url}/neighbourhood/services/")
        assert "上门理发" in page.content() and "¥10.00" in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-services")
        page.click("main a:has-text('上门理发')")
        page.wait_for_url(f"{live_server.url}/neighbourhood/services/?service={haircut.pk}")
        page.fill("textarea[name=details]", "母亲腿脚不便，请上门")
        page.fill("input[name=preferred_time]", "周六上午")
        page.click("main button[type=submit]:has-text('下单')")
        page.wait_for_url(f"{live_server.url}/neighbourhood/orders/*/")
        order = ServiceOrder.objects.get(resident=resident)
        assert (order.service, order.operator, order.status) == (AgreementService.objects.get(), operator, "placed")
        assert "上门理发" in page.content() and "已下单" in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-order")

        # A need of mine, met by that service.
        page.goto(f"{live_server.url}/neighbourhood/needs/{need.pk}/")
        assert "由上门理发（甲市一区一街一社服务中心）满足" in page.locator(".nb-met-by").inner_text()
        _fits(page)
        screenshot(page, "neighbourhood-phone-need-met")

        # The community fund's disclosure, from the home page.
        page.click("nav.nb-tabs >> text=社区")
        page.click("main a:has-text('社区基金')")
        page.wait_for_url(f"{live_server.url}/funds/public/{community.code}/")
        assert "甲市一区一街一社" in page.content() and "公示" in page.content() and "2,000.00" in page.content()
        _fits(page)
        screenshot(page, "neighbourhood-phone-fund")
