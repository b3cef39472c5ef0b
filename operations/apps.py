from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Space for service")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the registers and rule kinds of space for service)
        from .views import operations_card

        nav_item(_("Space for service"), "operations:home", visible=lambda u: holds_any(u, "operations.view_agreement"),
                 order=40, icon="shop", group="services")
        dashboard_card("operations/cards/operations.html", context=operations_card, order=25)
