"""The upload form of Excel imports."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin


class ImportForm(BootstrapMixin, forms.Form):
    register = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("Workbook (.xlsx)"))
