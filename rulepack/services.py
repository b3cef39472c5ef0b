"""Loading a rule pack file into the database, as a new immutable version for a city, and changing
one rule on its form (written into the file, loaded as the next version)."""

import hashlib
import tomllib
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, NotFound, ValidationFailed
from org.models import Division, DivisionLevel

from . import packfile
from .kinds import RULE_KINDS, SECTION_LOADERS, param_errors
from .models import Rule, RulePack, Source

DEFAULT_PACK = Path(__file__).resolve().parent / "packs" / "default.toml"
MAX_PACK_BYTES = 512 * 1024


def default_pack_content() -> str:
    return DEFAULT_PACK.read_text(encoding="utf-8")


def source_names(source) -> tuple[str, str]:
    """A source of the file's [sources]: its title, or a table with its title and short name."""
    if isinstance(source, str):
        return source.strip(), ""
    if isinstance(source, dict) and isinstance(source.get("title"), str) and isinstance(source.get("short", ""), str):
        return source["title"].strip(), source.get("short", "").strip()
    return "", ""


def parse_pack(content: str) -> dict:
    """The file as data, or a ValidationFailed saying where the file is wrong."""
    if len(content.encode("utf-8")) > MAX_PACK_BYTES:
        raise ValidationFailed(fields={"content": [_("The file is larger than 512 KB.")]})
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        raise ValidationFailed(fields={"content": [_("The file is not valid TOML: %(error)s") % {"error": error}]}) from None
    errors = []
    for name in ("version", "title"):
        if not isinstance(data.get(name), str) or not data.get(name).strip():
            errors.append(str(_("The file needs a %(name)s.") % {"name": name}))
    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        errors.append(str(_("The file needs a [sources] table naming the documents the rules cite.")))
        sources = {}
    for tag, source in sources.items():
        title, short = source_names(source)
        if not title or len(title) > 300 or len(short) > 30 or len(tag) > 30:
            errors.append(str(_("Source %(tag)s needs a title (at most 300 characters) and may have a short name "
                                "(at most 30): write it as a text or as { title = \"…\", short = \"…\" }.") % {"tag": tag}))
    keys = set()
    for index, rule in enumerate(data.get("rules", []), start=1):
        label = rule.get("key") or f"#{index}"
        for name in ("key", "kind", "title", "source"):
            if not isinstance(rule.get(name), str) or not rule[name].strip():
                errors.append(str(_("Rule %(rule)s: %(name)s is missing.") % {"rule": label, "name": name}))
        if rule.get("key") in keys:
            errors.append(str(_("Rule %(rule)s appears twice.") % {"rule": label}))
        keys.add(rule.get("key"))
        kind = RULE_KINDS.get(rule.get("kind"))
        if kind is None:
            errors.append(str(_("Rule %(rule)s: unknown kind %(kind)s.") % {"rule": label, "kind": rule.get("kind")}))
        else:
            named = rule.get("title") if isinstance(rule.get("title"), str) and rule["title"].strip() else label
            errors += [str(_("Rule “%(rule)s”: %(problem)s") % {"rule": named, "problem": problem})
                       for problem in param_errors(kind, rule.get("params", {}), key=rule.get("key"), data=data)]
        if rule.get("source") and rule["source"] not in sources:
            errors.append(str(_("Rule %(rule)s cites %(source)s, which [sources] does not name.") % {"rule": label, "source": rule["source"]}))
    if errors:
        raise ValidationFailed(_("The rule pack has mistakes; nothing was loaded."), fields={"content": errors})
    return data


