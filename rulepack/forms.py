"""The rule pack's forms: one rule at a time (its fields drawn from its kind's parameters), and
the whole file as text (the advanced view)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapMixin

from .display import citation_excerpt, format_number, same, says, unit_text, visible_columns
from .kinds import Param, RuleKind, bounds_message, kind_params, param_errors
from .selectors import default_sources
from .services import source_names

MAX_PACK_FILE = 512 * 1024


class PackForm(BootstrapMixin, forms.Form):
    content = forms.CharField(label=_("rule pack file (TOML)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "form-control font-monospace small"}))
    upload = forms.FileField(label=_("or upload a file"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": ".toml,text/plain"}))
    note = forms.CharField(label=_("what changed"), max_length=200)

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if upload.size > MAX_PACK_FILE:
                raise forms.ValidationError(_("The file is larger than 512 KB."))
            try:
                data["content"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text; save it as UTF-8 and upload it again.")) from None
        if not (data.get("content") or "").strip():
            self.add_error("content", _("Paste the file's text or upload the file."))
        return data


def _messages(spec: Param, name: str) -> dict:
    label = spec.name_for(name)
    bounds = bounds_message(spec, name).replace("%", "%%")
    return {
        "required": _("Fill in %(name)s.") % {"name": label},
        "invalid": (_("%(name)s must be a whole number.") if spec.type == "int" else _("%(name)s must be a number.")) % {"name": label},
        "min_value": bounds, "max_value": bounds,
        "max_decimal_places": _("%(name)s has too many decimal places.") % {"name": label},
        "invalid_choice": _("%(name)s: %%(value)s is not on its list.") % {"name": label},
        "invalid_list": _("%(name)s: choose from its list.") % {"name": label},
    }


def _percent(spec: Param) -> bool:
    return spec.unit == "share" or spec.type == "share"


def number_field(spec: Param, name: str) -> forms.Field:
    """A number entered as a person writes it: a share in per cent, money in yuan, with its bounds."""
    low, high = spec.bounds()
    scale = 100 if _percent(spec) else 1
    attrs = {"step": "any", "inputmode": "numeric" if spec.type == "int" else "decimal"}
    common = {"label": spec.name_for(name), "required": spec.required, "error_messages": _messages(spec, name),
              "widget": forms.NumberInput(attrs=attrs)}
    if spec.type == "int" and scale == 1:
        return forms.IntegerField(min_value=int(low) if low is not None else None,
                                  max_value=int(high) if high is not None else None, **common)
    return forms.DecimalField(min_value=low * scale if low is not None else None,
                              max_value=high * scale if high is not None else None,
                              decimal_places=2 if spec.unit == "yuan" or scale == 100 else 4, **common)


def param_field(spec: Param, name: str, *, data: dict, current=None) -> forms.Field:
    label, messages = spec.name_for(name), _messages(spec, name)
    kind = spec.type
    if kind == "any":
        kind = "bool" if isinstance(current, bool) else "int" if isinstance(current, int) else \
            "number" if isinstance(current, float) else "str"
        spec = Param(kind, required=spec.required, label=spec.label)
    if kind in ("int", "number", "share"):
        return number_field(spec, name)
    if kind == "bool":
        return forms.BooleanField(label=label, required=False)
    if kind == "str" and spec.options(data):
        return forms.ChoiceField(label=label, required=spec.required, choices=spec.options(data),
                                 widget=forms.RadioSelect(attrs={"class": "form-check-input"}), error_messages=messages)
    if kind == "str":
        return forms.CharField(label=label, required=spec.required, max_length=300, error_messages=messages)
    if kind == "list" and spec.options(data):
        options = spec.options(data)
        known = {code for code, _label in options}
        extra = [(v, v) for v in (current or []) if v not in known] if spec.open else []
        return forms.MultipleChoiceField(label=label, required=spec.required, choices=options + extra,
                                         widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                                         error_messages=messages)
    return forms.CharField(label=label, required=spec.required, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("One a line."), error_messages=messages)


def percent(value) -> Decimal:
    """A share as the per cent a person types: 0.5 → 50, 0.025 → 2.5."""
    number = Decimal(str(value)) * 100
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def _python_number(value: Decimal, *, old, integer: bool):
    """The number the file gets: the old one where it has not changed (4.0 stays 4.0), a whole number
    as an integer unless the old one was a decimal."""
    if old is not None and same(old, value):
        return old
    if integer or (value == value.to_integral_value() and not isinstance(old, float)):
        return int(value)
    return float(value)


def column_label(spec: Param, name: str) -> str:
    """A column's header: its label, and its unit where all its rows share one (办结时限（天）)."""
    before, after = unit_text("share" if _percent(spec) else spec.unit)
    unit = (after or before).strip()
    return f"{spec.name_for(name)}（{unit}）" if unit and not spec.unit_by else spec.name_for(name)


