"""How a rule reads to a person: its parameters as labelled values with units, and a change as old → new.

Every page that shows a rule's numbers (the rule pack, its versions, a rule's form and the
change summary of a new version) writes them here, from the parameters' declarations in
``rulepack.kinds``: shares as percentages, money with ¥, areas in m², times in minutes, hours
or days, codes by their Chinese names.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext, pgettext_lazy

from .kinds import Param, RuleKind, kind_params, row_spec

# unit key: (written before the number, written after it)
UNITS = {
    "m2": ("", "m²"),
    "share": ("", "%"),
    "yuan": ("¥", ""),
    "minutes": ("", pgettext_lazy("unit", "minutes")),
    "hours": ("", pgettext_lazy("unit", "hours")),
    "days": ("", pgettext_lazy("unit", "days")),
    "years": ("", pgettext_lazy("unit", "years")),
    "seconds": ("", pgettext_lazy("unit", "seconds")),
    "metres": ("", pgettext_lazy("unit", "metres")),
    "km": ("", pgettext_lazy("unit", "km")),
    "kmh": ("", pgettext_lazy("unit", "km/h")),
    "people": ("", pgettext_lazy("unit", "people")),
    "people_per_household": ("", pgettext_lazy("unit", "people per household")),
    "people_per_m2": ("", pgettext_lazy("unit", "people per m²")),
    "times": ("", pgettext_lazy("unit", "times")),
    "count": ("", pgettext_lazy("unit", "of them")),
    "floors": ("", pgettext_lazy("unit", "floors")),
    "places": ("", pgettext_lazy("unit", "places")),
    "rooms": ("", pgettext_lazy("unit", "rooms")),
    "courses": ("", pgettext_lazy("unit", "courses")),
    "stars": ("", pgettext_lazy("unit", "stars")),
    "points": ("", pgettext_lazy("unit", "points")),
    "day_of_month": ("", pgettext_lazy("unit", "th of the month")),
    "megabytes": ("", "MB"),
}


def unit_text(unit: str) -> tuple[str, str]:
    before, after = UNITS.get(unit, ("", ""))
    return str(before), str(after)


def _plain(number: Decimal) -> str:
    """A number as a person writes it: no trailing zeros, no exponent."""
    return format(number.normalize(), "f")


def format_number(value, unit: str = "") -> str:
    number = Decimal(str(value))
    if unit == "share":
        return f"{_plain(number * 100)}%"
    if unit == "yuan":
        return f"¥{number:,.2f}".removesuffix(".00")
    before, after = unit_text(unit)
    return f"{before}{_plain(number)}" + (f" {after}" if after else "")


def format_value(spec: Param, value, *, data: dict | None = None) -> str:
    """One parameter's value in words."""
    if value is None or value == "" or value == []:
        return str(spec.empty) if spec.empty else "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if spec.type in ("int", "number", "share") or (spec.type == "any" and isinstance(value, int | float)):
        return format_number(value, spec.unit or ("share" if spec.type == "share" else ""))
    if spec.type in ("str", "list"):
        names = dict(spec.options(data))
        values = value if isinstance(value, list) else [value]
        return "、".join(names.get(v, v) for v in values)
    if spec.type == "numbers":
        if spec.parts:
            return "；".join(f"{part} {format_number(v, spec.unit)}" for part, v in zip(spec.parts, value, strict=False))
        return "、".join(format_number(v, spec.unit) for v in value)
    return str(value)


def written_forms(value, unit: str = "") -> list[str]:
    """How a document may write the number: 1500, 50%, 10万."""
    number = Decimal(str(value))
    if unit == "share":
        return [f"{_plain(number * 100)}%", f"{_plain(number * 100)}％"]
    forms = [_plain(number)]
    if unit == "yuan" and number >= 10000:
        forms.append(f"{_plain(number / 10000)}万")
    return forms


def _written(text: str, forms: list[str]) -> re.Match | None:
    for form in forms:
        found = re.search(r"(?<![\d.])" + re.escape(form) + r"(?![\d])", text)
        if found:
            return found
    return None


def says(text: str, value, unit: str = "") -> bool:
    """Whether ``text`` (a rule's title) writes the number."""
    return bool(text) and _written(text, written_forms(value, unit)) is not None


def citation_excerpt(citation: str, value, unit: str = "", *, width: int = 24) -> str:
    """The words of the passage around the number, where the passage writes it (…不少于1500平方米…)."""
    found = _written(citation or "", written_forms(value, unit))
    if found is None:
        return ""
    stops = "。；;！？\n"
    start = max((citation.rfind(c, 0, found.start()) for c in stops), default=-1) + 1
    start = max(start, found.start() - width)
    ends = [i for i in (citation.find(c, found.end()) for c in stops) if i != -1]
    end = min([*ends, found.end() + width, len(citation)])
    before = "…" if start > 0 and citation[start - 1] not in stops else ""
    after = "…" if end < len(citation) and citation[end] not in stops else ""
    return before + citation[start:end].strip() + after


