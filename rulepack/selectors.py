"""Reading the rules that apply to a division: its city's active pack."""

from django.db.models import QuerySet

from accounts.permissions import get_for_user, visible_to
from org.models import Division

from .models import Rule, RulePack
from .services import rulepack_ensure

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


def param(*, division: Division, key: str, default=None):
    """The value of a ``parameter`` rule (or ``default`` when the city's pack has none)."""
    found = rule(division=division, key=key)
    return found.params.get("value", default) if found is not None else default


def pack_list(*, user) -> QuerySet[RulePack]:
    return visible_to(user, "rulepack.view_rulepack", RulePack.objects.select_related("city", "loaded_by"))


def pack_get(*, user, pk: int) -> RulePack:
    return get_for_user(user, "rulepack.view_rulepack", RulePack.objects.select_related("city"), pk=pk)
