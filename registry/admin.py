"""Back office for the register (scoped like every page; writes go through the services)."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import (
    Cost,
    ProvisionProject,
    RegistryFiling,
    Room,
    Sign,
    SignCleanup,
    Site,
    StarRating,
)


@admin.register(Site)
class SiteAdmin(ReadOnlyScopedAdmin):
    list_display = ("code", "name", "kind", "division", "floor_area", "property_class", "property_source", "lease_end")
    list_filter = ("kind", "property_class", "property_source")
    search_fields = ("code", "name", "address", "owner_name")
    list_select_related = ("division",)


@admin.register(Room)
class RoomAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "site", "floor", "area", "capacity", "use")
    list_filter = ("use",)
    search_fields = ("name", "site__name", "site__code")
    list_select_related = ("site",)


@admin.register(Cost)
class CostAdmin(ReadOnlyScopedAdmin):
    list_display = ("site", "year", "category", "amount", "paid_by")
    list_filter = ("year", "category", "paid_by")
    list_select_related = ("site",)


@admin.register(StarRating)
class StarRatingAdmin(ReadOnlyScopedAdmin):
    list_display = ("site", "stars", "score", "pack_version", "rated_at", "is_current")
    list_filter = ("stars", "is_current")
    list_select_related = ("site",)


@admin.register(RegistryFiling)
class RegistryFilingAdmin(ReadOnlyScopedAdmin):
    list_display = ("street", "filed_at", "filed_by", "sha256")
    list_select_related = ("street", "filed_by")
    exclude = ("snapshot",)


@admin.register(ProvisionProject)
class ProvisionProjectAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "community", "households", "required_area", "method", "stage", "payment_due_on", "paid_on")
    list_filter = ("method", "stage")
    list_select_related = ("community",)


@admin.register(Sign)
class SignAdmin(ReadOnlyScopedAdmin):
    list_display = ("text", "site", "department_name", "allowed", "hung_on", "removed_on", "cleanup")
    list_filter = ("allowed",)
    search_fields = ("text", "department_name", "site__name", "site__code")
    list_select_related = ("site", "cleanup")


@admin.register(SignCleanup)
class SignCleanupAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "division", "started_on", "closed_on", "started_by")
    search_fields = ("title", "division__name")
    list_select_related = ("division", "started_by")
