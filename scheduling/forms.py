"""Forms of the scheduling pages. A date and times are asked for separately, as people think of them."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import BootstrapMixin, date_input, time_input
from core.pickers import IdPickerField
from org.forms import division_picker
from registry.forms import room_picker

from .models import Booker, BookingStatus, ResourceCategory

REPEAT = [("", _("once")), ("DAILY", _("every day")), ("WEEKLY", _("every week")), ("BIWEEKLY", _("every two weeks")),
          ("MONTHLY", _("every month"))]


def aware(day, moment) -> datetime:
    return datetime.combine(day, moment, tzinfo=timezone.get_current_timezone())


class BookingForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("name of the activity"), max_length=120)
    day = forms.DateField(label=_("date"), widget=date_input())
    start = forms.TimeField(label=pgettext_lazy("time of day", "from"), widget=time_input())
    end = forms.TimeField(label=pgettext_lazy("time of day", "until"), widget=time_input())
    attendees = forms.IntegerField(label=_("how many people"), min_value=1, max_value=5000, initial=1)
    purpose = forms.CharField(label=_("details (optional)"), max_length=300, required=False)
    repeat = forms.ChoiceField(label=_("repeat"), choices=REPEAT, required=False)
    repeat_count = forms.IntegerField(label=_("how many times"), min_value=2, max_value=366, required=False)
    repeat_until = forms.DateField(label=_("or until"), required=False, widget=date_input())
    skip_conflicts = forms.BooleanField(label=_("book the free dates and leave out the taken ones"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start") and data.get("end"):
            data["starts_at"] = aware(data["day"], data["start"])
            data["ends_at"] = aware(data["day"], data["end"])
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The booking must end after it starts."))
        if data.get("repeat") and not (data.get("repeat_count") or data.get("repeat_until")):
            self.add_error("repeat_count", _("Say how many times, or until when."))
        return data

    def rrule(self) -> str:
        data = self.cleaned_data
        freq = data["repeat"]
        parts = ["FREQ=WEEKLY;INTERVAL=2" if freq == "BIWEEKLY" else f"FREQ={freq}"]
        if data.get("repeat_count"):
            parts.append(f"COUNT={data['repeat_count']}")
        else:
            until = aware(data["repeat_until"], datetime.max.time().replace(microsecond=0)).astimezone(timezone.UTC)
            parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
        return ";".join(parts)


class MoveForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("new date"), widget=date_input())
    start = forms.TimeField(label=pgettext_lazy("time of day", "from"), widget=time_input())
    end = forms.TimeField(label=pgettext_lazy("time of day", "until"), widget=time_input())
    scope = forms.ChoiceField(label=_("apply to"), choices=[("one", _("this occurrence")), ("following", _("this and the following")),
                                                             ("series", _("the whole series"))])


class CancelForm(BootstrapMixin, forms.Form):
    scope = forms.ChoiceField(label=_("cancel"), choices=[("one", _("this occurrence")), ("following", _("this and the following")),
                                                          ("series", _("the whole series"))])
    reason = forms.CharField(label=_("why"), max_length=200, required=False)


class DecisionForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("note to the person who asked"), max_length=200, required=False)


class PolicyForm(BootstrapMixin, forms.Form):
    bookable = forms.BooleanField(label=_("open for booking"), required=False)
    bookable_hours = forms.CharField(label=_("bookable hours (empty: the room's opening hours)"), max_length=300, required=False)
    min_minutes = forms.IntegerField(label=_("shortest booking (minutes)"), min_value=5, max_value=1440)
    max_minutes = forms.IntegerField(label=_("longest booking (minutes)"), min_value=5, max_value=1440)
    slot_minutes = forms.IntegerField(label=_("slot size (minutes)"), min_value=5, max_value=240)
    buffer_minutes = forms.IntegerField(label=_("buffer between bookings (minutes)"), min_value=0, max_value=240)
    horizon_days = forms.IntegerField(label=_("bookable this many days ahead"), min_value=1, max_value=730)
    bookers = forms.MultipleChoiceField(label=_("who may book"), choices=Booker.choices, widget=forms.CheckboxSelectMultiple)
    approval_required = forms.BooleanField(label=_("bookings need approval"), required=False)
    hold_minutes = forms.IntegerField(label=_("a request holds the slot for (minutes)"), min_value=5, max_value=10080)
    no_show_minutes = forms.IntegerField(label=_("released if nobody checks in within (minutes)"), min_value=5, max_value=240)


class ClosureForm(BootstrapMixin, forms.Form):
    whole_site = forms.BooleanField(label=_("close the whole site"), required=False)
    start_day = forms.DateField(label=pgettext_lazy("date", "from"), widget=date_input())
    end_day = forms.DateField(label=_("until (inclusive)"), widget=date_input())
    reason = forms.CharField(label=_("reason"), max_length=120)
    cancel_bookings = forms.BooleanField(label=_("cancel the bookings in this time and tell their bookers"), required=False)

    def period(self):
        data = self.cleaned_data
        return aware(data["start_day"], datetime.min.time()), aware(data["end_day"] + timedelta(days=1), datetime.min.time())


class SearchForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("date"), widget=date_input())
    start = forms.TimeField(label=pgettext_lazy("time of day", "from"), widget=time_input(), initial="14:00")
    end = forms.TimeField(label=pgettext_lazy("time of day", "until"), widget=time_input(), initial="18:00")
    days = forms.IntegerField(label=_("over how many days"), min_value=1, max_value=14, initial=1)
    minutes = forms.IntegerField(label=_("for how long (minutes)"), min_value=15, max_value=600, initial=60)
    capacity = forms.IntegerField(label=_("how many people"), min_value=1, max_value=5000, initial=10)
    equipment = forms.CharField(label=_("equipment needed (e.g. 投影仪)"), max_length=100, required=False)
    function = forms.ChoiceField(label=_("function"), required=False)

    def __init__(self, *args, functions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["function"].choices = [("", _("any")), *[(f.code, f.name) for f in functions]]


class RotationForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=120, initial="“两代表一委员”工作室轮值")
    departments = forms.MultipleChoiceField(label=_("departments, in turn"), widget=forms.CheckboxSelectMultiple)
    slots = forms.CharField(label=_("weekly slots"), max_length=300, help_text=_("For example: 周二 09:00-11:30；周四 14:30-17:00"))
    starts_on = forms.DateField(label=_("from"), widget=date_input())
    ends_on = forms.DateField(label=_("until"), widget=date_input())

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = [(d.pk, d.name) for d in departments]


class RoomPickForm(forms.Form):
    """Which room to set a rotation for: picked by its name or its site's, among the rooms of the user's area."""

    room = IdPickerField(label=_("room"), picker=room_picker())

    def __init__(self, *args, within=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].widget.params["within"] = getattr(within, "code", None)


class BookingFilterForm(BootstrapMixin, forms.Form):
    """The filters of the list of bookings of a place: where, which room, when, in what state, what words."""

    place = forms.CharField(label=_("community or street"), required=False)
    room = forms.IntegerField(label=_("room"), required=False, widget=room_picker())
    since = forms.DateField(label=pgettext_lazy("date", "from"), required=False, widget=date_input())
    until = forms.DateField(label=pgettext_lazy("date", "to"), required=False, widget=date_input())
    status = forms.ChoiceField(label=_("status"), required=False)
    q = forms.CharField(label=_("title, booker or organisation"), max_length=50, required=False)
    mine = forms.BooleanField(label=_("only mine"), required=False)

    def __init__(self, *args, within=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].widget = division_picker(levels=("street", "community"), within=within,
                                                     perm="scheduling.view_booking")
        self.fields["room"].widget.params["within"] = getattr(within, "code", None)
        self.fields["status"].choices = [("", _("any")), *BookingStatus.choices]


# Units' open resources (驻区单位开放资源).

class OpenResourceFilterForm(BootstrapMixin, forms.Form):
    """Find a unit's resource: of a category, in a street (or community) of one's area."""

    category = forms.ChoiceField(label=_("category"), required=False)
    place = forms.CharField(label=_("street or community"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("any")), *ResourceCategory.choices]
        self.fields["place"].widget = division_picker(levels=("street", "community"), perm="scheduling.view_openresource")


class OpenResourceForm(BootstrapMixin, forms.Form):
    """A unit's resource as its staff describe it: what, where, when it is open and on what rules."""

    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    community = forms.CharField(label=_("community where it is"))
    name = forms.CharField(label=_("name"), max_length=80, help_text=_("e.g. 运动场, 地面停车场, 三楼会议室"))
    category = forms.ChoiceField(label=_("category"), choices=ResourceCategory.choices)
    opening_hours = forms.CharField(label=_("open to residents at"), max_length=300,
                                    help_text=_("As a notice board writes them, e.g. 周六、周日 08:00-18:00；周一至周五 18:30-21:00"))
    rules = forms.CharField(label=_("rules of use"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("Who may book, what to bring, what is not allowed."))
    capacity = forms.IntegerField(label=_("people or parking spaces"), min_value=0, max_value=5000, initial=20)
    area = forms.DecimalField(label=_("area (m²)"), min_value=1, max_value=100000, initial=100)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    max_minutes = forms.IntegerField(label=_("longest booking (minutes)"), min_value=30, max_value=24 * 60, initial=240)

    def __init__(self, *args, units=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        self.fields["community"].widget = division_picker(levels=("community",), perm="org.view_division")
        if editing:
            for name in ("unit", "community", "area"):
                del self.fields[name]


class OpenBookingForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("what for"), max_length=120)
    day = forms.DateField(label=_("date"), widget=date_input())
    start = forms.TimeField(label=pgettext_lazy("time of day", "from"), widget=time_input())
    end = forms.TimeField(label=pgettext_lazy("time of day", "until"), widget=time_input())
    attendees = forms.IntegerField(label=_("how many people (or cars)"), min_value=1, max_value=5000, initial=1)
    purpose = forms.CharField(label=_("details (optional)"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start") and data.get("end"):
            data["starts_at"] = aware(data["day"], data["start"])
            data["ends_at"] = aware(data["day"], data["end"])
            if data["ends_at"] <= data["starts_at"]:
                self.add_error("end", _("The booking must end after it starts."))
        return data


class WithdrawForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("why it is withdrawn"), max_length=200)
