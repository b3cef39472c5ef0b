from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self):
        from accounts.permissions import holds_any
        from core.navigation import nav_item

        from . import measures, registers, rules  # noqa: F401  (what supervision reads; the registers; the pack's parameters)
        from .views import is_organiser

        nav_item(_("Volunteering"), "volunteers:home", visible=lambda u: holds_any(u, "volunteers.add_volunteer"), order=32,
                 icon="heart")
        nav_item(_("Volunteers"), "volunteers:desk", visible=is_organiser, order=43, icon="person-hearts", group="services")
