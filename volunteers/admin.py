"""Volunteers in the back office: read only, scoped. Signing up, applications, sign-in and the
confirmation of hours go through ``volunteers.services`` on the pages and the API, where they are
checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin
from core.privacy import ID_NUMBER, NAME, PHONE, PersonalDataAdminMixin

from .models import Opportunity, Team, Volunteer


@admin.register(Volunteer)
class VolunteerAdmin(PersonalDataAdminMixin, ReadOnlyScopedAdmin):
    list_display = ("real_name", "community", "status", "confirmed_minutes", "created_at")
    list_filter = ("status",)
    search_fields = ("real_name", "community__name")
    list_select_related = ("community",)

    person_field = "user"

    def person_division(self, obj):
        return obj.community_id

    def mask_personal(self, viewer, obj) -> None:
        where = {"division": obj.community_id, "owner": obj.user_id}
        obj.real_name = viewer.show(obj.real_name, NAME, **where)
        obj.phone = viewer.show(obj.phone, PHONE, **where)
        obj.id_number = viewer.show(obj.id_number, ID_NUMBER, **where)


@admin.register(Team)
class TeamAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "community", "organisation", "created_at")
    search_fields = ("name", "community__name")
    list_select_related = ("community", "organisation")


@admin.register(Opportunity)
class OpportunityAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "community", "organiser", "project", "starts_at", "places", "accepted_count", "status")
    list_filter = ("status",)
    search_fields = ("title", "community__name", "project__title")
    list_select_related = ("community", "organiser", "project")
