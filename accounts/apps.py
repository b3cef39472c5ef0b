from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from core import listcache
        from core.navigation import dashboard_card, nav_item

        from . import permissions
        from .auth import PRINCIPAL_MODELS
        from .views import roles_card

        # In every process (the web server, the worker, commands), so a token revoked anywhere is seen at once.
        listcache.watch(*PRINCIPAL_MODELS)

        nav_item(_("People & roles"), "accounts:people", visible=lambda u: permissions.holds_any(u, "accounts.view_roleassignment"), order=80, icon="people", group="admin")
        dashboard_card("accounts/cards/roles.html", context=roles_card, order=5)