@transaction.atomic
def rulepack_load(*, actor, city: Division, content: str, note: str = "") -> RulePack:
    """Load ``content`` as the city's new active pack; the previous version stays on record."""
    if city.level != DivisionLevel.CITY:
        raise ValidationFailed(fields={"city": [_("A rule pack belongs to a city.")]})
    data = parse_pack(content)
    RulePack.objects.select_for_update().filter(city=city, is_active=True).update(is_active=False)
    pack = RulePack.objects.create(
        city=city, version=data["version"].strip(), title=data["title"].strip(), content=content,
        sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(), note=note,
        loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    sources = {}
    for tag, source in data["sources"].items():
        title, short = source_names(source)
        sources[tag] = Source.objects.create(pack=pack, tag=tag, title=title, short=short)
    Rule.objects.bulk_create([
        Rule(
            pack=pack, key=rule["key"].strip(), module=RULE_KINDS[rule["kind"]].module if RULE_KINDS[rule["kind"]].module != "*"
            else rule["key"].split(".", 1)[0], kind=rule["kind"], title=rule["title"].strip(), params=rule.get("params", {}),
            source=sources[rule["source"]], citation=rule.get("citation", ""), note=rule.get("note", ""),
            enabled=rule.get("enabled", True), order=index,
        )
        for index, rule in enumerate(data.get("rules", []))
    ])
    errors: list[str] = []
    for section, loader in SECTION_LOADERS.items():
        if section in data:
            loader(pack=pack, data=data[section], errors=errors)
    if errors:
        raise ValidationFailed(_("The rule pack has mistakes; nothing was loaded."), fields={"content": errors})
    audit_record(actor=actor, action="rulepack.pack.loaded", target=pack, division=city,
                 changes={"version": pack.version, "rules": len(data.get("rules", [])), "sha256": pack.sha256})
    return pack


def rulepack_ensure(*, city: Division) -> RulePack:
    """The city's active pack; the default pack is loaded the first time a city needs one."""
    pack = RulePack.objects.filter(city=city, is_active=True).first()
    if pack is not None:
        return pack
    try:
        return rulepack_load(actor="rule pack default", city=city, content=default_pack_content(),
                             note=str(_("Default pack, loaded on first use")))
    except IntegrityError:
        # Another request loaded it at the same moment.
        return RulePack.objects.get(city=city, is_active=True)


def next_version(*, city: Division, current: str) -> str:
    """The version a change made on a rule's form gets: 2026.3 → 2026.3.1 → 2026.3.2, never one the
    city already has."""
    taken = set(RulePack.objects.filter(city=city).values_list("version", flat=True))
    head, _dot, last = current.rpartition(".")
    base, number = (head, int(last)) if current.count(".") >= 2 and last.isdigit() else (current, 0)
    while True:
        number += 1
        version = f"{base}.{number}"[:40]
        if version not in taken:
            return version


@transaction.atomic
def rulepack_rule_save(*, actor, city: Division, base: RulePack, kind: str, key: str | None, title: str, source: str,
                       citation: str, note: str = "", params: dict, enabled: bool = True) -> tuple[RulePack, str, dict]:
    """Change one rule of the city's pack (or add one of a kind that allows several, ``key`` None) and
    load the result as the new version; the version in force stays on record. ``base`` is the version
    the change was made on: if another change came first, nothing is saved. Returns the new version,
    the rule's key and the changes (``{label: [old, new]}``, as a person writes them)."""
    from .display import param_changes, summary

    current = RulePack.objects.select_for_update(of=("self",)).filter(city=city, is_active=True).first()
    if current is None or current.pk != base.pk:
        raise Conflict(_("The rules were changed by someone else after you opened this page. Open the rule again "
                         "to see the version in force."), code="pack_changed")
    rule_kind = RULE_KINDS.get(kind)
    if rule_kind is None:
        raise NotFound()
    data = tomllib.loads(current.content)
    rules = data.get("rules", [])
    if key is None:
        if not rule_kind.several:
            raise ValidationFailed(_("This kind of rule is read by its one rule; a city cannot add another."))
        prefix, taken = rule_kind.new_key_prefix(), {r.get("key") for r in rules}
        key = next(f"{prefix}{n}" for n in range(1, len(rules) + 2) if f"{prefix}{n}" not in taken)
        old = None
    else:
        old = next((r for r in rules if r.get("key") == key), None)
        if old is None or old.get("kind") != kind:
            raise NotFound()
    rule = {"key": key, "kind": kind, "title": title.strip(), "source": source, "citation": citation.strip(),
            "note": note.strip(), **({"enabled": False} if not enabled else {}), "params": params}
    changes = param_changes(rule_kind, key, (old or {}).get("params", {}), params, data=data)
    if old is None:
        changes = {str(_("title")): [None, rule["title"]], **changes}
    else:
        changes.update(_field_changes(old, rule, data))
    if old is not None and not changes:
        raise ValidationFailed(_("Nothing was changed."))
    version = next_version(city=city, current=current.version)
    after_key = next((r["key"] for r in reversed(rules) if r.get("kind") == kind), None)
    content = packfile.with_rule(current.content, rule, kind=rule_kind, version=version, after_key=after_key)
    written = summary(changes)
    pack = rulepack_load(actor=actor, city=city, content=content, note=f"【{rule['title']}】{written}"[:200])
    audit_record(actor=actor, action="rulepack.rule.added" if old is None else "rulepack.rule.changed", target=pack,
                 division=city, changes={**changes, str(_("version")): [current.version, version]}, note=rule["title"][:200])
    return pack, key, changes


def _field_changes(old: dict, new: dict, data: dict) -> dict[str, list]:
    """The changes to a rule's title, source, passage, note and use, as a person reads them."""
    from django.utils.translation import gettext

    def text(name, value):
        if name == "source":
            title, short = source_names(data.get("sources", {}).get(value, value))
            return short or title or str(value)
        if name == "enabled":
            return gettext("in use") if value else gettext("not in use")
        return value

    labels = {"title": _("title"), "source": _("source document"), "citation": _("passage cited"), "note": _("note"),
              "enabled": _("in use")}
    changes = {}
    for name, label in labels.items():
        default = True if name == "enabled" else ""
        before, after = old.get(name, default), new.get(name, default)
        if before != after:
            changes[str(label)] = [text(name, before), text(name, after)]
    return changes
