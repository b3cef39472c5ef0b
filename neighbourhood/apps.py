from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NeighbourhoodConfig(AppConfig):
    name = "neighbourhood"
    verbose_name = _("Smart neighbourhood")

    def ready(self):
        from accounts.permissions import holds_any
        from core import listcache
        from core.navigation import dashboard_card, landing_page, nav_item
        from operations.compliance import attendance_counter
        from registry.selectors import resident_ratings_source
        from scheduling.services import event_check_ins

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the module's registers and rule kinds)
        from .operator_checkins import person_times_for_agreement
        from .ratings import stars_given
        from .selectors import ACTIVITY_LIST_MADE_OF
        from .views import is_staff, lives_here_only, resident_card, staff_card

        # In every process (the web server, the worker, commands), so a change made anywhere is seen at once.
        listcache.watch(*ACTIVITY_LIST_MADE_OF)

        nav_item(_("My neighbourhood"), "neighbourhood:home", visible=lambda u: holds_any(u, "neighbourhood.register_activity"),
                 order=30, icon="house-heart")
        nav_item(_("Resident services"), "neighbourhood:staff", visible=is_staff, order=42, icon="people", group="services")
        dashboard_card("neighbourhood/cards/resident.html", context=resident_card, order=5, wide=True)
        dashboard_card("neighbourhood/cards/staff.html", context=staff_card, order=18)
        landing_page("neighbourhood:home", applies=lives_here_only)
        attendance_counter(person_times_for_agreement)
        # An activity's check-ins and an order's delivery are the check-ins of the rooms they booked.
        event_check_ins("neighbourhood.ActivitySession", "booking")
        event_check_ins("neighbourhood.ServiceOrder", "booking")
        resident_ratings_source(stars_given)
