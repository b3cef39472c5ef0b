from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Community service rooms")

    def ready(self):
        from . import rules  # noqa: F401  (the registry's rule kinds and catalogue section)
