"""Forms of supervision: opening a rectification item, answering and verifying it, drawing up a
community's plan with its milestones. Divisions and people are picked by name, never typed."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.forms import person_picker
from core.forms import BootstrapMixin, date_input
from core.pickers import IdPickerField, PickerField
from org.forms import division_picker

from .models import FindingSource

MILESTONE_ROWS = 4


class RectificationForm(BootstrapMixin, forms.Form):
    division = PickerField(label=_("unit"), max_length=20, picker=division_picker(perm="supervision.open_rectification"))
    source = forms.ChoiceField(label=_("found by"), choices=FindingSource.choices)
    source_text = forms.CharField(label=_("finding"), max_length=300, required=False,
                                  help_text=_("The standard failed, the breach or the inspection finding, in a few words."))
    title = forms.CharField(label=_("what is to be put right"), max_length=200)
    owner = IdPickerField(label=_("person responsible"), picker=person_picker())
    deadline = forms.DateField(label=_("deadline"), widget=date_input())


class AnswerForm(BootstrapMixin, forms.Form):
    response = forms.CharField(label=_("what was done"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.FileField(label=_("evidence (a photo or a PDF)"), required=False)


class VerifyForm(BootstrapMixin, forms.Form):
    accepted = forms.TypedChoiceField(label=_("verification"), coerce=lambda v: v == "yes",
                                      choices=[("yes", _("rectified: close it")), ("no", _("not yet: return it"))],
                                      widget=forms.RadioSelect)
    verification = forms.CharField(label=_("reason or remarks"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PlanForm(BootstrapMixin, forms.Form):
    community = PickerField(label=_("community"), max_length=20,
                            picker=division_picker(levels=("community",), perm="supervision.add_plan"))
    rule_key = forms.ChoiceField(label=_("standard missed"))
    measures = forms.CharField(label=_("measures"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, standards: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule_key"].choices = standards
        for n in range(1, MILESTONE_ROWS + 1):
            self.fields[f"m{n}_title"] = forms.CharField(label=_("milestone %(n)s") % {"n": n}, max_length=200, required=n == 1)
            self.fields[f"m{n}_owner"] = IdPickerField(label=_("person responsible"), required=n == 1, picker=person_picker())
            self.fields[f"m{n}_due"] = forms.DateField(label=pgettext_lazy("milestone", "due"), required=n == 1, widget=date_input())
        self.style_widgets()

    def milestone_rows(self):
        return [(self[f"m{n}_title"], self[f"m{n}_owner"], self[f"m{n}_due"]) for n in range(1, MILESTONE_ROWS + 1)]


class ManualItemForm(BootstrapMixin, forms.Form):
    division = forms.TypedChoiceField(label=_("unit"), coerce=int)
    title = forms.CharField(label=_("what the points are for"), max_length=200)
    points = forms.DecimalField(label=_("points (negative to take off)"), max_digits=6, decimal_places=2, min_value=-100, max_value=100)
    evidence = forms.FileField(label=_("evidence (a photo or a PDF)"))

    def __init__(self, *args, units: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].choices = [(unit.pk, unit.name) for unit in units]
