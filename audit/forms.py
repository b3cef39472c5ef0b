"""The audit trail page's filter: a division and a person picked by name, not typed as codes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import person_picker
from core.pickers import IdPickerField, PickerField
from org.forms import division_picker


def action_choices() -> list:
    """Every action by its label, under the module it belongs to (the code stays in the value)."""
    from .actions import ACTION_LABELS, MODULE_LABELS

    groups: dict[str, list] = {}
    for action, label in ACTION_LABELS.items():
        groups.setdefault(action.split(".")[0], []).append((action, str(label)))
    return [("", _("All actions")), *[(str(MODULE_LABELS.get(module, module)), sorted(items, key=lambda i: i[1]))
                                     for module, items in groups.items()]]


class EventFilterForm(forms.Form):
    within = PickerField(label=_("At division and below"), required=False, max_length=20, picker=division_picker(
        placeholder=_("At division and below")))
    action = forms.ChoiceField(label=_("action"), required=False, choices=action_choices,
                               widget=forms.Select(attrs={"class": "form-select"}))
    actor = IdPickerField(label=_("Done by"), required=False, picker=person_picker(placeholder=_("Done by")))
