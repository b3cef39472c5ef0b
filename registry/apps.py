from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Community service rooms")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item
        from core.ticks import tick_job

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; Excel registers; rule kinds and catalogue section)
        from .services import room_suggestions_due
        from .views import compliance_card

        nav_item(_("Rooms register"), "registry:root", visible=lambda u: holds_any(u, "registry.view_site"), order=30, icon="houses", group="places")
        nav_item(_("Star ratings and online services"), "registry:ratings", visible=lambda u: holds_any(u, "registry.view_compliance"),
                 order=31, icon="stars", group="places")
        nav_item(_("Signs and plaques"), "registry:signs_root", visible=lambda u: holds_any(u, "registry.view_sign"),
                 order=32, icon="signpost", group="places")
        nav_item(_("Merging and swapping rooms"), "registry:suggestions",
                 visible=lambda u: holds_any(u, "registry.view_roomsuggestion"), order=33, icon="arrow-left-right", group="places")
        nav_item(_("Rule pack"), "rulepack:active", visible=lambda u: holds_any(u, "rulepack.view_rulepack"), order=85, icon="journal-check", group="admin")
        dashboard_card("registry/cards/compliance.html", context=compliance_card, order=20, wide=True)
        tick_job("room suggestions", room_suggestions_due)
