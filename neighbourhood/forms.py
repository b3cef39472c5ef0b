"""Forms of the smart neighbourhood's pages (residents' phone pages and the staff pages)."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin, date_input, time_input
from core.pickers import Picker, PickerChoiceField
from org.forms import division_picker
from registry.forms import room_picker

from .models import Audience, FeedbackStatus, HouseholdTag, NeedStatus, ServiceCategory, ServiceTier

WEEKDAYS = [("MO", _("Monday")), ("TU", _("Tuesday")), ("WE", _("Wednesday")), ("TH", _("Thursday")), ("FR", _("Friday")),
            ("SA", _("Saturday")), ("SU", _("Sunday"))]


def aware(day, moment) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


def operator_picker(*, community=None) -> Picker:
    """A picker of the operators that may serve ``community`` (a division or its code), by name."""
    return Picker("neighbourhood:pick_operators", params={"for": getattr(community, "code", community)},
                  placeholder=_("Type part of the operator's name"))


class HouseholdForm(BootstrapMixin, forms.Form):
    address = forms.CharField(label=_("Building, unit and door"), max_length=120, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. 3-2-501")}))
    members = forms.IntegerField(label=_("People in the household"), min_value=1, max_value=30, initial=1)
    tags = forms.MultipleChoiceField(label=_("Who lives here (optional)"), choices=HouseholdTag.choices, required=False,
                                     widget=forms.CheckboxSelectMultiple)
    consent = forms.BooleanField(label=_("I agree that my community keeps these facts to plan services; I can withdraw at any time."),
                                 required=False)


class NeedForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of need"))
    title = forms.CharField(label=_("In a few words"), max_length=120, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. a canteen for older people nearby")}))
    description = forms.CharField(label=_("Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    preferred_tier = forms.ChoiceField(label=_("What price can you bear?"), choices=[("", _("no preference")), *ServiceTier.choices],
                                       required=False)
    on_behalf_of = forms.CharField(label=_("For (when recorded on a visit)"), max_length=60, required=False)
    grid = forms.ChoiceField(label=_("Grid"), required=False)

    def __init__(self, *args, kinds=(), staff: bool = False, grids=(), any_grid: bool = True, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        grouped: dict[str, list] = {}
        for kind in kinds:
            grouped.setdefault(str(ServiceCategory(kind.category).label), []).append((kind.pk, kind.name))
        self.fields["kind"].choices = [("", "—")] + [(label, options) for label, options in grouped.items()]
        if not staff:
            del self.fields["on_behalf_of"]
        if staff and grids:
            self.fields["grid"].choices = ([("", "—")] if any_grid else []) + [(g.code, g.name) for g in grids]
            if any_grid and community is not None:
                # The community's staff search its grids by name; a grid worker has their own grid to choose.
                self.fields["grid"] = PickerChoiceField(
                    label=self.fields["grid"].label, required=False, choices=self.fields["grid"].choices,
                    picker=division_picker(levels=("grid",), within=community, placeholder=_("Type part of the grid's name")))
        else:
            del self.fields["grid"]


class NeedMarkForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=NeedStatus.choices)
    note = forms.CharField(label=_("What is done about it"), max_length=300, required=False)
    service = forms.TypedChoiceField(label=_("Met by agreed service"), coerce=int, required=False, empty_value=None)
    activity = forms.TypedChoiceField(label=_("Met by activity"), coerce=int, required=False, empty_value=None)
    order = forms.TypedChoiceField(label=_("Met by service order"), coerce=int, required=False, empty_value=None)
    operator = PickerChoiceField(label=_("Met by operator"), coerce=int, required=False, empty_value=None, picker=operator_picker())

    def __init__(self, *args, offered=(), activities=(), orders=(), operators=(), community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].widget.params["for"] = getattr(community, "code", None)
        self.fields["service"].choices = [("", "—")] + [(s.pk, f"{s.name} · {s.agreement.operator.name}") for s in offered]
        self.fields["activity"].choices = [("", "—")] + [(a.pk, a.title) for a in activities]
        self.fields["order"].choices = [("", "—")] + [(o.pk, f"{o.title} · {o.get_status_display()}") for o in orders]
        self.fields["operator"].choices = [("", "—")] + [(o.pk, o.name) for o in operators]


class InviteForm(BootstrapMixin, forms.Form):
    operator = forms.IntegerField(widget=forms.HiddenInput)
    service = forms.IntegerField(required=False, widget=forms.HiddenInput)
    message = forms.CharField(label=_("Message"), max_length=500, required=False)


class AnswerForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=300, required=False)


class ActivityForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("Category"), choices=ServiceCategory.choices)
    audience = forms.ChoiceField(label=_("For"), choices=Audience.choices)
    tier = forms.ChoiceField(label=_("Tier"), choices=ServiceTier.choices)
    price = forms.DecimalField(label=_("Price (yuan)"), min_value=0, max_digits=8, decimal_places=2, initial=0)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=5000, initial=20)
    places_per_registration = forms.IntegerField(label=_("Places one person may take"), min_value=1, initial=1)
    room = PickerChoiceField(label=_("Room"), coerce=int, required=False, empty_value=None, picker=room_picker())
    place = forms.CharField(label=_("Or a place outside the register"), max_length=120, required=False)
    day = forms.DateField(label=_("Date (first session)"), widget=date_input())
    start = forms.TimeField(label=_("From"), widget=time_input(30))
    end = forms.TimeField(label=_("Until"), widget=time_input(30))
    weeks = forms.IntegerField(label=_("Weekly sessions (1 for a one-off event)"), min_value=1, max_value=52, initial=1)
    waitlist = forms.BooleanField(label=_("Keep a waitlist when full"), required=False, initial=True)
    organiser = forms.TypedChoiceField(label=_("Run by"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, rooms=(), organisers=(), division=None, search_organisers: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [("", "—")] + [(r.pk, f"{r.site.name} · {r.name}（{r.capacity}）") for r in rooms]
        self.fields["room"].widget.params["within"] = getattr(division, "code", None)
        if search_organisers:
            # The community's staff name any operator that may serve it; an operator runs its own.
            self.fields["organiser"] = PickerChoiceField(
                label=self.fields["organiser"].label, coerce=int, required=False, empty_value=None,
                picker=operator_picker(community=division), help_text=_("Empty: the community itself."))
        self.fields["organiser"].choices = [("", _("the community itself"))] + [(o.pk, o.name) for o in organisers]

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start") and data.get("end"):
            data["starts_at"] = aware(data["day"], data["start"])
            data["ends_at"] = aware(data["day"], data["end"])
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The activity must end after it starts."))
        weeks = data.get("weeks") or 1
        data["rrule"] = f"FREQ=WEEKLY;COUNT={weeks}" if weeks > 1 else ""
        return data


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=200)


class RegisterForm(BootstrapMixin, forms.Form):
    places = forms.IntegerField(label=_("Places"), min_value=1, initial=1)


class CodeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Attendance code"), max_length=8,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class OrderForm(BootstrapMixin, forms.Form):
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), choices=[("", "—"), *ServiceCategory.choices], required=False)
    title = forms.CharField(label=_("What do you need?"), max_length=120, required=False)
    details = forms.CharField(label=_("Details"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    preferred_time = forms.CharField(label=_("When suits you"), max_length=120, required=False,
                                     widget=forms.TextInput(attrs={"placeholder": _("e.g. weekday mornings")}))
    operator = PickerChoiceField(label=_("Offered by"), coerce=int, required=False, empty_value=None, picker=operator_picker(),
                                 help_text=_("Empty: any operator serving my community."))
    participants = forms.IntegerField(label=_("People"), min_value=1, initial=1)
    pooled = forms.BooleanField(label=_("Neighbours with the same need may join"), required=False)

    def __init__(self, *args, operators=(), offered=(), community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [("", _("any operator serving my community"))] + [(o.pk, o.name) for o in operators]
        self.fields["operator"].widget.params["for"] = getattr(community, "code", None)
        self.fields["service"].choices = [("", _("something else (describe it below)"))] + [
            (s.pk, f"{s.name} · {s.agreement.operator.name} · {s.get_tier_display()}{f' ¥{s.price}' if s.price else ''}")
            for s in offered]

    def clean(self):
        data = super().clean()
        if not data.get("service") and not (data.get("category") and data.get("title")):
            raise forms.ValidationError(_("Choose a service, or give a category and say what you need."))
        return data


class ScheduleForm(BootstrapMixin, forms.Form):
    room = PickerChoiceField(label=_("Room"), coerce=int, picker=room_picker())
    day = forms.DateField(label=_("Date"), widget=date_input())
    start = forms.TimeField(label=_("From"), widget=time_input(30))
    end = forms.TimeField(label=_("Until"), widget=time_input(30))

    def __init__(self, *args, rooms=(), community=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].choices = [(r.pk, f"{r.site.name} · {r.name}（{r.capacity}）") for r in rooms]
        self.fields["room"].widget.params["within"] = getattr(community, "code", None)
        self.fields["day"].initial = timezone.localdate() + timedelta(days=1)


class DeliverForm(BootstrapMixin, forms.Form):
    people_served = forms.IntegerField(label=_("People served"), min_value=0)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RateForm(BootstrapMixin, forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)])
    comment = forms.CharField(label=_("Comment"), max_length=300, required=False)


class FeedbackForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(label=_("What happened?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}))
    address = forms.CharField(label=_("Where"), max_length=200, required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("e.g. the gate of building 3")}))
    latitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)
    # Not public unless the resident ticks it (个人信息保护法 第二十五条).
    public = forms.BooleanField(label=_("Show it publicly (without my name or phone)"), required=False, initial=False,
                                help_text=_("Only if you tick this is your request shown on the public list, and then only its "
                                            "words, photo and a place about 100 m around; your name and phone never."))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        grouped: dict[str, list] = {}
        for category in categories:
            grouped.setdefault(category.get("group") or "", []).append((category["code"], category["name"]))
        self.fields["category"].choices = [("", "—")] + [(group, options) for group, options in grouped.items()]


class FeedbackUpdateForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[c for c in FeedbackStatus.choices if c[0] != FeedbackStatus.SUBMITTED])
    public_note = forms.CharField(label=_("Note to the resident (shown publicly)"), max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
