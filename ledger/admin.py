"""The ledger in the back office: read-only, and for now for system administrators only.

Money moves only through ``ledger.services`` (posting, reversing), never through the admin:
nothing here can be added, changed or deleted. Until the ledger's permissions are in
``accounts.permissions.GRANTS``, only system administrators see these pages.
"""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Account, Leg, MonthTotal, Transaction


class ReadOnlyLedgerAdmin(ReadOnlyScopedAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyLedgerAdmin):
    list_display = ("code", "name", "kind", "division", "organisation", "balance", "opened_at", "closed_at")
    list_filter = ("kind",)
    search_fields = ("code", "name", "division__name", "division__code", "organisation__name")
    list_select_related = ("division", "organisation")


class LegInline(admin.TabularInline):
    model = Leg
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyLedgerAdmin):
    list_display = ("id", "occurred_on", "kind", "source_document", "division", "actor_name", "reverses", "created_at")
    list_filter = ("kind",)
    search_fields = ("source_document", "memo", "actor_name", "division__name", "division__code")
    list_select_related = ("division", "reverses")
    date_hierarchy = "occurred_on"
    inlines = [LegInline]


@admin.register(Leg)
class LegAdmin(ReadOnlyLedgerAdmin):
    list_display = ("id", "transaction", "account", "amount")
    search_fields = ("account__code", "account__name", "transaction__source_document")
    list_select_related = ("transaction", "account")


@admin.register(MonthTotal)
class MonthTotalAdmin(ReadOnlyLedgerAdmin):
    list_display = ("account", "kind", "month", "amount")
    list_filter = ("kind",)
    search_fields = ("account__code", "account__name")
    list_select_related = ("account",)
