"""Forms of the fund pages; the services check everything again."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin, date_input
from core.pickers import IdPickerField, Picker, PickerChoiceField, PickerField
from org.forms import organisation_picker

from .models import CommitteeSide, DonorKind, IncomeKind, ProjectKind, VoteChoice

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0.01}


class FundForm(BootstrapMixin, forms.Form):
    host = PickerChoiceField(label=_("host charity"), picker=organisation_picker(kinds=("charity",), fundraising=True))
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    led_by = forms.CharField(label=_("led by"), max_length=200, help_text=_("The community party organisation that leads the fund."))
    founding_document = forms.CharField(label=_("founding document"), max_length=100, required=False)
    founded_on = forms.DateField(label=_("founded on"), widget=date_input(), initial=timezone.localdate)
    purpose = forms.CharField(label=_("purpose"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, hosts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [(h.pk, h.name) for h in hosts]


class IncomeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=[c for c in IncomeKind.choices if c[0] != IncomeKind.SEED_MATCHING])
    amount = forms.DecimalField(label=_("amount (yuan)"), **MONEY)
    donor_name = forms.CharField(label=_("donor or payer"), max_length=200)
    donor_kind = forms.ChoiceField(label=_("donor kind"), choices=DonorKind.choices)
    anonymous = forms.BooleanField(label=_("anonymous in disclosures"), required=False)
    purpose = forms.CharField(label=_("purpose (targeted donations)"), max_length=200, required=False)
    received_on = forms.DateField(label=_("received on"), widget=date_input(), initial=timezone.localdate)
    receipt_no = forms.CharField(label=_("donation receipt number"), max_length=60, required=False)


class FoundForm(forms.Form):
    """Where to found a fund: a community (or district) without one, picked by name."""

    code = PickerField(label=_("Found a fund for"), max_length=20, picker=Picker(
        "funds:pick_places", placeholder=_("Type part of the community's name")))


class MemberForm(BootstrapMixin, forms.Form):
    person = IdPickerField(label=_("person"), picker=Picker("funds:pick_members", placeholder=_("Type a name or a mobile number")),
                           help_text=_("People of the community, or of the host charity."))
    side = forms.ChoiceField(label=_("side"), choices=CommitteeSide.choices)
    is_chair = forms.BooleanField(label=_("chair"), required=False)

    def __init__(self, *args, fund=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].widget.params["fund"] = fund.division.code if fund is not None else None


class ProjectForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("title"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=ProjectKind.choices)
    budget = forms.DecimalField(label=_("budget (yuan)"), **MONEY)
    beneficiaries = forms.CharField(label=_("beneficiaries"), max_length=200)
    beneficiary_count = forms.IntegerField(label=_("number of beneficiaries"), min_value=0, initial=0)
    plan = forms.CharField(label=_("plan"), widget=forms.Textarea(attrs={"rows": 3}))


class VoteForm(BootstrapMixin, forms.Form):
    choice = forms.ChoiceField(label=_("vote"), choices=VoteChoice.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("comment"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(BootstrapMixin, forms.Form):
    approve = forms.TypedChoiceField(label=_("decision"), choices=[("1", _("approve")), ("0", _("return to the community"))],
                                     coerce=lambda v: v == "1")
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DisbursementForm(BootstrapMixin, forms.Form):
    amount = forms.DecimalField(label=_("amount (yuan)"), **MONEY)
    payee = forms.CharField(label=_("payee"), max_length=200)
    document = forms.CharField(label=_("payment voucher number"), max_length=100)


class EvidenceForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("what was spent on"), max_length=200)
    amount = forms.DecimalField(label=_("amount (yuan)"), **MONEY)
    invoice_no = forms.CharField(label=_("invoice or voucher number"), max_length=60)
    file = forms.FileField(label=_("scan or photo"), required=False)


class ReportForm(BootstrapMixin, forms.Form):
    report = forms.CharField(label=_("completion report"), widget=forms.Textarea(attrs={"rows": 4}))


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500)


class PeriodForm(BootstrapMixin, forms.Form):
    since = forms.DateField(label=_("from"), widget=date_input())
    until = forms.DateField(label=_("to"), widget=date_input())

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError(_("The period must end after it starts."))
        return data
