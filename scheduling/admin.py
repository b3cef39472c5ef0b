"""Bookings and units' open resources in the back office: read-only (booking and opening resources
happen through the rules of the pages and API)."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin, ScopedModelAdmin

from .models import Booking, OpenResource


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


@admin.register(OpenResource)
class OpenResourceAdmin(ReadOnlyScopedAdmin):
    list_display = ("room", "unit", "category", "opened_on", "withdrawn_on")
    list_filter = ("category",)
    search_fields = ("room__name", "room__site__name", "unit__name")
    list_select_related = ("room", "unit")