def _row_form(spec: Param, data: dict) -> type[forms.Form]:
    """A form for one row of a table: a field per column; the row's key (its code) kept hidden."""
    fields = {}
    for column in visible_columns(spec):
        column_spec = spec.columns[column]
        if column_spec.unit_by:  # its unit follows another column: entered as that unit says (a share in per cent)
            field = forms.DecimalField(label=column_spec.name_for(column), required=False, decimal_places=4,
                                       min_value=0, error_messages=_messages(column_spec, column),
                                       widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
        elif column_spec.type == "str" and column_spec.options(data):
            field = forms.ChoiceField(label=column_spec.name_for(column), required=False,
                                      choices=[("", "—"), *column_spec.options(data)],
                                      error_messages=_messages(column_spec, column))
        else:
            field = param_field(column_spec, column, data=data)
            field.required = False
        field.label = column_label(column_spec, column)
        field.widget.attrs.setdefault("aria-label", field.label)
        fields[column] = field
    if spec.row_key:
        fields[spec.row_key] = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = forms.Form.clean(self)
        if self.has_changed() and not cleaned.get("DELETE"):
            for column in visible_columns(spec):
                if spec.columns[column].required and cleaned.get(column) in (None, "") and spec.columns[column].type != "bool":
                    self.add_error(column, _messages(spec.columns[column], column)["required"])
        return cleaned

    return type("RowForm", (BootstrapMixin, forms.Form), {**fields, "clean": clean})


class RuleForm(BootstrapMixin, forms.Form):
    """One rule of the pack: its title, source and passage, and its parameters as its kind declares them."""

    base = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label=_("title"), max_length=200)
    source = forms.ChoiceField(label=_("source document"))
    citation = forms.CharField(label=_("passage cited"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    enabled = forms.BooleanField(label=_("in use"), required=False)

    def __init__(self, *args, kind: RuleKind, key: str | None, pack_data: dict, base: int, rule: dict | None = None,
                 **kwargs):
        self.kind, self.key, self.pack_data, self.rule = kind, key, pack_data, rule or {}
        self.specs = kind_params(kind, key)
        old = self.rule.get("params", {})
        initial = {"base": base, "title": self.rule.get("title", ""), "source": self.rule.get("source", ""),
                   "citation": self.rule.get("citation", ""), "note": self.rule.get("note", ""),
                   "enabled": self.rule.get("enabled", True)}
        for name, spec in self.specs.items():
            initial.update(self._initial(name, spec, old.get(name)))
        super().__init__(*args, initial=initial, **kwargs)

        def named(tag, source):
            title, short = source_names(source)
            short = short or default_sources().get(tag, {}).get("short", "")
            return f"{short} · {title}" if short and short != title else title

        self.fields["source"].choices = [("", "—")] * (not self.rule) + [
            (tag, named(tag, source)) for tag, source in pack_data.get("sources", {}).items()]
        if not kind.several:
            del self.fields["enabled"]
        self.tables: dict[str, forms.BaseFormSet] = {}
        for name, spec in self.specs.items():
            self._add_fields(name, spec, old.get(name))
        self.style_widgets()

    # Fields of each parameter ---------------------------------------------------------------------

    def _initial(self, name: str, spec: Param, value) -> dict:
        if value is None:
            return {}
        if spec.type == "numbers" and spec.parts:
            return {f"p_{name}_{i}": v for i, v in enumerate(value)}
        if spec.type in ("int", "number", "share") and _percent(spec):
            return {f"p_{name}": percent(value)}
        if spec.type == "list" and not spec.options(self.pack_data):
            return {f"p_{name}": "\n".join(value)}
        if spec.type == "table":
            return {}
        return {f"p_{name}": value}

    def _add_fields(self, name: str, spec: Param, value) -> None:
        if spec.type == "table":
            rows = [self._row_initial(spec, row) for row in (value or [])]
            formset_class = forms.formset_factory(_row_form(spec, self.pack_data), extra=1, can_delete=True)
            self.tables[name] = formset_class(self.data if self.is_bound else None, prefix=f"t_{name}", initial=rows)
            return
        if spec.type == "numbers" and spec.parts:
            for i, part in enumerate(spec.parts):
                field = number_field(spec, name)
                field.label = part
                self.fields[f"p_{name}_{i}"] = field
            return
        self.fields[f"p_{name}"] = param_field(spec, name, data=self.pack_data, current=value)
        if spec.type == "list" and spec.open and spec.options(self.pack_data):
            self.fields[f"p_{name}_other"] = forms.CharField(
                label=_("other OpenStreetMap values, one a line"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def _row_initial(self, spec: Param, row: dict) -> dict:
        initial = dict(row)
        for column in visible_columns(spec):
            column_spec = spec.columns[column]
            if column_spec.unit_by and column in row:
                other, units = column_spec.unit_by
                if units.get(row.get(other)) == "share":
                    initial[column] = percent(row[column])
        return initial

    # What the page draws ------------------------------------------------------------------------

    def rows(self) -> list[dict]:
        """Each parameter with its field(s), its unit, its bounds, and the passage's words around its number."""
        shown = []
        citation = self.rule.get("citation", "")
        old = self.rule.get("params", {})
        for name, spec in self.specs.items():
            row = {"name": name, "label": spec.name_for(name), "help": spec.help, "empty": spec.empty,
                   "type": spec.type, "table": self.tables.get(name), "parts": None, "bounds": "", "excerpt": "",
                   "in_passage": None, "other": None, "units": []}
            unit = "share" if _percent(spec) else spec.unit
            row["before"], row["after"] = ("", "%") if unit == "share" else unit_text(unit)
            if spec.type == "table":
                row["columns"] = [column_label(spec.columns[c], c) for c in visible_columns(spec)]
                row["units"] = [_("%(column)s of “%(value)s” in %(unit)s") % {
                    "column": spec.columns[c].name_for(c), "value": dict(spec.columns[u[0]].options(self.pack_data)).get(v, v),
                    "unit": _("per cent") if unit_key == "share" else "".join(unit_text(unit_key)).strip()}
                    for c in visible_columns(spec) if (u := spec.columns[c].unit_by) for v, unit_key in u[1].items()]
            elif spec.type == "numbers" and spec.parts:
                row["fields"] = row["parts"] = [self[f"p_{name}_{i}"] for i in range(len(spec.parts))]
            else:
                row["fields"] = [self[f"p_{name}"]]
                row["other"] = self[f"p_{name}_other"] if f"p_{name}_other" in self.fields else None
            if spec.type in ("int", "number", "share", "numbers") and (spec.min is not None or spec.max is not None
                                                                         or spec.type == "share" or unit == "share"):
                low, high = spec.bounds()
                row["bounds"] = "–".join(format_number(b, unit) for b in (low, high) if b is not None) if high is not None \
                    else _("at least %(min)s") % {"min": format_number(low, unit)}
            if spec.type in ("int", "number", "share") and old.get(name) is not None:
                row["excerpt"] = citation_excerpt(citation, old[name], unit)
                row["in_passage"] = bool(row["excerpt"])
            shown.append(row)
        return shown

    def meta_fields(self) -> list:
        """The rule's title, source, passage, note (and whether it is in use), below its numbers."""
        return [self[name] for name in ("title", "source", "citation", "note", "enabled") if name in self.fields]

    # Reading it back ----------------------------------------------------------------------------

    @property
    def has_errors(self) -> bool:
        return self.is_bound and (bool(self.errors) or any(any(formset.errors) or formset.non_form_errors()
                                                             for formset in self.tables.values()))

    def is_valid(self) -> bool:
        tables_valid = all(formset.is_valid() for formset in self.tables.values())
        return super().is_valid() and tables_valid

    def _param(self, name: str, spec: Param, old):
        data = self.cleaned_data
        if spec.type == "numbers" and spec.parts:
            values = [data.get(f"p_{name}_{i}") for i in range(len(spec.parts))]
            if any(v is None for v in values):
                return None
            olds = old if isinstance(old, list) and len(old) == len(values) else [None] * len(values)
            return [_python_number(v, old=o, integer=False) for v, o in zip(values, olds, strict=True)]
        if spec.type == "table":
            return self._table(name, spec, old or [])
        value = data.get(f"p_{name}")
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            number = Decimal(value) / 100 if _percent(spec) else Decimal(value)
            integer = spec.type == "int" or (spec.type == "any" and isinstance(old, int) and not isinstance(old, bool))
            return _python_number(number, old=old, integer=integer)
        if spec.type == "list":
            if isinstance(value, str):
                value = [line.strip() for line in value.splitlines() if line.strip()]
            value = list(value or [])
            others = data.get(f"p_{name}_other") or ""
            value += [line.strip() for line in others.splitlines() if line.strip() and line.strip() not in value]
            if isinstance(old, list) and set(old) == set(value):
                return old
            return value if value or spec.required else None
        if value in (None, "") and not spec.required and spec.type != "bool":
            return None
        return value

    def _table(self, name: str, spec: Param, old: list[dict]) -> list[dict]:
        """The rows as entered: a row that was there keeps what the form does not show (its code); a new
        row gets a code of its own."""
        formset = self.tables[name]
        taken = {row.get(spec.row_key) for row in old}
        rows = []
        for index, form in enumerate(formset.forms):
            cleaned = getattr(form, "cleaned_data", {})
            existing = index < formset.initial_form_count() and index < len(old)
            if not cleaned or cleaned.get("DELETE") or (not existing and not form.has_changed()):
                continue
            was = old[index] if existing else {}
            row = dict(was)
            for column in visible_columns(spec):
                column_spec, value = spec.columns[column], cleaned.get(column)
                if value in (None, "") and column_spec.type != "bool":
                    row.pop(column, None)
                    continue
                if isinstance(value, Decimal | int) and not isinstance(value, bool):
                    unit = column_spec.unit_by[1].get(cleaned.get(column_spec.unit_by[0])) if column_spec.unit_by else None
                    number = Decimal(value) / 100 if unit == "share" else Decimal(value)
                    value = _python_number(number, old=was.get(column), integer=column_spec.type == "int")
                row[column] = value
            if spec.row_key and not row.get(spec.row_key):
                number = len(old) + 1
                while f"{name}_{number}" in taken:
                    number += 1
                row[spec.row_key] = f"{name}_{number}"
                taken.add(row[spec.row_key])
            rows.append(row)
        return rows

    def clean(self):
        data = super().clean()
        if self.errors or any(formset.errors and any(formset.errors) for formset in self.tables.values()):
            return data
        old = self.rule.get("params", {})
        params = {}
        for name, spec in self.specs.items():
            value = self._param(name, spec, old.get(name))
            if value is not None:
                params[name] = value
        self.params = params
        for problem in param_errors(self.kind, params, key=self.key, data=self.pack_data):
            self.add_error(None, problem)
        title = data.get("title", "")
        if self.rule and title.strip() == self.rule.get("title", "").strip():
            for name, spec in self.specs.items():
                before, after = old.get(name), params.get(name)
                if spec.type in ("int", "number", "share") and before is not None and after is not None \
                        and not same(before, after) and says(title, before, "share" if _percent(spec) else spec.unit):
                    self.add_error("title", _("The title still says %(old)s: write the new value into the title too.")
                                   % {"old": format_number(before, "share" if _percent(spec) else "")})
        return data
