from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Administrative tree and organisations")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item

        from . import registers  # noqa: F401  (Excel registers of divisions and organisations)
        from .views import scope_card

        nav_item(_("Divisions"), "org:divisions", visible=lambda u: holds_any(u, "org.view_division"), order=10, icon="diagram-3", group="places")
        nav_item(_("Organisations"), "org:organisations", visible=lambda u: holds_any(u, "org.view_organisation"), order=20, icon="buildings", group="places")
        dashboard_card("org/cards/scope.html", context=scope_card, order=10, wide=True)
