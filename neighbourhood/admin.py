"""The smart neighbourhood in the back office: read only, scoped. Every step (support, registration,
check-in, an order's moves, a feedback update) goes through ``neighbourhood.services`` on the pages
and the API, where it is checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Activity, FeedbackRequest, Need, ServiceOrder


@admin.register(Need)
class NeedAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "community", "category", "kind", "supports", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community", "kind")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "community", "kind", "tier", "capacity", "registered_places", "waitlisted_places", "starts_at", "status")
    list_filter = ("status", "kind", "tier", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "community", "category", "operator", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community", "operator")


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyScopedAdmin):
    list_display = ("category_name", "community", "routed_to", "status", "created_at", "due_at", "closed_at")
    list_filter = ("status", "category")
    search_fields = ("description", "community__name", "community__code")
    list_select_related = ("community", "routed_to")
