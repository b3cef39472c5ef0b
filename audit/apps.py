from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item

        from .views import recent_changes_card

        nav_item(_("Audit trail"), "audit:events", visible=lambda u: holds_any(u, "audit.view_auditevent"), order=90, icon="journal-text", group="admin")
        dashboard_card("audit/cards/recent.html", context=recent_changes_card, order=90)
