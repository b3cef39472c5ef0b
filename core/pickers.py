"""Searchable pickers: a person picks a division, an organisation, a person or a room by its name,
and never types a code, an id or a username.

A form field takes ``Picker(source="org:pick_divisions", params={...})`` as its widget. The widget
shows a text box (an ARIA combobox, ``core/static/core/picker.js``) that asks the kind's search
endpoint for matches as the person types, and a hidden input that carries the chosen value (a
division's code, an organisation's, person's or room's id) to the server, which looks it up again
through the same scoped selector as before, so a value out of the user's scope is refused there.

Each module that owns a kind serves its endpoint with ``picker_response``: ``?q=`` answers the
matches (at most ``LIMIT``), ``?value=`` answers the labels of values already chosen (to show them
again on a form sent back with an error). Both run through the module's scoped selectors only.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

LIMIT = 20
MAX_QUERY = 50
MAX_VALUES = 50
CHOOSE_FROM_THE_LIST = _("Choose from the list: type part of the name and pick one.")


@dataclass(frozen=True)
class Option:
    """One match: the value the form posts, what the person reads, and a line that tells alike names apart."""

    value: str
    label: str
    hint: str = ""


class Picker(forms.Widget):
    """A search box over one kind's endpoint, posting the chosen value (or values) behind the scenes."""

    template_name = "core/widgets/picker.html"
    allow_multiple_selected = False

    class Media:
        # Linli's pages load both from base.html; the back office (Django admin) loads them from here.
        js = ("core/picker.js",)
        css = {"all": ("core/picker-admin.css",)}

    def __init__(self, source: str, *, params: dict | None = None, placeholder=None, attrs=None):
        super().__init__(attrs)
        self.source = source
        self.params = dict(params or {})
        self.placeholder = placeholder
        self.labels: dict[str, str] = {}

    def __deepcopy__(self, memo):
        copied = super().__deepcopy__(memo)
        copied.params = dict(self.params)
        copied.labels = dict(self.labels)
        return copied

    def search_url(self) -> str:
        query = urlencode({k: v for k, v in self.params.items() if v not in (None, "")}, doseq=True)
        return reverse(self.source) + (f"?{query}" if query else "")

    def format_value(self, value) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple):
            return [str(v) for v in value if v not in (None, "")]
        return [str(value)]

    def value_from_datadict(self, data, files, name):
        if self.allow_multiple_selected:
            return [v for v in data.getlist(name) if v] if hasattr(data, "getlist") else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False if self.allow_multiple_selected else name not in data

    def known_labels(self) -> dict[str, str]:
        """Names of values the page already knows: the field's choices (when the view computed them) and
        ``labels``; the picker asks its endpoint for the others."""
        known = {str(value): str(label) for value, label in getattr(self, "choices", ()) if not isinstance(label, list | tuple)}
        return known | self.labels

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = context["widget"]["value"]
        labels = self.known_labels() if values else {}
        context["widget"].update({
            "source": self.search_url(),
            "multiple": self.allow_multiple_selected,
            "values": [(v, labels.get(v, "")) for v in values],
            "label": labels.get(values[0], "") if values and not self.allow_multiple_selected else "",
            "placeholder": self.placeholder or _("Type part of the name"),
        })
        context["widget"]["attrs"].pop("class", None)
        return context


class MultiplePicker(Picker):
    """Several values of one kind (e.g. the divisions an organisation serves), shown as removable chips."""

    allow_multiple_selected = True


class PickerField(forms.CharField):
    """A value (a code or an id) chosen with a picker; the view looks it up within the user's scope."""

    default_error_messages = {"required": CHOOSE_FROM_THE_LIST}

    def __init__(self, *, picker: Picker, **kwargs):
        super().__init__(widget=picker, **kwargs)


class IdPickerField(forms.IntegerField):
    """A row's id chosen with a picker (an organisation, a person, a room); the view fetches it in scope."""

    default_error_messages = {"required": CHOOSE_FROM_THE_LIST, "invalid": CHOOSE_FROM_THE_LIST}

    def __init__(self, *, picker: Picker, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(widget=picker, **kwargs)

    def widget_attrs(self, widget):
        return {}  # no number-box attributes on a search box


class PickerChoiceField(forms.TypedChoiceField):
    """One of the options the view computed for the user (already scoped), found by searching instead of
    scrolling a long list; a value that is not among them is refused with the same sentence."""

    default_error_messages = {"required": CHOOSE_FROM_THE_LIST, "invalid_choice": CHOOSE_FROM_THE_LIST}

    def __init__(self, *, picker: Picker, **kwargs):
        super().__init__(widget=picker, **kwargs)


class MultiplePickerField(forms.Field):
    """Several values chosen with a picker, as a list of strings."""

    default_error_messages = {"required": CHOOSE_FROM_THE_LIST}

    def __init__(self, *, picker: MultiplePicker, **kwargs):
        super().__init__(widget=picker, **kwargs)

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def picker_response(request, *, search: Callable[[str], Iterable[Option]],
                    lookup: Callable[[list[str]], Iterable[Option]]) -> JsonResponse:
    """The answer of a kind's endpoint: ``{"results": [{"value", "label", "hint"}]}``.

    ``search(q)`` gives the matches of the text typed (the first ones in scope for an empty text);
    ``lookup(values)`` the options of values already chosen. Both must use scoped selectors: what
    they do not find, the person may not see."""
    values = [v for v in request.GET.getlist("value") if v][:MAX_VALUES]
    if values:
        options = list(lookup(values))
    else:
        options = list(search((request.GET.get("q") or "").strip()[:MAX_QUERY]))[:LIMIT]
    return JsonResponse({"results": [{"value": str(o.value), "label": o.label, "hint": o.hint} for o in options]})


def ids(values: list[str]) -> list[int]:
    """The whole numbers among ``values`` (ids of rows); anything else finds nothing."""
    return [int(v) for v in values if v.isdigit()]
