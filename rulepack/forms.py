"""The rule pack editor: the whole file, as text."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin


class PackForm(BootstrapMixin, forms.Form):
    content = forms.CharField(label=_("rule pack file (TOML)"), widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "font-monospace"}))
    note = forms.CharField(label=_("what changed"), max_length=200)
