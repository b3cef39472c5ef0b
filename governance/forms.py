"""Forms of the governance pages: people pick departments, communities and organisations by name;
the services check everything again."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import BootstrapMixin, date_input
from core.pickers import IdPickerField, Picker, PickerField
from org.forms import division_picker, organisation_picker

from .models import AffairRole, Party


def department_picker(district) -> Picker:
    return organisation_picker(kinds=("department",), serving=district)


class TaskRefusalForm(BootstrapMixin, forms.Form):
    community = PickerField(label=_("community"), max_length=20,
                            picker=division_picker(levels=("community",), perm="governance.refuse_task"))
    department = IdPickerField(label=_("department handing the task"), picker=Picker("org:pick_organisations"))
    title = forms.CharField(label=_("task"), max_length=200)
    details = forms.CharField(label=_("details"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, district=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].widget.params["within"] = district.code
        self.fields["department"].widget = department_picker(district)


class ApplicationForm(BootstrapMixin, forms.Form):
    department = IdPickerField(label=_("department"), picker=Picker("org:pick_organisations"))
    title = forms.CharField(label=_("task"), max_length=200)
    role = forms.ChoiceField(label=_("the community would"), choices=AffairRole.choices)
    legal_basis = forms.CharField(label=_("legal basis"), widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("why communities should take it on"), widget=forms.Textarea(attrs={"rows": 2}),
                             required=False)

    def __init__(self, *args, district=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].widget = department_picker(district)


class ReviewForm(BootstrapMixin, forms.Form):
    reviewed_on = forms.DateField(label=_("reviewed on"), widget=date_input(), initial=timezone.localdate)
    remove = forms.MultipleChoiceField(label=_("take off the list"), required=False, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, affairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].choices = [(str(a.pk), f"{a.number}. {a.title}") for a in affairs]


class AdmitForm(BootstrapMixin, forms.Form):
    effective_on = forms.DateField(label=_("in force from"), widget=date_input(), initial=timezone.localdate)
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class RefuseForm(BootstrapMixin, forms.Form):
    reasons = forms.CharField(label=_("reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class ProjectForm(BootstrapMixin, forms.Form):
    community = PickerField(label=_("community"), max_length=20,
                            picker=division_picker(levels=("community",), perm="governance.add_project"))
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    starts_on = forms.DateField(label=_("starts on"), widget=date_input(), initial=timezone.localdate)
    ends_on = forms.DateField(label=_("ends on"), widget=date_input(), required=False)


class ParticipationForm(BootstrapMixin, forms.Form):
    party = forms.ChoiceField(label=pgettext_lazy("five-party project", "party"), choices=Party.choices)
    organisation = IdPickerField(label=_("organisation"), picker=Picker("org:pick_organisations"), required=False)
    use_fund = forms.BooleanField(label=_("the community fund takes part"), required=False)
    people = forms.CharField(label=pgettext_lazy("five-party project", "people"), max_length=200, required=False)
    headcount = forms.IntegerField(label=_("people taking part"), min_value=0, max_value=100000, initial=0)
    money = forms.DecimalField(label=_("money (yuan)"), max_digits=14, decimal_places=2, min_value=0, initial=0)
    hours = forms.DecimalField(label=_("hours"), max_digits=10, decimal_places=1, min_value=0, initial=0)
    in_kind = forms.CharField(label=_("in kind"), max_length=200, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].widget = organisation_picker(kinds=("operator", "charity"), serving=community)
