"""The smart neighbourhood in the back office: read only, scoped. Every step (support, registration,
check-in, an order's moves, a feedback update) goes through ``neighbourhood.services`` on the pages
and the API, where it is checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin
from core.privacy import ADDRESS, NAME, PHONE, PersonalDataAdminMixin, coarse, redact_text

from .models import Activity, FeedbackRequest, Need, ServiceOrder


@admin.register(Need)
class NeedAdmin(PersonalDataAdminMixin, ReadOnlyScopedAdmin):
    list_display = ("title", "community", "category", "kind", "supports", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("title", "community__name", "community__code")
    list_select_related = ("community", "kind")

    def mask_personal(self, viewer, obj) -> None:
        obj.on_behalf_of = viewer.show(obj.on_behalf_of, NAME, division=obj.community_id)


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
class FeedbackRequestAdmin(PersonalDataAdminMixin, ReadOnlyScopedAdmin):
    list_display = ("category_name", "community", "routed_to", "status", "created_at", "due_at", "closed_at")
    list_filter = ("status", "category")
    search_fields = ("description", "community__name", "community__code")
    list_select_related = ("community", "routed_to")

    person_field = "submitted_by"

    def person_division(self, obj):
        return obj.routed_to_id

    def mask_personal(self, viewer, obj) -> None:
        where = {"division": obj.routed_to_id, "owner": obj.submitted_by_id}
        obj.contact_name = viewer.show(obj.contact_name, NAME, **where)
        obj.contact_phone = viewer.show(obj.contact_phone, PHONE, **where)
        obj.address = viewer.show(obj.address, ADDRESS, **where)
        if not viewer.sees(ADDRESS, **where):
            obj.description = redact_text(obj.description)
            obj.latitude, obj.longitude = coarse(obj.latitude), coarse(obj.longitude)
