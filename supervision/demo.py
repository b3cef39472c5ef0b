"""The demo city's monthly figures — every month the demo has bookings for, up to the running one
(the past months closed, as the clock would have closed them) — and its notices: the district's
notice of last month to its streets, published, one street's answer in and the other's awaited;
the city's notice of its districts still a draft; rectification items and plans of communities
at every stage in 中山街道; last year's assessment of 鹭湖区's streets, signed off; and a double
random inspection with its seed, two checklists filled in."""

from datetime import timedelta

from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from core.measures import Month
from org.models import Division, DivisionLevel
from scheduling.models import Booking

from .models import NoticeReceipt
from .services import (
    assessment_sign,
    assessment_start,
    campaign_draw,
    checklist,
    inspection_submit,
    manual_item_add,
    milestone_done,
    notice_draft,
    notice_publish,
    notice_respond,
    plan_close,
    plan_create,
    rectification_answer,
    rectification_open,
    rectification_verify,
    rule_result,
    snapshot_take,
)


def build_supervision(ctx) -> None:
    city = Division.objects.get(level=DivisionLevel.CITY)
    first = Booking.objects.aggregate(first=Min("starts_at"))["first"]
    running = Month.of(timezone.localdate())
    month = Month.of(timezone.localdate(first)) if first else running
    taken = []
    while month.since <= running.since:
        rows = snapshot_take(city=city, month=month, actor="demo")
        taken.append(f"{month} ({rows})")
        month = month.next()
    ctx.say(f"monthly figures: {', '.join(taken)}")

    last = running.previous()
    district = User.objects.get(username="minzheng_qu")
    home = district.role_assignments.get().division
    # Drafted and scored at once, through the functions the background tasks call (``run=True``).
    notice = notice_publish(actor=district, notice=notice_draft(actor=district, issuer=home, month=last, run=True))
    street_admin = User.objects.get(username="jiedao")
    answered = NoticeReceipt.objects.filter(notice=notice, division=street_admin.role_assignments.get().division).first()
    if answered is not None:
        notice_respond(actor=street_admin, receipt=answered, response=(
            "收到通报后，街道已逐一核实未达标社区的用房情况：梅阳社区通过置换闲置办公用房补足面积缺口，预计下月底前完成改造；"
            "其余社区正在制定“一社区一方案”，明确责任人和完成时限，每月向区民政局报送进度。"))
    city = User.objects.get(username="minzheng")
    draft = notice_draft(actor=city, issuer=city.role_assignments.get().division, month=last, unit_level=DivisionLevel.DISTRICT,
                         run=True)
    ctx.say(f"notices: {notice.title} to {notice.receipts.count()} streets, {int(answered is not None)} answered; "
            f"a draft of the city's ({draft.entries.count()} entries)")

    build_rectification(ctx, notice)
    build_assessment(ctx)
    build_inspections(ctx)


def build_inspections(ctx) -> None:
    """鹭湖区's double random inspection: six communities and two inspectors for each, drawn with a
    published seed; two checklists filled in, one with an item found wrong."""
    district = User.objects.get(username="minzheng_qu")
    home = district.role_assignments.get().division
    campaign = campaign_draw(actor=district, issuer=home, title=f"{timezone.localdate().year}年第四季度社区服务用房双随机检查",
                             community_count=6, inspectors_per_community=2, seed="20261201")
    items, _days = checklist(home)
    for number, inspection in enumerate(campaign.inspections.order_by("order")[:2]):
        wrong = {"use"} if number == 1 else set()
        answers = {item["code"]: {"passed": item["code"] not in wrong,
                                  "note": "二楼活动室被租给培训机构长期使用，未对居民开放。" if item["code"] in wrong else ""}
                   for item in items}
        inspection_submit(actor=inspection.inspectors.order_by("id").first(), inspection=inspection, answers=answers)
    drawn = "、".join(f"{i.community.name}（{'、'.join(u.label for u in i.inspectors.order_by('id'))}）"
                     for i in campaign.inspections.order_by("order").select_related("community"))
    ctx.say(f"double random inspection, seed {campaign.seed}: {drawn}")


