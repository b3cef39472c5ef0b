"""Volunteers in the back office: read only, scoped. Signing up, applications, sign-in and the
confirmation of hours go through ``volunteers.services`` on the pages and the API, where they are
checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Opportunity, Team, Volunteer


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyScopedAdmin):
    list_display = ("real_name", "community", "status", "confirmed_minutes", "created_at")
    list_filter = ("status",)
    search_fields = ("real_name", "community__name")
    list_select_related = ("community",)


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
