"""The kinds of rule a pack may contain, and the parameters each takes.

A module declares the kinds it evaluates with ``rule_kind(...)`` (in its ``rules.py``, imported
from its ``AppConfig.ready()``), and the value of each ``parameter`` rule it reads with
``parameter_rule(...)``. Each parameter says what a person calls it, its unit, its bounds and,
for a choice, the list to choose from (with the Chinese names of the codes), so the same
declaration checks a loaded file, draws the rule's form on ``/rules/`` and writes its values as
a person reads them (``rulepack.display``). Loading a pack checks every rule against its kind,
so a city that mistypes a threshold learns it when it loads the file, not when a report breaks.
A city may add rules of an existing kind that allows several; a new kind needs code.

Extra sections of the file (such as the registry's function catalogue) are handed to the
module that registered a ``section_loader`` for them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

# A list to choose from: codes, (code, label) pairs, or a function of the pack's data (the parsed
# file) giving the pairs, for lists the pack itself holds (the room functions of its catalogue).
Choices = tuple | list | Callable[[dict], list[tuple[str, Any]]]


@dataclass(frozen=True)
class Param:
    # "int", "number", "share" (0..1), "bool", "str", "list" (of strings), "numbers" (ascending
    # list of numbers), "table" (list of tables), "any"
    type: str
    required: bool = True
    choices: Choices = ()
    label: Any = ""
    # A key of rulepack.display.UNITS ("m2", "share", "yuan", "minutes", ...): how the number is
    # written and entered. "share" numbers are entered and shown as percentages.
    unit: str = ""
    min: float | None = None
    max: float | None = None
    help: Any = ""
    # What a missing optional value means, in words ("as the walking rule says").
    empty: Any = ""
    # The choices are suggestions: other values may be written too (OpenStreetMap tags).
    open: bool = False
    # "numbers" of a fixed length: what each of them is (one star, two stars, ...).
    parts: tuple = ()
    # "table": its columns, and the column that names a row (kept out of sight, made for a new row).
    columns: dict[str, "Param"] = field(default_factory=dict)
    row_key: str = ""
    # A column whose unit follows another column of its row: (that column, {its value: unit}).
    unit_by: tuple = ()

    def name_for(self, name: str) -> str:
        return str(self.label) if self.label else name

    def options(self, data: dict | None = None) -> list[tuple[str, str]]:
        """The (code, label) pairs to choose from; for a list the pack holds, from ``data``."""
        choices = self.choices(data or {}) if callable(self.choices) else self.choices
        return [(c[0], str(c[1])) if isinstance(c, tuple | list) else (c, c) for c in choices]

    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        low = Decimal(str(self.min)) if self.min is not None else (Decimal(0) if self.type in ("number", "share", "int", "numbers") else None)
        high = Decimal(str(self.max)) if self.max is not None else (Decimal(1) if self.type == "share" else None)
        return low, high


@dataclass(frozen=True)
class RuleKind:
    name: str
    module: str
    description: Any
    params: dict[str, Param] = field(default_factory=dict)
    # Further checks across parameters: params -> list of problems.
    check: Callable[[dict], list[str]] | None = None
    # What a person calls the kind (场所面积下限).
    label: Any = ""
    # A city may add rules of this kind (each is evaluated); a kind read by its one key may not.
    several: bool = False
    # The start of the key of a rule a city adds (the rest is a number).
    key_prefix: str = ""

    def new_key_prefix(self) -> str:
        return self.key_prefix or f"{self.module}.{self.name}."


RULE_KINDS: dict[str, RuleKind] = {}
SECTION_LOADERS: dict[str, Callable] = {}
# The value of each ``parameter`` rule a module reads, by the rule's key.
PARAMETER_VALUES: dict[str, Param] = {}


def rule_kind(name: str, *, module: str, description, params: dict[str, Param] | None = None,
              check: Callable[[dict], list[str]] | None = None, label="", several: bool = False,
              key_prefix: str = "") -> RuleKind:
    kind = RuleKind(name, module, description, params or {}, check, label, several, key_prefix)
    RULE_KINDS[name] = kind
    return kind


def parameter_rule(key: str, spec: Param) -> None:
    """Declare what the value of the ``parameter`` rule ``key`` is: its type, label, unit and bounds."""
    PARAMETER_VALUES[key] = spec


def section_loader(section: str, loader: Callable) -> None:
    """``loader(pack, data, errors)`` stores the section's data for ``pack`` or appends to ``errors``."""
    SECTION_LOADERS[section] = loader


# A kind every module may use: a named value (a ratio, a cap, a number of days) with its source.
rule_kind("parameter", module="*", label=_("value"),
          description=_("A value the platform uses, such as a ratio, cap, quorum or deadline."),
          params={"value": Param("any", label=_("value"))})


