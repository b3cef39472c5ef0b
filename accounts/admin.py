"""The back office (Django admin), scoped by role like every other page.

``ScopedModelAdmin`` is the base of every model admin in Linli: its lists show only what the
user's roles reach (``visible_to``), its object checks are the same ``rules`` permissions the
pages and the API use, nothing can be deleted (records a regulator may ask about are kept), and
every save leaves an audit event.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.privacy import NAME, PersonalDataAdminMixin, mask_name, mask_username

from .models import ApiToken, Role, RoleAssignment, User
from .permissions import GRANTS, holds_any, visible_to

# Roles at nodes replace Django's groups: one place says who may do what.
admin.site.unregister(Group)

admin.site.site_header = _("Linli back office")
admin.site.site_title = _("Linli back office")
admin.site.index_title = _("Registers")


class ScopedModelAdmin(admin.ModelAdmin):
    def _perm(self, action: str) -> str:
        opts = self.model._meta
        return f"{opts.app_label}.{action}_{opts.model_name}"

    def get_queryset(self, request):
        return visible_to(request.user, self._perm("view"), super().get_queryset(request))

    def has_module_permission(self, request):
        return request.user.is_active and holds_any(request.user, self._perm("view"))

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm(self._perm("view"), obj)

    def has_change_permission(self, request, obj=None):
        perm = self._perm("change")
        return perm in GRANTS and request.user.is_active and request.user.has_perm(perm, obj)

    def has_add_permission(self, request):
        perm = self._perm("add")
        return perm in GRANTS and request.user.is_active and holds_any(request.user, perm)

    def has_delete_permission(self, request, obj=None):
        return False

    def audit_division(self, obj):
        return getattr(obj, "division", None)

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changes = {name: [str(form.initial.get(name, "")), str(form.cleaned_data.get(name, ""))] for name in form.changed_data}
            opts = obj._meta
            audit_record(
                actor=request.user, action=f"{opts.app_label}.{opts.model_name}.{'updated' if change else 'created'}",
                target=obj, division=self.audit_division(obj), changes=changes, note="admin",
            )


class ReadOnlyScopedAdmin(ScopedModelAdmin):
    """A back office that reads: the module's pages and API write through its services, which check
    every rule and audit every step."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    fields = ("role", "division", "organisation", "granted_at", "revoked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Only system administrators manage raw accounts; others use the People & roles page."""

    list_display = ("username", "display_name", "phone", "is_staff", "is_active", "last_login")
    search_fields = ("username", "display_name", "phone")
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Linli"), {"fields": ("display_name", "phone", "phone_verified_at")}))
    inlines = [RoleInline]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(PersonalDataAdminMixin, ScopedModelAdmin):
    list_display = ("user", "role", "division", "organisation", "granted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__display_name", "division__name", "division__code", "organisation__name")
    list_select_related = ("user", "division", "organisation")
    readonly_fields = ("user", "role", "division", "organisation", "granted_by", "granted_at", "revoked_at")

    def has_add_permission(self, request):
        return False  # granted on the People & roles page, which checks who may grant what

    def mask_personal(self, viewer, obj) -> None:
        """A resident's name and mobile-number username, as on the People & roles page (core.privacy)."""
        if obj.role == Role.RESIDENT and not viewer.sees(NAME, division=obj.division_id, owner=obj.user_id):
            obj.user.display_name, obj.user.username = mask_name(obj.user.label), mask_username(obj.user.username)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "scope", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "scope", "created_at", "last_used_at", "expires_at", "revoked_at")
    exclude = ("digest",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
