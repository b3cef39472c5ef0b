"""Forms of the volunteers' pages: they parse what people type; the services decide what is allowed."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin
from core.privacy import NAME

from .models import GridRoleKind, Skill, TimeOfDay

WEEKDAYS = [("1", _("Mon")), ("2", _("Tue")), ("3", _("Wed")), ("4", _("Thu")), ("5", _("Fri")), ("6", _("Sat")), ("7", _("Sun"))]
# Lazy, so each page reads them in its own language (an f-string here would fix the language at import).
AVAILABILITY = [(f"{day}:{part}", format_lazy("{} {}", day_label, part_label))
                for day, day_label in WEEKDAYS for part, part_label in TimeOfDay.choices]


class VolunteerForm(BootstrapMixin, forms.Form):
    real_name = forms.CharField(label=_("Real name"), max_length=40)
    phone = forms.CharField(label=_("Mobile number"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False,
                                help_text=_("Needed for your hours to be recognised by volunteer platforms; shown masked on exports."))
    skills = forms.MultipleChoiceField(label=_("What you can do"), choices=Skill.choices, widget=forms.CheckboxSelectMultiple)
    availability = forms.MultipleChoiceField(label=_("When you are available"), choices=AVAILABILITY, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    consent = forms.BooleanField(label=_("I have read and agree to the volunteer agreement"), required=False)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            for name in ("real_name", "id_number", "consent"):
                del self.fields[name]


class CodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Sign-in code"), max_length=8,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class OpportunityForm(BootstrapMixin, forms.Form):
    community = forms.ChoiceField(label=_("Community"))
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    skills = forms.MultipleChoiceField(label=_("Skills wanted"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple)
    places = forms.IntegerField(label=_("Places"), min_value=1, max_value=1000)
    starts_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label=_("Where"), max_length=120)
    auto_accept = forms.BooleanField(label=_("Accept applicants while places last"), required=False)
    project = forms.ChoiceField(label=_("Five-party project"), required=False,
                                help_text=_("The hours confirmed here count as the project's volunteer hours."))

    def __init__(self, *args, communities=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(d.code, d.name) for d in communities]
        # The community's running projects by title, grouped by community (the service checks they match).
        groups: dict = {}
        for project in projects:
            groups.setdefault(project.community.name, []).append((str(project.pk), project.title))
        if groups:
            self.fields["project"].choices = [("", "—"), *groups.items()]
        else:
            del self.fields["project"]


class TeamForm(BootstrapMixin, forms.Form):
    community = forms.ChoiceField(label=_("Community"))
    name = forms.CharField(label=_("Name"), max_length=80)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(d.code, d.name) for d in communities]


class ConfirmForm(BootstrapMixin, forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, required=False)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class GridRoleForm(BootstrapMixin, forms.Form):
    volunteer = forms.TypedChoiceField(label=_("Volunteer"), coerce=int)
    grid = forms.ChoiceField(label=_("Grid"))
    role = forms.ChoiceField(label=_("Role"), choices=GridRoleKind.choices)
    building = forms.CharField(label=_("Building"), max_length=40, required=False)

    def __init__(self, *args, volunteers=(), grids=(), viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Names as the person appointing may read them (core.privacy): whole for the community's workers.
        self.fields["volunteer"].choices = [(v.pk, viewer.show(v.real_name, NAME, division=v.community_id, owner=v.user_id)
                                             if viewer is not None else v.real_name) for v in volunteers]
        self.fields["grid"].choices = [(g.code, g.name) for g in grids]
