"""The demo city's monthly figures — every month the demo has bookings for, up to the running one
(the past months closed, as the clock would have closed them) — and its notices: the district's
notice of last month to its streets, published, one street's answer in and the other's awaited;
the city's notice of its districts still a draft."""

from django.db.models import Min
from django.utils import timezone

from accounts.models import User
from core.measures import Month
from org.models import Division, DivisionLevel
from scheduling.models import Booking

from .models import NoticeReceipt
from .services import notice_draft, notice_publish, notice_respond, snapshot_take


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
    notice = notice_publish(actor=district, notice=notice_draft(actor=district, issuer=home, month=last))
    street_admin = User.objects.get(username="jiedao")
    answered = NoticeReceipt.objects.filter(notice=notice, division=street_admin.role_assignments.get().division).first()
    if answered is not None:
        notice_respond(actor=street_admin, receipt=answered, response=(
            "收到通报后，街道已逐一核实未达标社区的用房情况：梅阳社区通过置换闲置办公用房补足面积缺口，预计下月底前完成改造；"
            "其余社区正在制定“一社区一方案”，明确责任人和完成时限，每月向区民政局报送进度。"))
    city = User.objects.get(username="minzheng")
    draft = notice_draft(actor=city, issuer=city.role_assignments.get().division, month=last, unit_level=DivisionLevel.DISTRICT)
    ctx.say(f"notices: {notice.title} to {notice.receipts.count()} streets, {int(answered is not None)} answered; "
            f"a draft of the city's ({draft.entries.count()} entries)")
