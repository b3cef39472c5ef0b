"""Forms of the register's pages. They read input; the services decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin, date_input
from core.pickers import IdPickerField, Picker, PickerField
from org.forms import division_picker, organisation_picker

from .models import (
    CostCategory,
    Payer,
    PropertyClass,
    PropertySource,
    ProvisionMethod,
    RoomUse,
    SignOffParty,
    SiteKind,
)

HOURS_HELP = _("For example: 周一至周五 08:30-17:30；周六、周日 09:00-12:00")


class SiteForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=SiteKind.choices)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    latitude = forms.DecimalField(label=_("latitude"), min_value=-90, max_value=90, decimal_places=6, required=False)
    longitude = forms.DecimalField(label=_("longitude"), min_value=-180, max_value=180, decimal_places=6, required=False)
    floors = forms.IntegerField(label=_("floors"), min_value=1, max_value=60, initial=1)
    floor_area = forms.DecimalField(label=_("floor area (m²)"), min_value=0.01, max_value=100_000, decimal_places=2)
    ground_floor_area = forms.DecimalField(label=_("ground-floor area (m²)"), min_value=0, max_value=100_000, decimal_places=2, initial=0)
    independent_entrance = forms.BooleanField(label=_("independent street-level entrance"), required=False)
    has_lift = forms.BooleanField(label=_("lift"), required=False)
    parking_spaces = forms.IntegerField(label=_("parking spaces"), min_value=0, max_value=5000, initial=0)
    square_area = forms.DecimalField(label=_("activity square (m²)"), min_value=0, max_value=100_000, decimal_places=2, initial=0)
    opening_hours = forms.CharField(label=_("opening hours"), max_length=300, required=False, help_text=HOURS_HELP)
    host_unit = forms.CharField(label=_("host unit (for a shared resource)"), max_length=120, required=False)
    property_class = forms.ChoiceField(label=_("property class"), choices=PropertyClass.choices)
    state_share = forms.DecimalField(label=_("state-owned share (%)"), min_value=0, max_value=100, decimal_places=2, required=False)
    collective_share = forms.DecimalField(label=_("collective share (%)"), min_value=0, max_value=100, decimal_places=2, required=False)
    property_source = forms.ChoiceField(label=_("property source"), choices=PropertySource.choices)
    certificate_no = forms.CharField(label=_("property certificate no."), max_length=60, required=False)
    owner_name = forms.CharField(label=_("owner or lessor"), max_length=120, required=False)
    lease_start = forms.DateField(label=_("lease or loan from"), required=False, widget=date_input())
    lease_end = forms.DateField(label=_("lease or loan until"), required=False, widget=date_input())
    annual_rent = forms.DecimalField(label=_("annual rent (yuan)"), min_value=0, decimal_places=2, required=False)
    opened_on = forms.DateField(label=_("in use since"), required=False, widget=date_input())
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RoomForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=80)
    floor = forms.IntegerField(label=_("floor"), min_value=-5, max_value=60, initial=1)
    area = forms.DecimalField(label=_("area (m²)"), min_value=1, max_value=100_000, decimal_places=2)
    capacity = forms.IntegerField(label=_("capacity (people)"), min_value=0, max_value=5000, initial=0)
    use = forms.ChoiceField(label=_("use"), choices=RoomUse.choices)
    functions = forms.MultipleChoiceField(label=_("functions"), required=False, widget=forms.CheckboxSelectMultiple)
    equipment = forms.CharField(label=_("equipment (separated by commas)"), max_length=300, required=False)
    opening_hours = forms.CharField(label=_("opening hours (empty: the site's)"), max_length=300, required=False, help_text=HOURS_HELP)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, catalogue=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["functions"].choices = [
            (str(aspect.name), [(f.code, f"{f.name}{' *' if f.requirement == 'required' else ''}") for f in aspect.functions.all()])
            for aspect in catalogue
        ]
        self.fields["functions"].widget.attrs["class"] = "form-check-input"

    def equipment_list(self) -> list[str]:
        raw = self.cleaned_data.get("equipment", "").replace("，", ",").replace("、", ",")
        return [item.strip() for item in raw.split(",") if item.strip()]


class CostForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(label=_("year"), min_value=1990, max_value=2100)
    category = forms.ChoiceField(label=_("category"), choices=CostCategory.choices)
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0.01, max_value=100_000_000, decimal_places=2,
                                widget=forms.NumberInput(attrs={"placeholder": _("amount (yuan)")}))
    paid_by = forms.ChoiceField(label=_("paid by"), choices=Payer.choices)
    room = forms.TypedChoiceField(label=_("room"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("note"), max_length=200, required=False, widget=forms.TextInput(attrs={"placeholder": _("note")}))

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", _("the whole site")), *[(r.pk, r.name) for r in rooms]]


class PhotoForm(BootstrapMixin, forms.Form):
    image = forms.FileField(label=_("photo (JPEG, PNG or WebP, at most 8 MB)"))
    caption = forms.CharField(label=_("caption"), max_length=120, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("caption")}))


class EvidenceForm(BootstrapMixin, forms.Form):
    criterion = forms.ChoiceField(label=_("criterion"))
    score = forms.DecimalField(label=_("score (0–1)"), min_value=0, max_value=1, decimal_places=3,
                               widget=forms.NumberInput(attrs={"placeholder": _("score (0–1)"), "step": "0.01"}))
    evidence = forms.CharField(label=_("evidence"), widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("evidence")}))
    assessed_on = forms.DateField(label=_("assessed on"), widget=date_input())

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = [
            (c["criterion"], _("%(title)s: the assessors' survey") % {"title": c.get("title", c["criterion"])}
             if c["indicator"] == "resident_ratings" else c.get("title", c["criterion"])) for c in criteria]


class ProvisionForm(BootstrapMixin, forms.Form):
    community_code = PickerField(label=_("community"), max_length=20, picker=division_picker(
        levels=("community",), perm="registry.add_provisionproject"))
    name = forms.CharField(label=_("project"), max_length=120)
    developer = forms.CharField(label=_("developer"), max_length=120)
    land_parcel = forms.CharField(label=_("land parcel"), max_length=60)
    households = forms.IntegerField(label=_("households planned"), min_value=1, max_value=100_000)
    method = forms.ChoiceField(label=_("method"), choices=ProvisionMethod.choices)
    presale_price = forms.DecimalField(label=_("presale filing average price (yuan/m²)"), min_value=0.01, decimal_places=2, required=False)


class SignOffForm(BootstrapMixin, forms.Form):
    party = forms.ChoiceField(label=_("party"), choices=SignOffParty.choices)
    document_no = forms.CharField(label=_("document no."), max_length=60)
    signed_on = forms.DateField(label=_("signed on"), widget=date_input())
    signer = forms.CharField(label=_("signed by"), max_length=60)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class DeliveryForm(BootstrapMixin, forms.Form):
    delivery_filed_on = forms.DateField(label=_("delivery filed on"), widget=date_input())
    provided_area = forms.DecimalField(label=_("area provided (m²)"), min_value=0.01, decimal_places=2, required=False)
    agreement_no = forms.CharField(label=_("agreement no."), max_length=60, required=False)


class PaymentForm(BootstrapMixin, forms.Form):
    paid_on = forms.DateField(label=_("paid on"), widget=date_input())
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0.01, decimal_places=2)
    document_no = forms.CharField(label=_("receipt or voucher no."), max_length=60)


class FilingForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class RentForm(BootstrapMixin, forms.Form):
    payer = forms.CharField(label=_("paid by (tenant)"), max_length=120)
    amount = forms.DecimalField(label=_("amount (yuan)"), min_value=0.01, decimal_places=2)
    received_on = forms.DateField(label=_("received on"), widget=date_input())
    document_no = forms.CharField(label=_("receipt or voucher no."), max_length=60)


def room_picker(*, within=None) -> Picker:
    """A picker of the rooms the user sees below ``within`` (a division or its code), by room or site name."""
    return Picker("registry:pick_rooms", params={"within": getattr(within, "code", within)},
                  placeholder=_("Type part of the room's or the site's name"))


# Signs and plaques [Huli].

def site_picker(*, within=None) -> Picker:
    return Picker("registry:pick_sites", params={"within": getattr(within, "code", within)},
                  placeholder=_("Type part of the site's name"))


class SignForm(BootstrapMixin, forms.Form):
    site = IdPickerField(label=_("site"), picker=site_picker())
    text = forms.CharField(label=_("text of the sign"), max_length=120)
    department = IdPickerField(label=_("issuing department"), required=False, picker=organisation_picker(kinds=("department",)))
    department_name = forms.CharField(label=_("or issued by (if not in the list)"), max_length=120, required=False)
    hung_on = forms.DateField(label=_("hung since"), required=False, widget=date_input())
    photo = forms.ImageField(label=_("photo"), required=False)

    def __init__(self, *args, within=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].widget = site_picker(within=within)


class SignRemovalForm(BootstrapMixin, forms.Form):
    # Required by the service, which refuses a removal without a photo in the user's language.
    photo = forms.ImageField(label=_("photo of the removal"), required=False)
    removed_on = forms.DateField(label=_("removed on"), required=False, widget=date_input())
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class CleanupForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=120)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class MergeForm(BootstrapMixin, forms.Form):
    room = IdPickerField(label=_("room to merge away"), picker=room_picker())
    keep = IdPickerField(label=_("room kept"), picker=room_picker())

    def __init__(self, *args, within=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].widget = room_picker(within=within)
        self.fields["keep"].widget = room_picker(within=within)
