"""Reading the rules that apply to a division (its city's active pack), and the pack as its pages show it."""

import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter

from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import get_for_user, visible_to
from org.models import Division

from .models import Rule, RulePack
from .services import DEFAULT_PACK, rulepack_ensure, source_names

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


@functools.cache
def default_sources() -> dict[str, dict[str, str]]:
    """The documents the default pack cites, by tag: ``{"Huli": {"title": "厦门市湖里区财政局…", "short": "湖里区"}}``.
    The one table of the seeds' documents: a page holding only a tag (a finding, a catalogue
    function) names the document from here."""
    pack = tomllib.loads(DEFAULT_PACK.read_text(encoding="utf-8"))
    return {tag: dict(zip(("title", "short"), source_names(source), strict=True)) for tag, source in pack["sources"].items()}


def source_short(tag: str) -> str:
    """A source's short name (湖里区) from its tag; a tag the default pack does not cite is shown as written."""
    return default_sources().get(tag, {}).get("short") or tag


@functools.lru_cache(maxsize=32)
def _parsed(sha256: str, content: str) -> dict:
    return tomllib.loads(content)


def pack_data(pack: RulePack) -> dict:
    """The pack's file as data (kept in memory: a pack never changes once loaded)."""
    return _parsed(pack.sha256, pack.content)


def param(*, division: Division, key: str, default=_FROM_THE_DEFAULT_PACK):
    """The value of a ``parameter`` rule of the city's pack; where it has none, ``default`` if given,
    else the default pack's value."""
    found = rule(division=division, key=key)
    if found is not None and "value" in found.params:
        return found.params["value"]
    return default_pack_values()[key] if default is _FROM_THE_DEFAULT_PACK else default


@dataclass(frozen=True)
class Waiting:
    """How long something has waited for a person: whole days, and whether that is longer than the city allows."""

    days: int
    overdue: bool
    limit: int


def mark_waiting(items, *, since: Callable, division: Callable, key: str | None, now: datetime | None = None,
                 limits: dict | None = None) -> list:
    """Mark each item with ``waiting`` (a ``Waiting``): the days since ``since(item)`` and whether they
    exceed the ``key`` parameter of the city of ``division(item)`` (read once per city, and once for all
    the queues of a page that share ``limits``; without a key, only the days). Items whose ``since`` is
    unknown are left unmarked (``waiting`` None)."""
    now = now or timezone.now()
    limits = {} if limits is None else limits
    items = list(items)
    for item in items:
        start = since(item)
        if start is None:
            item.waiting = None
            continue
        days = (now - start).days
        if key is None:
            item.waiting = Waiting(days=days, overdue=False, limit=0)
            continue
        place = division(item)
        city = (key, place.path.split("/", 1)[0])
        if city not in limits:
            limits[city] = int(param(division=place, key=key))
        item.waiting = Waiting(days=days, overdue=days > limits[city], limit=limits[city])
    return items


@dataclass
class Queue:
    """What waits for a person, of one kind: the longest-waiting rows (each marked with ``waiting``), how
    many there are, and how many have waited longer than the city allows."""

    items: list
    count: int
    overdue: int


def waiting_queue(rows: QuerySet, *, since: str, division: str, key: str | None, first: int = 20,
                  now: datetime | None = None, limits: dict | None = None) -> Queue:
    """The queue of ``rows`` (those waiting since their ``since`` field, at their ``division`` lookup),
    longest waiting first, judged against the ``key`` parameter of their city (without a key, only told
    how long they have waited); at most three queries."""
    now = now or timezone.now()
    get_since, get_division = attrgetter(since.replace("__", ".")), attrgetter(division.replace("__", "."))
    items = mark_waiting(rows.order_by(since, "pk")[:first], since=get_since, division=get_division, key=key, now=now,
                         limits=limits)
    count = rows.count() if len(items) == first else len(items)
    limits = [item.waiting.limit for item in items if item.waiting is not None]
    overdue = rows.filter(**{f"{since}__lte": now - timedelta(days=limits[0] + 1)}).count() if key and limits else 0
    return Queue(items=items, count=count, overdue=overdue)


def pack_list(*, user) -> QuerySet[RulePack]:
    return visible_to(user, "rulepack.view_rulepack", RulePack.objects.select_related("city", "loaded_by"))


def pack_get(*, user, pk: int) -> RulePack:
    return get_for_user(user, "rulepack.view_rulepack", RulePack.objects.select_related("city"), pk=pk)


@dataclass
class RuleShown:
    rule: Rule
    kind_label: str
    values: list


@dataclass
class ModuleRules:
    module: str
    label: str
    rules: list[RuleShown] = field(default_factory=list)
    # The kinds of this module of which a city may add a rule: (kind, its label).
    addable: list[tuple[str, str]] = field(default_factory=list)


def pack_sections(pack: RulePack) -> list[ModuleRules]:
    """The pack's rules by module, in the pack's order, each with its values as a person reads them."""
    from django.apps import apps

    from .display import rule_values
    from .kinds import RULE_KINDS

    data = pack_data(pack)
    sections: dict[str, ModuleRules] = {}
    for found in pack.rules.select_related("source").order_by("order"):
        kind = RULE_KINDS.get(found.kind)
        if found.module not in sections:
            try:
                label = apps.get_app_config(found.module).verbose_name
            except LookupError:
                label = found.module
            sections[found.module] = ModuleRules(found.module, str(label))
        values = rule_values(kind, found.key, found.params, data=data) if kind else []
        # A plain value needs no kind beside its title; every other rule says what kind of rule it is.
        kind_label = str(kind.label) if kind and kind.name != "parameter" else ""
        sections[found.module].rules.append(RuleShown(found, kind_label, values))
    for name, kind in RULE_KINDS.items():
        if kind.several and kind.module in sections:
            sections[kind.module].addable.append((name, str(kind.label)))
    return list(sections.values())
