"""Community governance in the back office: read only, scoped like the pages. The admission list, the
applications, refused tasks and five-party projects change only through ``governance.services`` on the
pages, the API and the Excel imports, where every rule is checked and every step audited."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import (
    Affair,
    AffairApplication,
    ListVersion,
    Participation,
    PartnershipProject,
    TaskRefusal,
)


class GovernanceAdmin(ReadOnlyScopedAdmin):
    # The permission the pages read the model with, where it is not ``governance.view_<model>``.
    view_perm: str | None = None

    def _perm(self, action: str) -> str:
        if action == "view" and self.view_perm:
            return self.view_perm
        return super()._perm(action)


@admin.register(ListVersion)
class ListVersionAdmin(GovernanceAdmin):
    view_perm = "governance.view_affair"  # a version is read with the list it numbers
    list_display = ("district", "number", "effective_on", "reason", "created_by", "created_at")
    list_filter = ("reason",)
    search_fields = ("district__name", "note")
    list_select_related = ("district", "created_by")


@admin.register(Affair)
class AffairAdmin(GovernanceAdmin):
    list_display = ("number", "title", "district", "role", "department", "added_in", "removed_in")
    list_filter = ("role",)
    search_fields = ("title", "legal_basis", "district__name", "department__name")
    list_select_related = ("district", "department", "added_in", "removed_in")


@admin.register(AffairApplication)
class AffairApplicationAdmin(GovernanceAdmin):
    list_display = ("title", "district", "department", "role", "status", "applied_at", "decided_at")
    list_filter = ("status", "role")
    search_fields = ("title", "district__name", "department__name")
    list_select_related = ("district", "department")


@admin.register(TaskRefusal)
class TaskRefusalAdmin(GovernanceAdmin):
    list_display = ("title", "community", "department", "version", "refused_by", "refused_at")
    search_fields = ("title", "community__name", "department__name")
    list_select_related = ("community", "department", "version", "refused_by")


class ParticipationInline(admin.TabularInline):
    """The parties of a project, shown to whoever reads the project."""

    model = Participation
    extra = 0
    fields = ("party", "organisation", "fund", "people", "headcount", "money", "hours", "in_kind", "note")
    readonly_fields = fields
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("governance.view_project", obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PartnershipProject)
class PartnershipProjectAdmin(GovernanceAdmin):
    view_perm = "governance.view_project"
    list_display = ("title", "community", "starts_on", "ends_on", "created_by", "created_at")
    search_fields = ("title", "community__name")
    list_select_related = ("community", "created_by")
    inlines = [ParticipationInline]
