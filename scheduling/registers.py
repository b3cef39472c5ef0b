"""The bookings register as an Excel export (who had which room when, and whether they came)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import visible_to
from excel.registers import Column, Register, choice_label, parse_text, register, yes_no
from org.selectors import division_get
from registry.registers import check_within

from .models import Booking, BookingKind, BookingStatus

COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("site", _("Site"), 22), ("room", _("Room"), 16), ("date", _("Date"), 12), ("from", _("From"), 8), ("until", _("Until"), 8),
    ("title", _("What for"), 24), ("kind", _("Kind"), 12), ("status", _("Status"), 12), ("people", _("People"), 8),
    ("booker", _("Booked by"), 14), ("organisation", _("For organisation"), 20), ("checked_in", _("Checked in"), 8))]


def export_bookings(*, user, params: dict):
    bookings = visible_to(user, "scheduling.view_booking", Booking.objects.select_related("room__site", "booker", "organisation"))
    if params.get("within"):
        bookings = bookings.filter(room__site__division__path__under=division_get(user=user, code=params["within"]).path)
    bookings = bookings.order_by("starts_at")

    def rows():
        for b in bookings.iterator(chunk_size=2000):
            start = timezone.localtime(b.starts_at)
            yield [b.room.site.name, b.room.name, start.date(), start.strftime("%H:%M"), timezone.localtime(b.ends_at).strftime("%H:%M"),
                   b.title, choice_label(BookingKind, b.kind), choice_label(BookingStatus, b.status), b.attendees, b.booker.label,
                   b.organisation.name if b.organisation else "", yes_no(b.checked_in_at)]

    return bookings.count(), rows()


register(Register(name="scheduling.bookings", title=_("Bookings"), permission="scheduling.view_booking", columns=COLUMNS,
                  export_rows=export_bookings, check_params=check_within))
