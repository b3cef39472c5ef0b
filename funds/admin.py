"""Funds in the back office: read only. Money and project steps move through ``funds.services``
(pages and API), where every step is checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Fund, Project


@admin.register(Fund)
class FundAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "division", "host", "led_by", "founded_on")
    search_fields = ("name", "division__name", "division__code", "host__name")
    list_select_related = ("division", "host")


@admin.register(Project)
class ProjectAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "fund", "kind", "status", "budget", "disbursed", "proposed_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "fund__name", "fund__division__code")
    list_select_related = ("fund",)
