"""Reading the rules that apply to a division: its city's active pack."""

import functools
import tomllib

from django.db.models import QuerySet

from accounts.permissions import get_for_user, visible_to
from org.models import Division

from .models import Rule, RulePack
from .services import DEFAULT_PACK, rulepack_ensure

# Packs never change once loaded, so their rules are kept in memory by pack (id and content).
_RULES_BY_PACK: dict[tuple[int, str], list[Rule]] = {}


def city_of(division: Division) -> Division:
    if division.parent_id is None:
        return division
    return Division.objects.get(path=division.path.split("/", 1)[0] + "/")


def active_pack(*, division: Division) -> RulePack:
    """The active pack of the division's city: one query once the city has one."""
    pack = RulePack.objects.filter(city__path=division.path.split("/", 1)[0] + "/", is_active=True).first()
    return pack if pack is not None else rulepack_ensure(city=city_of(division))


def rules_for(*, division: Division, module: str | None = None, kind: str | None = None) -> list[Rule]:
    """The enabled rules of the division's city, in the pack's order."""
    pack = active_pack(division=division)
    key = (pack.pk, pack.sha256)
    if key not in _RULES_BY_PACK:
        _RULES_BY_PACK[key] = list(pack.rules.select_related("source", "pack").order_by("order"))
    return [r for r in _RULES_BY_PACK[key]
            if r.enabled and (module is None or r.module == module) and (kind is None or r.kind == kind)]


def rule(*, division: Division, key: str) -> Rule | None:
    return next((r for r in rules_for(division=division) if r.key == key), None)


_FROM_THE_DEFAULT_PACK = object()


@functools.cache
def _default_pack() -> dict:
    return tomllib.loads(DEFAULT_PACK.read_text(encoding="utf-8"))


@functools.cache
def default_pack_values() -> dict:
    """The values of the default pack's ``parameter`` rules: what a city's pack lacking one of them
    (loaded before the rule existed) falls back on, so no caller repeats the number."""
    return {r["key"]: r["params"]["value"] for r in _default_pack()["rules"] if r["kind"] == "parameter"}


def default_pack_rules(*, kind: str) -> list[dict]:
    """The default pack's rules of ``kind`` as written there (key, title, params, citation, note),
    each with its source document's title as ``source_title``: what a module reads for a city whose
    pack was loaded before that kind of rule existed."""
    pack = _default_pack()
    return [{**r, "source_title": pack["sources"].get(r["source"], r["source"])} for r in pack["rules"] if r["kind"] == kind]


def param(*, division: Division, key: str, default=_FROM_THE_DEFAULT_PACK):
    """The value of a ``parameter`` rule of the city's pack; where it has none, ``default`` if given,
    else the default pack's value."""
    found = rule(division=division, key=key)
    if found is not None and "value" in found.params:
        return found.params["value"]
    return default_pack_values()[key] if default is _FROM_THE_DEFAULT_PACK else default


def pack_list(*, user) -> QuerySet[RulePack]:
    return visible_to(user, "rulepack.view_rulepack", RulePack.objects.select_related("city", "loaded_by"))


def pack_get(*, user, pk: int) -> RulePack:
    return get_for_user(user, "rulepack.view_rulepack", RulePack.objects.select_related("city"), pk=pk)
