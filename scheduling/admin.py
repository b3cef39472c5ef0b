"""Bookings in the back office: read-only (booking happens through the rules of the pages and API)."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import Booking


@admin.register(Booking)
class BookingAdmin(ScopedModelAdmin):
    list_display = ("title", "room", "starts_at", "ends_at", "status", "booker", "organisation")
    list_filter = ("status", "kind")
    search_fields = ("title", "room__name", "room__site__name", "booker__username")
    list_select_related = ("room", "booker", "organisation")
    date_hierarchy = "starts_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
