"""Funds in the back office: read only. Money and project steps move through ``funds.services``
(pages and API), where every step is checked and audited; the back office is for looking."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import Fund, Project


class ReadOnlyFundsAdmin(ScopedModelAdmin):
    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Fund)
class FundAdmin(ReadOnlyFundsAdmin):
    list_display = ("name", "division", "host", "led_by", "founded_on")
    search_fields = ("name", "division__name", "division__code", "host__name")
    list_select_related = ("division", "host")


@admin.register(Project)
class ProjectAdmin(ReadOnlyFundsAdmin):
    list_display = ("title", "fund", "kind", "status", "budget", "disbursed", "proposed_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "fund__name", "fund__division__code")
    list_select_related = ("fund",)
