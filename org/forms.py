"""Forms of the division and organisation pages. They validate input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin
from core.pickers import MultiplePicker, MultiplePickerField, Picker, PickerField

from .models import CommunityType, OperatorKind, OrganisationKind


def division_picker(*, levels=(), within=None, perm: str | None = None, multiple: bool = False, placeholder=None) -> Picker:
    """A picker of the divisions the user sees, by name with their path (鹭湖区 › 中山街道 › 梅阳社区): of
    ``levels``, below ``within`` (a division or its code), where the user holds ``perm``."""
    params = {"level": ",".join(levels), "within": getattr(within, "code", within), "perm": perm}
    kind = MultiplePicker if multiple else Picker
    return kind("org:pick_divisions", params=params, placeholder=placeholder or _("Type part of the name, e.g. 梅阳"))


def organisation_picker(*, kinds=(), serving=None, within=None, fundraising: bool = False) -> Picker:
    """A picker of the organisations the user sees, by name: of ``kinds``, serving ``serving`` (a division
    or its code), serving somewhere below ``within``, with public-fundraising status."""
    params = {"kind": ",".join(kinds), "serving": getattr(serving, "code", serving), "within": getattr(within, "code", within),
              "fundraising": "1" if fundraising else None}
    return Picker("org:pick_organisations", params=params, placeholder=_("Type part of the name"))


class DivisionForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("division code"), max_length=20)
    name = forms.CharField(label=_("name"), max_length=100)
    population = forms.IntegerField(label=_("population"), min_value=0, max_value=50_000_000, initial=0)
    households = forms.IntegerField(label=_("households"), min_value=0, max_value=20_000_000, initial=0)
    community_type = forms.ChoiceField(label=_("community type"), choices=[("", "—"), *CommunityType.choices], required=False)
    latitude = forms.DecimalField(label=_("latitude"), min_value=-90, max_value=90, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("longitude"), min_value=-180, max_value=180, decimal_places=6, required=False)

    def __init__(self, *args, level: str, **kwargs):
        super().__init__(*args, **kwargs)
        if level != "community":
            del self.fields["community_type"]


class OrganisationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=200, min_length=2)
    kind = forms.ChoiceField(label=_("kind"), choices=OrganisationKind.choices)
    operator_kind = forms.ChoiceField(label=_("operator kind"), choices=[("", "—"), *OperatorKind.choices], required=False)
    credit_code = forms.CharField(label=_("unified social credit code"), max_length=18, required=False)
    public_fundraising = forms.BooleanField(label=_("public fundraising status"), required=False)
    home_division_code = PickerField(label=_("registered at"), max_length=20, picker=division_picker(
        levels=("city", "district", "street"), perm="org.add_organisation"))
    served_division_codes = MultiplePickerField(label=_("serves"), required=False, picker=division_picker(
        levels=("city", "district", "street", "community"), multiple=True))
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # Kind and registration place are fixed once registered.
            del self.fields["kind"]
            del self.fields["home_division_code"]

    def served_codes(self) -> list[str]:
        return self.cleaned_data.get("served_division_codes") or []
