from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item
        from core.ticks import tick_job

        from . import rules  # noqa: F401  (the indicator rule kind and the values it reads)
        from .services import snapshots_due
        from .views import inspections_card, notices_card

        nav_item(_("Indicators"), "supervision:home", visible=lambda u: holds_any(u, "supervision.view_indicators"),
                 order=12, icon="speedometer2", group="supervision")
        nav_item(_("Notices"), "supervision:notices", visible=lambda u: holds_any(u, "supervision.view_notice"),
                 order=13, icon="megaphone", group="supervision")
        nav_item(_("Rectification"), "supervision:rectifications", visible=lambda u: holds_any(u, "supervision.view_rectification"),
                 order=14, icon="clipboard-check", group="supervision")
        nav_item(_("Plans of communities"), "supervision:plans", visible=lambda u: holds_any(u, "supervision.view_plan"),
                 order=15, icon="signpost-split", group="supervision")
        nav_item(_("Yearly assessment"), "supervision:assessments", visible=lambda u: holds_any(u, "supervision.view_assessment"),
                 order=16, icon="award", group="supervision")
        nav_item(_("Double random inspections"), "supervision:campaigns",
                 visible=lambda u: holds_any(u, "supervision.view_inspection"), order=17, icon="shuffle", group="supervision")
        dashboard_card("supervision/cards/inspections.html", context=inspections_card, order=4, wide=True)
        dashboard_card("supervision/cards/notices.html", context=notices_card, order=3, wide=True)
        tick_job("monthly figures", snapshots_due)
