"""The audit trail in the back office: read-only, scoped."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedModelAdmin):
    list_display = ("at", "actor_name", "action", "target_repr", "division")
    list_filter = ("action",)
    search_fields = ("actor_name", "action", "target_repr", "target_id")
    list_select_related = ("division",)
    date_hierarchy = "at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False
