from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExcelConfig(AppConfig):
    name = "excel"
    verbose_name = _("Excel registers")

    def ready(self):
        from core.navigation import nav_item

        from .selectors import registers_for

        nav_item(_("Excel"), "excel:jobs", visible=lambda u: bool(registers_for(user=u)), order=95, icon="file-earmark-spreadsheet", group="admin")
