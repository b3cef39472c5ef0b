from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin


class CloseForm(BootstrapMixin, forms.Form):
    password = forms.CharField(label=_("Your password, to confirm it is you"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    understood = forms.BooleanField(label=_("I understand that a closed account cannot be opened again."), required=True)
