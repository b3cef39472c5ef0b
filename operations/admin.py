"""Space for service in the back office: read only. Admission, agreements and reports move through
``operations.services`` (pages and API), where each step is checked and audited."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Admission, Agreement, OperatingReport


@admin.register(Admission)
class AdmissionAdmin(ReadOnlyScopedAdmin):
    list_display = ("operator", "division", "status", "valid_from", "valid_until")
    list_filter = ("status",)
    search_fields = ("operator__name", "division__name", "division__code")
    list_select_related = ("operator", "division")


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "division", "operator", "mode", "status", "starts_on", "ends_on")
    list_filter = ("status", "mode")
    search_fields = ("title", "number", "operator__name", "division__name", "division__code")
    list_select_related = ("division", "operator")


@admin.register(OperatingReport)
class OperatingReportAdmin(ReadOnlyScopedAdmin):
    list_display = ("agreement", "month", "status", "revenue_low_cost", "revenue_market", "operating_cost", "fund_share")
    list_filter = ("status",)
    search_fields = ("agreement__title", "agreement__operator__name")
    list_select_related = ("agreement",)
