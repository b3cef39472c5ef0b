from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Room scheduling")

    def ready(self):
        import registry.selectors
        from accounts.permissions import holds_any
        from core.navigation import dashboard_card, nav_item
        from core.ticks import tick_job

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the bookings register; the values it reads from the pack)
        from .selectors import standard_room_usage
        from .views import bookings_card

        # The register's usage rate of a room comes from its bookings.
        registry.selectors.USAGE_PROVIDER = standard_room_usage
        nav_item(_("Bookings"), "scheduling:home",
                 visible=lambda u: holds_any(u, "scheduling.add_booking") or holds_any(u, "scheduling.view_booking"),
                 order=35, icon="calendar-week")
        nav_item(_("Bookings of my area"), "scheduling:bookings", visible=lambda u: holds_any(u, "scheduling.view_utilisation"),
                 order=36, icon="list-ul")
        nav_item(_("Units' open resources"), "scheduling:open_resources",
                 visible=lambda u: holds_any(u, "scheduling.view_openresource"), order=37, icon="building")
        nav_item(_("Open resources by street"), "scheduling:open_report",
                 visible=lambda u: holds_any(u, "scheduling.view_openresource_figures"), order=41, icon="building-check",
                 group="places")
        nav_item(_("Utilisation"), "scheduling:utilisation", visible=lambda u: holds_any(u, "scheduling.view_utilisation"),
                 order=40, icon="bar-chart", group="places")
        dashboard_card("scheduling/cards/bookings.html", context=bookings_card, order=15)
        tick_job("bookings", _tick)


def _tick(now) -> str:
    """Requests whose hold lapsed expire; bookings nobody checked in to are released (their time offered to the waitlist)."""
    from .services import holds_expire, no_shows_release

    expired, released = holds_expire(now=now), no_shows_release(now=now)
    return f"expired {expired}, released {released}" if expired or released else ""
