"""iCalendar feeds (RFC 5545) of a room's or an organisation's bookings.

Calendar programs cannot sign in, so a feed's address carries a signed token naming the user
who subscribed and what the feed shows; the feed answers only while that user may still see it.
"""

from datetime import timedelta

from django.core import signing
from django.utils import timezone
from icalendar import Calendar, Event, vText

from .models import HOLDING, BookingStatus

SALT = "linli.scheduling.ical"


def feed_token(*, user, kind: str, pk: int) -> str:
    return signing.dumps({"u": user.pk, "k": kind, "id": pk}, salt=SALT, compress=True)


def feed_read(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None


def calendar_for(bookings, *, name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Linli//Room bookings//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    stamp = timezone.now()
    for booking in bookings:
        event = Event()
        event.add("uid", f"booking-{booking.pk}@linli")
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.starts_at)
        event.add("dtend", booking.ends_at)
        event.add("summary", booking.title)
        event.add("location", vText(f"{booking.room.site.name} · {booking.room.name}"))
        if booking.organisation_id:
            event.add("description", booking.organisation.name)
        event.add("status", "TENTATIVE" if booking.status in (BookingStatus.PENDING, BookingStatus.OFFERED) else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def feed_bookings(queryset):
    """What a feed shows: active bookings from a month ago on."""
    return (queryset.filter(status__in=HOLDING, ends_at__gte=timezone.now() - timedelta(days=31))
            .select_related("room__site", "organisation").order_by("starts_at")[:2000])


