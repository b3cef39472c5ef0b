"""The audit trail page's filter: a division and a person picked by name, not typed as codes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import person_picker
from core.pickers import IdPickerField, PickerField
from org.forms import division_picker


class EventFilterForm(forms.Form):
    within = PickerField(label=_("At division and below"), required=False, max_length=20, picker=division_picker(
        placeholder=_("At division and below")))
    actor = IdPickerField(label=_("Done by"), required=False, picker=person_picker(placeholder=_("Done by")))
