from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Space for service")

    def ready(self):
        from . import rules  # noqa: F401  (the rule kinds of space for service)
