from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Community governance")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import nav_item
        from core.ticks import tick_job

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the registers; the pack's parameters)
        from .services import review_reminders_send

        nav_item(_("Community governance"), "governance:overview", visible=lambda u: holds_any(u, "governance.view_summary"),
                 order=61, icon="people", group="supervision")
        nav_item(_("Affairs admission list"), "governance:affairs", visible=lambda u: holds_any(u, "governance.view_affair"),
                 order=62, icon="list-check", group="supervision")
        nav_item(_("Five-party projects"), "governance:projects", visible=lambda u: holds_any(u, "governance.view_project"),
                 order=48, icon="diagram-3", group="services")
        tick_job("governance.review_reminders", review_reminders_send)