def kind_params(kind: RuleKind, key: str | None = None) -> dict[str, Param]:
    """The parameters of a rule of ``kind``; a ``parameter`` rule's value is as its module declared it."""
    if kind.name == "parameter" and key in PARAMETER_VALUES:
        return {"value": PARAMETER_VALUES[key]}
    return kind.params


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def bounds_message(spec: Param, name: str) -> str:
    """What a number of ``spec`` must be, in the words of its unit (the file and the form say the same)."""
    from .display import format_number

    low, high = spec.bounds()
    values = {"name": spec.name_for(name), "min": format_number(low, spec.unit) if low is not None else "",
              "max": format_number(high, spec.unit) if high is not None else ""}
    if low is not None and high is not None:
        return str(_("%(name)s must be from %(min)s to %(max)s.") % values)
    if low is not None:
        return str(_("%(name)s must be at least %(min)s.") % values)
    return str(_("%(name)s must be at most %(max)s.") % values)


def _out_of_bounds(spec: Param, number: Decimal) -> bool:
    low, high = spec.bounds()
    return (low is not None and number < low) or (high is not None and number > high)


def check_value(name: str, spec: Param, value, *, data: dict | None = None) -> str | None:
    """The problem with ``value`` for parameter ``name``, in words, or None."""
    label = spec.name_for(name)
    if spec.type == "any":
        return None
    if spec.type in ("int", "number", "share"):
        number = _number(value)
        if number is None or (spec.type == "int" and not isinstance(value, int)):
            return str((_("%(name)s must be a whole number.") if spec.type == "int" else _("%(name)s must be a number."))
                       % {"name": label})
        return bounds_message(spec, name) if _out_of_bounds(spec, number) else None
    if spec.type == "bool":
        return None if isinstance(value, bool) else str(_("%(name)s must be yes or no (true or false).") % {"name": label})
    if spec.type == "str":
        if not isinstance(value, str):
            return str(_("%(name)s must be a text.") % {"name": label})
        codes = [code for code, _label in spec.options(data)]
        if codes and not spec.open and value not in codes:
            return str(_("%(name)s must be one of: %(choices)s") % {"name": label, "choices": "、".join(
                label for _code, label in spec.options(data))})
        return None
    if spec.type == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return str(_("%(name)s must be a list of texts.") % {"name": label})
        if spec.required and not value:
            return str(_("Choose at least one for %(name)s.") % {"name": label})
        codes = {code for code, _label in spec.options(data)}
        wrong = [v for v in value if v not in codes]
        if codes and not spec.open and wrong:
            return str(_("%(name)s has values that are not on its list: %(values)s") % {"name": label, "values": "、".join(wrong)})
        return None
    if spec.type == "numbers":
        numbers = [_number(v) for v in value] if isinstance(value, list) else [None]
        if any(n is None for n in numbers):
            return str(_("%(name)s must be a list of numbers.") % {"name": label})
        if spec.parts and len(numbers) != len(spec.parts):
            return str(_("%(name)s needs %(count)s numbers.") % {"name": label, "count": len(spec.parts)})
        if any(_out_of_bounds(spec, n) for n in numbers):
            return bounds_message(spec, name)
        if numbers != sorted(numbers):
            return str(_("%(name)s must go up from one number to the next.") % {"name": label})
        return None
    if spec.type == "table":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return str(_("%(name)s must be a list of rows.") % {"name": label})
        for number, row in enumerate(value, start=1):
            for column, column_spec in spec.columns.items():
                if column not in row:
                    if column_spec.required and column != spec.row_key:
                        return str(_("%(name)s, row %(row)s: %(column)s is missing.")
                                   % {"name": label, "row": number, "column": column_spec.name_for(column)})
                    continue
                problem = check_value(column, row_spec(spec, column, row), row[column], data=data)
                if problem:
                    return str(_("%(name)s, row %(row)s: %(problem)s") % {"name": label, "row": number, "problem": problem})
        return None
    return str(_("%(name)s has the wrong type (expected %(type)s).") % {"name": label, "type": spec.type})


def row_spec(table: Param, column: str, row: dict) -> Param:
    """A column's spec for one row: a column whose unit follows another column takes that unit."""
    spec = table.columns[column]
    if not spec.unit_by:
        return spec
    other, units = spec.unit_by
    unit = units.get(row.get(other), spec.unit)
    return replace(spec, unit=unit, max=1 if unit == "share" and spec.max is None else spec.max)


def param_errors(kind: RuleKind, params: dict, *, key: str | None = None, data: dict | None = None) -> list[str]:
    """Every problem with a rule's parameters, in words; ``data`` is the whole pack (for lists it holds)."""
    errors = []
    specs = kind_params(kind, key)
    if not isinstance(params, dict):
        return [str(_("The parameters must be a table."))]
    for name, spec in specs.items():
        if name not in params:
            if spec.required:
                errors.append(str(_("%(name)s is missing.") % {"name": spec.name_for(name)}))
            continue
        problem = check_value(name, spec, params[name], data=data)
        if problem:
            errors.append(problem)
    unknown = set(params) - set(specs)
    if unknown:
        errors.append(str(_("Unknown parameters: %(names)s") % {"names": ", ".join(sorted(unknown))}))
    if not errors and kind.check is not None:
        errors += kind.check(params)
    return errors
