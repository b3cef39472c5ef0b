from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("Community development funds")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the funds' registers and rule kinds)
        from .views import funds_card

        nav_item(_("Funds"), "funds:home", visible=lambda u: holds_any(u, "funds.view_fund"), order=45, icon="piggy-bank", group="services")
        dashboard_card("funds/cards/funds.html", context=funds_card, order=20)
