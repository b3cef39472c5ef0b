"""Forms of the space-for-service pages; the services check everything again.

Weekly hours are typed the way a notice board writes them (周一至周五 09:00-12:00；周六 14:00-17:00)
and turned into weekly slots; an agreement's services are a small formset, its shares one row per tier.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.errors import ValidationFailed
from core.forms import BootstrapMixin, date_input
from core.pickers import Picker, PickerChoiceField, PickerField
from org.forms import division_picker, organisation_picker
from registry.forms import room_picker
from registry.hours import parse_hours, week_slots

from .models import (
    BasisKind,
    CostBearer,
    FundingKind,
    OperationMode,
    PriceUnit,
    QualificationKind,
    ServiceCategory,
    ServiceTier,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}
HOURS_HELP = _("As on a notice board, e.g. 周一至周五 09:00-12:00；周六 14:00-17:00")


def slots_field(label, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, help_text=HOURS_HELP, max_length=300, **kwargs)


def clean_slots(text: str) -> list[dict]:
    try:
        slots = week_slots(parse_hours(text))
    except ValidationFailed as error:
        raise ValidationError([str(m) for messages in error.fields.values() for m in messages]) from None
    if not slots:
        raise ValidationError(_("Give at least one weekly time."))
    return slots


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one field (the services check each one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


# Admission.

class QualificationForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=QualificationKind.choices)
    number = forms.CharField(label=_("number"), max_length=60)
    issued_by = forms.CharField(label=_("issued by"), max_length=120, required=False)
    valid_until = forms.DateField(label=_("valid until"), widget=date_input(), required=False)
    document = forms.FileField(label=_("scan"), required=False)


class AdmissionForm(BootstrapMixin, forms.Form):
    operator = forms.ChoiceField(label=_("operator"))
    division = forms.ChoiceField(label=_("apply to (street or district)"))
    categories = forms.MultipleChoiceField(label=_("service categories"), choices=ServiceCategory.choices,
                                           widget=forms.CheckboxSelectMultiple)
    scope_description = forms.CharField(label=_("scope of services"), widget=forms.Textarea(attrs={"rows": 2}))
    references = forms.CharField(label=_("track record and references"), widget=forms.Textarea(attrs={"rows": 2}),
                                 required=False)

    def __init__(self, *args, operators=(), places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [(o.pk, o.name) for o in operators]
        self.fields["division"].choices = [(d.code, d.name) for d in places]
        self.fields["categories"].widget.attrs.pop("class", None)


class ReviewForm(BootstrapMixin, forms.Form):
    """The city's checklist, item by item, then the decision."""

    decision = forms.ChoiceField(label=_("decision"), choices=[("admit", _("admit")), ("reject", _("do not admit"))])
    note = forms.CharField(label=_("review note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    valid_from = forms.DateField(label=_("valid from"), widget=date_input(), required=False)
    valid_until = forms.DateField(label=_("valid until"), widget=date_input(), required=False,
                                  help_text=_("Empty: the city's validity from the rule pack."))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"met_{item['code']}"] = forms.BooleanField(
                label=item["text"] + ("" if item.get("required", True) else str(_(" (recommended)"))), required=False)
            self.fields[f"note_{item['code']}"] = forms.CharField(label=_("note"), max_length=300, required=False)

    def checklist(self) -> dict:
        data = self.cleaned_data
        return {item["code"]: {"met": bool(data.get(f"met_{item['code']}")), "note": data.get(f"note_{item['code']}", "")}
                for item in self.items}


# Agreements.

class TermsForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    number = forms.CharField(label=_("agreement number"), max_length=60, required=False)
    operator = PickerChoiceField(label=_("operator"), picker=Picker("operations:pick_operators", placeholder=_(
        "Type part of the name of an operator admitted here")))
    mode = forms.ChoiceField(label=_("operation mode"), choices=OperationMode.choices)
    starts_on = forms.DateField(label=_("from"), widget=date_input())
    ends_on = forms.DateField(label=_("until"), widget=date_input())
    renovation_by = forms.ChoiceField(label=_("renovation borne by"), choices=CostBearer.choices, initial=CostBearer.OPERATOR)
    utilities_by = forms.ChoiceField(label=_("utilities borne by"), choices=CostBearer.choices, initial=CostBearer.OPERATOR)
    maintenance_by = forms.ChoiceField(label=_("maintenance borne by"), choices=CostBearer.choices, initial=CostBearer.OPERATOR)
    operator_renovation_cost = forms.DecimalField(label=_("renovation paid by the operator (yuan, one-off)"), initial=0, **MONEY)
    operator_running_cost = forms.DecimalField(label=_("running costs paid by the operator (yuan a year)"), initial=0, **MONEY)
    annual_rent = forms.DecimalField(label=_("rent paid by the operator (yuan a year; 0 for free use)"), initial=0, **MONEY)
    non_profit_purpose = forms.BooleanField(label=_("for a non-profit purpose"), required=False, initial=True)
    public_benefit_share = forms.DecimalField(label=_("agreed public-benefit share of sessions (0–1)"), min_value=0, max_value=1,
                                              decimal_places=3, initial="0.6")
    low_cost_price_cap = forms.DecimalField(label=_("agreed low-cost price cap (yuan)"), required=False, **MONEY)
    basis_kind = forms.ChoiceField(label=_("formal basis"), choices=[("", "—"), *BasisKind.choices], required=False)
    basis_number = forms.CharField(label=_("basis document number"), max_length=80, required=False)
    basis_date = forms.DateField(label=_("basis document date"), widget=date_input(), required=False)
    revenue_distribution = forms.CharField(label=_("revenue distribution"), widget=forms.Textarea(attrs={"rows": 2}),
                                           required=False)
    collective_resolution = forms.CharField(label=_("village collective's resolution"), max_length=120, required=False,
                                            help_text=_("For village-collective (or partly collective) rooms."))
    valuation_report_no = forms.CharField(label=_("third-party valuation report"), max_length=80, required=False)
    authorised_by = forms.CharField(label=_("authorising department"), max_length=120, required=False)
    authorisation_document = forms.CharField(label=_("authorisation document"), max_length=80, required=False)
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, operators=(), division=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [(o.pk, o.name) for o in operators]
        self.fields["operator"].widget.params["for"] = getattr(division, "code", None)

    def terms(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("operator")
        return data


class SpaceForm(BootstrapMixin, forms.Form):
    room = PickerChoiceField(label=_("room"), coerce=int, required=False, picker=room_picker())
    hours = slots_field(_("weekly hours given over"), required=False)
    area = forms.DecimalField(label=_("area given over (m²; empty for the whole room)"), required=False, min_value=1)

    def __init__(self, *args, rooms=(), division=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", "—"), *[(r.pk, f"{r.site.name} · {r.name}（{r.area}㎡）") for r in rooms]]
        self.fields["room"].widget.params["within"] = getattr(division, "code", None)

    def clean(self):
        data = super().clean()
        if data.get("room") and not data.get("hours"):
            self.add_error("hours", _("Give the weekly hours this room is given over."))
        if data.get("hours"):
            try:
                data["slots"] = clean_slots(data["hours"])
            except ValidationError as error:
                self.add_error("hours", error)
        return data


class ServiceForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("service"), max_length=120, required=False)
    category = forms.ChoiceField(label=_("category"), choices=ServiceCategory.choices, required=False)
    tier = forms.ChoiceField(label=_("tier"), choices=ServiceTier.choices, required=False)
    price = forms.DecimalField(label=_("price (yuan)"), required=False, **MONEY)
    price_unit = forms.ChoiceField(label=_("price unit"), choices=PriceUnit.choices, required=False)
    market_price = forms.DecimalField(label=_("market price (yuan)"), required=False, **MONEY)
    capacity = forms.IntegerField(label=_("places per session"), min_value=0, required=False)
    audience = forms.CharField(label=_("for whom"), max_length=120, required=False)


class ShareForm(BootstrapMixin, forms.Form):
    tier = forms.ChoiceField(choices=ServiceTier.choices, widget=forms.HiddenInput)
    percent = forms.DecimalField(label=_("share of revenue (%)"), required=False, min_value=0, max_value=100, decimal_places=2)
    fixed_monthly = forms.DecimalField(label=_("or a fixed sum a month (yuan)"), required=False, **MONEY)

    @property
    def tier_label(self):
        tier = self.initial.get("tier")
        return ServiceTier(tier).label if tier in ServiceTier.values else ""


SpaceFormSet = forms.formset_factory(SpaceForm, extra=0, min_num=1, max_num=10)
ServiceFormSet = forms.formset_factory(ServiceForm, extra=0, min_num=1, max_num=30)
ShareFormSet = forms.formset_factory(ShareForm, extra=0, max_num=3)


def services_from(formset) -> list[dict]:
    return [{k: v for k, v in form.cleaned_data.items() if v not in (None, "")} for form in formset.forms
            if form.cleaned_data.get("name")]


def spaces_from(formset) -> list[dict]:
    return [{"room": f.cleaned_data["room"], "hours": f.cleaned_data.get("slots", []), "area": f.cleaned_data.get("area")}
            for f in formset.forms if f.cleaned_data.get("room")]


def shares_from(formset) -> list[dict]:
    return [{"tier": f.cleaned_data["tier"], "percent": f.cleaned_data.get("percent"),
             "fixed_monthly": f.cleaned_data.get("fixed_monthly")}
            for f in formset.forms
            if f.cleaned_data.get("percent") is not None or f.cleaned_data.get("fixed_monthly") is not None]


class TerminateForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label=_("last day"), widget=date_input())
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RenewForm(BootstrapMixin, forms.Form):
    ends_on = forms.DateField(label=_("new term until"), widget=date_input())


# Reports.

class ReportForm(BootstrapMixin, forms.Form):
    month = forms.DateField(label=_("month"), input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(format="%Y-%m", attrs={"type": "month"}))
    revenue_low_cost = forms.DecimalField(label=_("low-cost revenue (yuan)"), initial=0, **MONEY)
    revenue_market = forms.DecimalField(label=_("market revenue (yuan)"), initial=0, **MONEY)
    operating_cost = forms.DecimalField(label=_("operating costs (yuan)"), initial=0, **MONEY)
    sessions_free = forms.IntegerField(label=_("free sessions"), min_value=0, initial=0)
    sessions_low_cost = forms.IntegerField(label=_("low-cost sessions"), min_value=0, initial=0)
    sessions_market = forms.IntegerField(label=_("market sessions"), min_value=0, initial=0)
    people_free = forms.IntegerField(label=_("person-times served free"), min_value=0, initial=0)
    people_low_cost = forms.IntegerField(label=_("person-times served at low cost"), min_value=0, initial=0)
    people_market = forms.IntegerField(label=_("person-times served at market price"), min_value=0, initial=0)
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    photos = MultipleImageField(label=_("photos of the month's services"))

    def figures(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("month", "photos")}


# Public funding.

class FundingForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=FundingKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    number = forms.CharField(label=_("contract or document number"), max_length=80, required=False)
    funder = forms.ChoiceField(label=_("paid by"))
    division = PickerField(label=_("community or street served"), max_length=12,
                           picker=division_picker(levels=("street", "community")))
    recipient = PickerChoiceField(label=_("provider or recipient organisation"), coerce=int, required=False,
                                  picker=organisation_picker(kinds=("operator",)))
    amount = forms.DecimalField(label=_("amount (yuan)"), required=False, help_text=_(
        "Empty for a service station's construction subsidy: the city's standard amount."), **MONEY)
    starts_on = forms.DateField(label=_("from"), widget=date_input(), initial=timezone.localdate)
    ends_on = forms.DateField(label=_("until"), widget=date_input())
    conditions = forms.CharField(label=_("conditions"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    milestones = forms.CharField(label=_("milestones"), widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text=_(
        "One a line: date, title, payment it releases — e.g. 2027-03-31, 完成改造方案, 30000"))

    def __init__(self, *args, funders=(), recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].choices = [(d.code, d.name) for d in funders]
        self.fields["recipient"].choices = [("", "—"), *[(o.pk, o.name) for o in recipients]]
        if funders:
            self.fields["division"].widget.params["within"] = funders[0].code
            self.fields["recipient"].widget.params["within"] = funders[0].code

    def clean_milestones(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) != 3:
                raise ValidationError(_("Line %(n)s: give a date, a title and an amount, separated by commas.") % {"n": number})
            rows.append({"due_on": parts[0], "title": parts[1], "amount": parts[2]})
        return rows


class PaymentForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(label=_("amount (yuan)"), max_digits=14, decimal_places=2, min_value=0.01)
    paid_on = forms.DateField(label=pgettext_lazy("money paid out", "paid on"), widget=date_input(), initial=timezone.localdate)
    document = forms.CharField(label=_("payment document"), max_length=80)
    milestone = forms.TypedChoiceField(label=_("for milestone"), coerce=int, required=False)

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [("", "—"), *[(m.pk, m.title) for m in milestones]]


class MilestoneDecisionForm(BootstrapMixin, forms.Form):
    milestone = forms.TypedChoiceField(label=_("milestone"), coerce=int)
    met = forms.ChoiceField(label=_("result"), choices=[("1", _("met")), ("0", _("missed"))])
    evidence = forms.CharField(label=_("evidence"), widget=forms.Textarea(attrs={"rows": 2}))
    evidence_file = forms.FileField(label=_("evidence file"), required=False)

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [(m.pk, m.title) for m in milestones]


# Partnership offers.

class OfferForm(BootstrapMixin, forms.Form):
    room = forms.TypedChoiceField(label=_("idle room"), coerce=int)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("what the community is looking for"), widget=forms.Textarea(attrs={"rows": 3}))
    categories = forms.MultipleChoiceField(label=_("service categories wanted"), choices=ServiceCategory.choices,
                                           widget=forms.CheckboxSelectMultiple)
    hours = slots_field(_("weekly hours offered"))
    closes_on = forms.DateField(label=_("proposals until"), widget=date_input())

    def __init__(self, *args, rooms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [(u.room.pk, f"{u.room.site.name} · {u.room.name}（{u.rate * 100:.0f}%）") for u in rooms]
        self.fields["categories"].widget.attrs.pop("class", None)

    def clean_hours(self):
        return clean_slots(self.cleaned_data["hours"])


class InterestForm(BootstrapMixin, forms.Form):
    operator = forms.ChoiceField(label=_("operator"))
    proposal = forms.CharField(label=_("proposal"), widget=forms.Textarea(attrs={"rows": 3}))
    renovation_cost = forms.DecimalField(label=_("renovation the operator would pay (yuan)"), initial=0, **MONEY)

    def __init__(self, *args, operators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [(o.pk, o.name) for o in operators]


class AwardForm(BootstrapMixin, forms.Form):
    interest = forms.TypedChoiceField(label=_("proposal chosen"), coerce=int)
    mode = forms.ChoiceField(label=_("operation mode"), choices=OperationMode.choices)
    starts_on = forms.DateField(label=_("from"), widget=date_input())
    ends_on = forms.DateField(label=_("until"), widget=date_input())
    basis_kind = forms.ChoiceField(label=_("formal basis"), choices=[("", "—"), *BasisKind.choices], required=False)
    basis_number = forms.CharField(label=_("basis document number"), max_length=80, required=False)
    basis_date = forms.DateField(label=_("basis document date"), widget=date_input(), required=False)
    revenue_distribution = forms.CharField(label=_("revenue distribution"), required=False)

    def __init__(self, *args, interests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interest"].choices = [(i.pk, i.operator.name) for i in interests]

    def terms(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("interest")
        return data
