"""Loading a rule pack file into the database, as a new immutable version for a city."""

import hashlib
import tomllib
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import ValidationFailed
from org.models import Division, DivisionLevel

from .kinds import RULE_KINDS, SECTION_LOADERS, param_errors
from .models import Rule, RulePack, Source

DEFAULT_PACK = Path(__file__).resolve().parent / "packs" / "default.toml"
MAX_PACK_BYTES = 512 * 1024


def default_pack_content() -> str:
    return DEFAULT_PACK.read_text(encoding="utf-8")


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
            errors += [f"{label}: {problem}" for problem in param_errors(kind, rule.get("params", {}))]
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
    sources = {tag: Source.objects.create(pack=pack, tag=tag, title=str(title)) for tag, title in data["sources"].items()}
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
