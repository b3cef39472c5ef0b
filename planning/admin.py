"""Back office views of networks and scenarios: read-only (they are made through the services)."""

from django.contrib import admin

from accounts.admin import ScopedModelAdmin

from .models import Network, Scenario


class ReadOnlyAdmin(ScopedModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Network)
class NetworkAdmin(ReadOnlyAdmin):
    list_display = ["name", "division", "source", "status", "node_count", "edge_count", "created_at"]
    list_filter = ["status", "source"]


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyAdmin):
    list_display = ["name", "division", "facility_title", "objective", "status", "population", "covered", "created_at"]
    list_filter = ["status", "objective", "facility_kind"]
