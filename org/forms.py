"""Forms of the division and organisation pages. They validate input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin

from .models import CommunityType, OperatorKind, OrganisationKind


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
    home_division_code = forms.CharField(label=_("registered at (division code)"), max_length=20)
    served_division_codes = forms.CharField(
        label=_("serves (division codes, separated by commas)"), required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
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
        raw = self.cleaned_data.get("served_division_codes", "").replace("，", ",").replace("\n", ",")
        return [code.strip() for code in raw.split(",") if code.strip()]
