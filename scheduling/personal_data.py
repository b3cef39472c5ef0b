"""What room scheduling keeps of a resident (``core.privacy``): the bookings they made. Closing an account
cancels their bookings still to come (the time goes back to the room and its waitlist); past ones stay in
the rooms' usage under the anonymised account."""

from django.utils.translation import gettext_lazy as _

from core.privacy import Rows, local_text, personal_data_source

from .models import HOLDING, Booking


def _bookings(user):
    bookings = Booking.objects.filter(booker=user).select_related("room__site").order_by("starts_at", "id")
    return ([_("Room"), _("Title"), _("Purpose"), _("Starts"), _("Ends at"), _("People"), _("Status")],
            Rows(bookings, lambda b: [f"{b.room.site.name} · {b.room.name}", b.title, b.purpose, local_text(b.starts_at),
                                      local_text(b.ends_at), b.attendees, b.get_status_display()]))


def _erase(user, now) -> int:
    from . import services

    cancelled = 0
    for booking in Booking.objects.filter(booker=user, status__in=HOLDING, starts_at__gt=now, series__isnull=True):
        services.booking_cancel(actor=user, booking=booking, reason=str(_("The account was closed.")), now=now)
        cancelled += 1
    for booking in Booking.objects.filter(booker=user, status__in=HOLDING, starts_at__gt=now, series__isnull=False).order_by("starts_at"):
        booking.refresh_from_db(fields=["status"])
        if booking.status in HOLDING:
            cancelled += len(services.booking_cancel(actor=user, booking=booking, scope="following",
                                                     reason=str(_("The account was closed.")), now=now))
    return cancelled


personal_data_source("scheduling.bookings", _("Rooms I booked"), collect=_bookings, erase=_erase, order=80)
