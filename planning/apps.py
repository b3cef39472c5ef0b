from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("15-minute life circle planning")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import nav_item

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the gap list and proposal registers; rule kinds)

        nav_item(_("Life circle"), "planning:home",
                 visible=lambda u: holds_any(u, "planning.view_scenario") or holds_any(u, "planning.view_coveragearea"),
                 order=50, icon="bullseye", group="places")
