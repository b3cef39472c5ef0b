"""Rule packs in the back office: read-only (a pack changes by loading a new version)."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import Rule, RulePack


class RuleInline(admin.TabularInline):
    model = Rule
    fields = ("key", "kind", "title", "params", "source", "enabled")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RulePack)
class RulePackAdmin(ScopedModelAdmin):
    list_display = ("city", "version", "title", "loaded_at", "loaded_by", "is_active")
    list_select_related = ("city", "loaded_by")
    readonly_fields = ("city", "version", "title", "content", "sha256", "loaded_by", "loaded_at", "note", "is_active")
    inlines = [RuleInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
