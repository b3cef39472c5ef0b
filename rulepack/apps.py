from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulepackConfig(AppConfig):
    name = "rulepack"
    verbose_name = _("Rule pack")