@dataclass
class Shown:
    """A parameter as a page shows it: its label and its value, or a table."""

    name: str
    label: str
    text: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def visible_columns(spec: Param) -> list[str]:
    return [column for column in spec.columns if column != spec.row_key]


def table_rows(spec: Param, rows: list[dict], *, data: dict | None = None) -> list[list[str]]:
    return [[format_value(row_spec(spec, column, row), row.get(column), data=data) for column in visible_columns(spec)]
            for row in rows]


def rule_values(kind: RuleKind, key: str, params: dict, *, data: dict | None = None) -> list[Shown]:
    """A rule's parameters in the order its kind declares them, each labelled and written with its unit."""
    shown = []
    specs = kind_params(kind, key)
    for name, spec in specs.items():
        value = params.get(name)
        if value is None and not spec.empty:
            continue
        label = spec.name_for(name)
        if spec.type == "table" and spec.columns:
            shown.append(Shown(name, label, headers=[spec.columns[c].name_for(c) for c in visible_columns(spec)],
                               rows=table_rows(spec, value or [], data=data)))
        else:
            shown.append(Shown(name, label, format_value(spec, value, data=data)))
    for name in params.keys() - specs.keys():
        shown.append(Shown(name, name, str(params[name])))
    return shown


def _row_label(spec: Param, row: dict, number: int) -> str:
    for column in ("name", "title", "text"):
        if isinstance(row.get(column), str) and row[column]:
            return row[column]
    return gettext("row %(row)s") % {"row": number}


def _row_text(spec: Param, row: dict, *, data) -> str:
    return "，".join(f"{spec.columns[c].name_for(c)} {format_value(row_spec(spec, c, row), row.get(c), data=data)}"
                    for c in visible_columns(spec) if c in row)


def same(old, new) -> bool:
    """Whether two values of a parameter are the same (1500 and 1500.0 are; True and 1 are not)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return Decimal(str(old)) == Decimal(str(new))
    return old == new


def _table_changes(label: str, spec: Param, old: list, new: list, *, data) -> dict[str, list]:
    key = spec.row_key

    def identity(row, index):
        return row.get(key) if key and row.get(key) else index

    before = {identity(row, i): row for i, row in enumerate(old or [])}
    after = {identity(row, i): row for i, row in enumerate(new or [])}
    changes: dict[str, list] = {}
    for ident, row in after.items():
        number = list(after).index(ident) + 1
        if ident not in before:
            changes[f"{label}：{_row_label(spec, row, number)}"] = [None, _row_text(spec, row, data=data)]
            continue
        was = before[ident]
        for column in visible_columns(spec):
            if not same(was.get(column), row.get(column)):
                changes[f"{label}：{_row_label(spec, row, number)}·{spec.columns[column].name_for(column)}"] = [
                    format_value(row_spec(spec, column, was), was.get(column), data=data),
                    format_value(row_spec(spec, column, row), row.get(column), data=data)]
    for ident, row in before.items():
        if ident not in after:
            changes[f"{label}：{_row_label(spec, row, list(before).index(ident) + 1)}"] = [_row_text(spec, row, data=data), None]
    return changes


def param_changes(kind: RuleKind, key: str, old: dict, new: dict, *, data: dict | None = None) -> dict[str, list]:
    """``{label: [old, new]}`` for each parameter that changed, as a person writes the values."""
    changes: dict[str, list] = {}
    for name, spec in kind_params(kind, key).items():
        before, after = old.get(name), new.get(name)
        if same(before, after):
            continue
        label = spec.name_for(name)
        if spec.type == "table" and spec.columns:
            changes.update(_table_changes(label, spec, before, after, data=data))
        else:
            changes[label] = [format_value(spec, before, data=data) if before is not None else None,
                              format_value(spec, after, data=data) if after is not None else None]
    return changes


def summary(changes: dict[str, list]) -> str:
    """The changes as one line: 最低建筑面积 1500 m² → 1800 m²；…"""
    parts = []
    for label, (old, new) in changes.items():
        if old is None:
            parts.append(gettext("%(label)s added: %(new)s") % {"label": label, "new": new})
        elif new is None:
            parts.append(gettext("%(label)s removed") % {"label": label})
        else:
            parts.append(f"{label}：{old} → {new}")
    return "；".join(parts)
