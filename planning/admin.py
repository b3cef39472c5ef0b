"""Back office views of networks and scenarios: read-only (they are made through the services)."""

from django.contrib import admin

from accounts.admin import ReadOnlyScopedAdmin

from .models import Network, Scenario


@admin.register(Network)
class NetworkAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "division", "source", "status", "node_count", "edge_count", "created_at"]
    list_filter = ["status", "source"]


@admin.register(Scenario)
class ScenarioAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "division", "facility_title", "objective", "status", "population", "covered", "created_at"]
    list_filter = ["status", "objective", "facility_kind"]
