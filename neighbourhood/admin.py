"""The smart neighbourhood in the back office: read only, scoped. Every step (support, registration,
check-in, an order's moves, a feedback update) goes through ``neighbourhood.services`` on the pages
and the API, where it is checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import Activity, FeedbackRequest, Need, ServiceOrder


class ReadOnlyAdmin(ScopedModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Need)
class NeedAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "category", "kind", "supports", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community", "kind")


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "kind", "tier", "capacity", "registered_places", "waitlisted_places", "starts_at", "status")
    list_filter = ("status", "kind", "tier", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community",)


@admin.register(ServiceOrder)
class ServiceOrderAdmin(ReadOnlyAdmin):
    list_display = ("title", "community", "category", "operator", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community", "operator")


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdmin):
    list_display = ("category_name", "community", "routed_to", "status", "created_at", "due_at", "closed_at")
    list_filter = ("status", "category")
    search_fields = ("description", "community__name", "community__code")
    list_select_related = ("community", "routed_to")