def build_assessment(ctx) -> None:
    """鹭湖区's assessment of its streets for last year, with an award added by hand, signed off."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    district = User.objects.get(username="minzheng_qu")
    home = district.role_assignments.get().division
    year = timezone.localdate().year - 1
    assessment = assessment_start(actor=district, issuer=home, year=year, run=True)
    best = assessment.scores.order_by("division__code").first().division
    award = SimpleUploadedFile("表彰通报.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")
    manual_item_add(actor=district, assessment=assessment, division=best, title="社区服务用房“置换一批”工作获市级通报表扬",
                    points=Decimal(3), evidence=award)
    assessment_sign(actor=district, assessment=assessment)
    ctx.say(f"assessment: {home.name} {year}, {assessment.scores.values('division').distinct().count()} streets, signed off")


def build_rectification(ctx, notice) -> None:
    """In 中山街道: items open, answered, returned and closed; plans in progress (one overdue) and one closed."""
    from registry import services as registry_services

    street_admin = User.objects.get(username="jiedao")
    worker = User.objects.get(username="shequ")
    verifier = User.objects.get(username="minzheng_qu")  # the district verifies what the street's staff answered
    street = street_admin.role_assignments.get().division
    community = worker.role_assignments.get().division
    today = timezone.localdate()
    failing = [(c, key) for c in Division.objects.filter(parent=street, level=DivisionLevel.COMMUNITY).order_by("code")
               for key in ("registry.community_service_area", "registry.required_functions")
               if (result := rule_result(c, key)) is not None and not result.passed]
    stages = []
    for number, (unit, key) in enumerate(failing[:4]):
        owner = worker if unit == community else street_admin
        item = rectification_open(actor=street_admin, division=unit, source="notice", notice=notice if notice.receipts.filter(division=unit).exists() else None,
                                  source_text=str(rule_result(unit, key).title), title=f"整改：{rule_result(unit, key).title}",
                                  owner=owner, deadline=today + timedelta(days=15 + 15 * number))
        if number >= 1:
            rectification_answer(actor=owner, item=item, response="已与物业签订闲置用房置换协议，正在装修，附协议扫描件。")
        if number == 2:
            rectification_verify(actor=verifier, item=item, accepted=False, note="协议尚未备案，请补充备案材料后再报。")
        if number == 3:
            rectification_verify(actor=verifier, item=item, accepted=True, note="现场核实，已整改到位。")
        item.refresh_from_db()
        stages.append(item.get_status_display())
    plans = 0
    for unit, key in failing[:3]:
        drawn_up = today - timedelta(days=30)  # a month ago; the second plan's first milestone is now overdue
        plan = plan_create(actor=street_admin, community=unit, rule_key=key, today=drawn_up, measures=(
            "一、置换街道闲置办公用房补足面积；二、调整功能布局，增设托育和老年食堂；三、按月向区民政局报送进度。"),
            milestones=[{"title": "签订用房置换协议", "owner": street_admin, "due": drawn_up + timedelta(days=20)},
                        {"title": "完成装修和功能布置", "owner": worker if unit == community else street_admin,
                         "due": today + timedelta(days=60)}])
        if plans == 0:
            milestone_done(actor=street_admin, milestone=plan.milestones.order_by("due").first())
        plans += 1
    # One community put its rooms right: its plan closes once the register shows the area met.
    planned = {(unit.pk, key) for unit, key in failing[:3]}
    later = next((unit for unit, key in failing[3:] if key == "registry.community_service_area" and (unit.pk, key) not in planned), None)
    if later is not None:
        plan = plan_create(actor=street_admin, community=later, rule_key="registry.community_service_area",
                           measures="租用相邻闲置厂房改建党群服务中心。",
                           milestones=[{"title": "完成改建并投入使用", "owner": street_admin, "due": today}])
        registry_services.site_create(actor="demo", division=later, name=f"{later.name}党群服务中心（改建）", kind="party_mass_centre",
                                      floor_area=1600, ground_floor_area=1000, property_class="state_admin",
                                      property_source="street_owned")
        if rule_result(later, "registry.community_service_area").passed:
            milestone_done(actor=street_admin, milestone=plan.milestones.get())
            plan_close(actor=street_admin, plan=plan)
    ctx.say(f"rectification: {len(stages)} items ({', '.join(stages)}); {plans} plans in progress")
