"""The kinds of rule a pack may contain, and the parameters each takes.

A module declares the kinds it evaluates with ``rule_kind(...)`` (in its ``rules.py``, imported
from its ``AppConfig.ready()``). Loading a pack checks every rule against its kind, so a city
that mistypes a threshold learns it when it loads the file, not when a report breaks. A city
may add as many rules of an existing kind as it likes; a new kind needs code.

Extra sections of the file (such as the registry's function catalogue) are handed to the
module that registered a ``section_loader`` for them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Param:
    # "int", "number", "share" (0..1), "bool", "str", "list" (of strings), "numbers" (ascending
    # list of numbers), "table" (list of tables), "any"
    type: str
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleKind:
    name: str
    module: str
    description: Any
    params: dict[str, Param] = field(default_factory=dict)
    # Further checks across parameters: params -> list of problems.
    check: Callable[[dict], list[str]] | None = None


RULE_KINDS: dict[str, RuleKind] = {}
SECTION_LOADERS: dict[str, Callable] = {}


def rule_kind(name: str, *, module: str, description, params: dict[str, Param] | None = None,
              check: Callable[[dict], list[str]] | None = None) -> RuleKind:
    kind = RuleKind(name, module, description, params or {}, check)
    RULE_KINDS[name] = kind
    return kind


def section_loader(section: str, loader: Callable) -> None:
    """``loader(pack, data, errors)`` stores the section's data for ``pack`` or appends to ``errors``."""
    SECTION_LOADERS[section] = loader


# A kind every module may use: a named value (a ratio, a cap, a number of days) with its source.
rule_kind("parameter", module="*", description=_("A value the platform uses, such as a ratio, cap, quorum or deadline."),
          params={"value": Param("any")})


def _check_value(name: str, spec: Param, value) -> str | None:
    if spec.type == "any":
        return None
    if spec.type == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec.type in ("number", "share"):
        ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if ok:
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                ok = False
            else:
                if spec.type == "share" and not 0 <= number <= 1:
                    return str(_("%(name)s must be a share between 0 and 1, such as 0.5.") % {"name": name})
                if number < 0:
                    return str(_("%(name)s must not be negative.") % {"name": name})
    elif spec.type == "bool":
        ok = isinstance(value, bool)
    elif spec.type == "str":
        ok = isinstance(value, str)
        if ok and spec.choices and value not in spec.choices:
            return str(_("%(name)s must be one of: %(choices)s") % {"name": name, "choices": ", ".join(spec.choices)})
    elif spec.type == "list":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        if ok and spec.choices:
            wrong = [v for v in value if v not in spec.choices]
            if wrong:
                return str(_("%(name)s has unknown values: %(values)s") % {"name": name, "values": ", ".join(wrong)})
    elif spec.type == "numbers":
        ok = isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        if ok and value != sorted(value):
            return str(_("%(name)s must go up from one number to the next.") % {"name": name})
    elif spec.type == "table":
        ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
    else:
        ok = False
    if not ok:
        return str(_("%(name)s has the wrong type (expected %(type)s).") % {"name": name, "type": spec.type})
    return None


def param_errors(kind: RuleKind, params: dict) -> list[str]:
    errors = []
    for name, spec in kind.params.items():
        if name not in params:
            if spec.required:
                errors.append(str(_("Missing parameter %(name)s.") % {"name": name}))
            continue
        problem = _check_value(name, spec, params[name])
        if problem:
            errors.append(problem)
    unknown = set(params) - set(kind.params)
    if unknown:
        errors.append(str(_("Unknown parameters: %(names)s") % {"names": ", ".join(sorted(unknown))}))
    if not errors and kind.check is not None:
        errors += kind.check(params)
    return errors
