"""The demo city's monthly figures: every month the demo has bookings for, up to the running one
(the past months closed, as the clock would have closed them)."""

from django.db.models import Min
from django.utils import timezone

from core.measures import Month
from org.models import Division, DivisionLevel
from scheduling.models import Booking

from .services import snapshot_take


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
