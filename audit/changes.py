"""What an audit event changed, written as a person writes it.

An event's ``changes`` are stored as the program keeps them (``{"status": ["open", "met"]}``,
``{"opening_hours": {"1": [["08:00", "21:00"]]}}``, foreign keys as ids, times in ISO form). The
trail shows them with the field's label and the value as one reads it: choice labels, names of
the rows a key points to, yes/no, times in the city's time zone, opening hours as a notice board
(周一至周五 08:00-21:00), a recurrence as 每周，共7次. ``change_rows(events)`` does this for a page
of events with one query per kind of row referred to, not one per event.
"""

import re
from collections import defaultdict

from django.apps import apps
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# Actors that are not people: the demo-city build, the scheduler, the platform itself.
SYSTEM_ACTORS = {
    "system": _("the platform"),
    "schedule": _("the platform's schedule"),
    "demo": _("the demo-city build"),
    "planning": _("the planning job"),
    "funds": _("the platform"),
    "registry": _("the platform"),
    "waitlist": _("the platform's schedule"),
    "supervision": _("the platform's schedule"),  # the monthly figures taken by the clock
    "bench": _("the platform"),
    "demo-city": _("the demo-city build"),
    "rule pack default": _("the rule pack's defaults"),
    "star rating": _("the star rating's recomputation"),
    "self-registration": _("self-registration"),
}

# Keys an event records that are not fields of its record (counts, decisions, related figures).
KEY_LABELS = {
    "residents": _("residents whose data was shown"),
    "register": _("register"),
    "records": _("records in the copy"),
    "roles_revoked": _("roles revoked"),
    "tokens_revoked": _("API tokens revoked"),
    "amount": _("amount"),
    "parties": _("parties taking part"),
    "version": _("version of the list"),
    "number": _("item number"),
    "added": _("affairs added"),
    "affairs": _("affairs on the list"),
    "redundant": _("signs not on the city's list"),
    "removed": _("signs removed"),
    "remaining": _("redundant signs remaining"),
    "document_no": _("document no."),
    "document": _("document"),
    "late": _("paid late"),
    "next_stage": _("next stage"),
    "party": _("party"),
    "costs": _("costs"),
    "floor_area": _("floor area (m²)"),
    "rooms": _("rooms"),
    "sites": _("sites"),
    "criterion": _("criterion"),
    "is_on": _("online services"),
    "score": _("score"),
    "stars": _("stars"),
    "from": pgettext_lazy("date", "from"),
    "until": _("until (inclusive)"),
    "origin": _("held for"),
    "booked": _("times booked"),
    "skipped": _("dates left out"),
    "left_out": _("dates left out"),
    "department": _("department"),
    "held_amount_posted": _("held shares posted to the fund (yuan)"),
    "held_shares_posted": _("held shares posted to the fund"),
    "matched": _("seed matching"),
    "abstain": pgettext_lazy("vote", "abstain"),
    "yes": pgettext_lazy("vote", "for"),
    "no": pgettext_lazy("vote", "against"),
    "recused": pgettext_lazy("vote", "recused (conflict of interest)"),
    "choice": _("vote"),
    "instalment": _("instalment"),
    "invoice_no": _("invoice or voucher number"),
    "note": _("note"),
    "payee": _("payee"),
    "reason": _("reason"),
    "unmet": _("checklist items not met"),
    "bookings_released": _("bookings released"),
    "bookings": _("bookings"),
    "declined": _("proposals not chosen"),
    "held": _("held for the community's fund"),
    "posted": _("posted to the fund"),
    "edges": _("edges"),
    "nodes": _("nodes"),
    "points": _("demand points"),
    "method": _("solver"),
    "proposed": _("new sites"),
    "before": _("before"),
    "consent": _("consent to keep the tags"),
    "activity": _("met by activity"),
    "operator": _("operator"),
    "order": _("met by service order"),
    "service": _("agreed service"),
    "service_name": _("agreed service"),
    "sessions": _("sessions"),
    "supports": _("supporters"),
    "services": _("services"),
    "milestones": _("milestones"),
    "photos": _("photos"),
    "participants": _("people"),
    "legs": _("legs"),
    "rules": _("rules"),
    "sha256": _("fingerprint"),
    "photo": _("photo"),
    "members": _("people in the household"),
    "month": _("month"),
    "rows": _("figures written"),
    "units": _("units named"),
    "entries": _("notice entries"),
    "standard": _("standard"),
    "milestone": _("milestone"),
    "year": _("year"),
    "item": _("item"),
    "seed": _("seed of the draw"),
    "communities": _("communities drawn"),
    "pool": _("pool of inspectors"),
    "failed": _("items found wrong"),
}

# Keys not worth a line: the ledger code beside the account's name, a household's previous answers.
HIDDEN_KEYS = {("ledger.account", "code"), ("neighbourhood.household", "before")}

LIST_VALUED = {"categories", "functions", "tags", "equipment", "rooms", "departments", "skipped", "left_out", "legs",
               "unmet", "served_divisions", "services_proposed"}

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ACCOUNT_CODE = re.compile(r" \([a-z-]+(:[\w-]+)+\)$")
RRULE_IN_TEXT = re.compile(r" \((FREQ=[A-Z0-9=;,:-]+)\)$")
# Notes the code writes as a word of its own, as people say them.
NOTES = {"import": _("imported from an Excel register")}
SOURCE_DOCUMENT = re.compile(r"^operating-report:(\d+):(\d{4}-\d{2})$")
KIND_AND_DAY = re.compile(r"^([a-z_]+)-(\d{4}-\d{2}-\d{2})$")  # an income without a receipt, before it was named
ORIGIN = re.compile(r"^(agreement|rotation|waitlist):(\d+)$")


def _choices_for(key: str):
    """Choice labels of keys that are not fields of the record but name a value of a known list."""
    from funds.models import VoteChoice
    from registry.models import ProvisionStage, SignOffParty

    return {"choice": VoteChoice, "party": SignOffParty, "next_stage": ProvisionStage}.get(key)


class _Context:
    """Rows that keys point to, fetched once for a page of events."""

    def __init__(self):
        self.wanted: dict[type, set] = defaultdict(set)
        self.rows: dict[type, dict] = {}
        self.accounts: set[str] = set()
        self.account_names: dict[str, str] = {}
        self.division_codes: set[str] = set()
        self.division_names: dict[str, str] = {}
        self.usernames: set[str] = set()
        self.user_names: dict[str, str] = {}
        self.codes: dict[type, set] = defaultdict(set)
        self.code_names: dict[type, dict] = {}

    def fetch(self):
        from accounts.models import User
        from core.privacy import mask_name, residents_among
        from ledger.models import Account
        from org.models import Division

        for model, ids in self.wanted.items():
            ids = {i for i in ids if isinstance(i, int)}
            self.rows[model] = {obj.pk: str(obj) for obj in model._default_manager.filter(pk__in=ids)} if ids else {}
            # A resident named by a change (the person given a role, say) is masked as everywhere in the trail.
            if model is User:
                residents = residents_among(self.rows[model])
                self.rows[model] = {pk: mask_name(name) if pk in residents else name for pk, name in self.rows[model].items()}
            elif model._meta.label_lower in PERSON_NAMED:
                self.rows[model] = {pk: mask_name(name) for pk, name in self.rows[model].items()}
        if self.accounts:
            self.account_names = dict(Account.objects.filter(code__in=self.accounts).values_list("code", "name"))
        if self.division_codes:
            self.division_names = dict(Division.objects.filter(code__in=self.division_codes).values_list("code", "name"))
        for model, codes in self.codes.items():
            self.code_names[model] = {obj.code: str(obj) for obj in model._default_manager.filter(code__in=codes)}
        if self.usernames:
            found = list(User.objects.filter(username__in=self.usernames).values_list("pk", "username", "display_name"))
            residents = residents_among(pk for pk, _u, _d in found)
            self.user_names = {u: mask_name(d or u) if pk in residents else d or u for pk, u, d in found}


def _field(model, key):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except Exception:
        return None


def _is_pair(field, key, change) -> bool:
    """``[old, new]`` rather than a value that is itself a list."""
    if not isinstance(change, list) or len(change) != 2:
        return False
    list_valued = key in LIST_VALUED or isinstance(field, (models.JSONField, models.ManyToManyField)) and key != "opening_hours"
    if list_valued:
        return all(isinstance(v, list | type(None)) for v in change)
    return True


# Field labels written for a form that read oddly in a list of changes.
LABEL_OVERRIDES = {("scheduling.series", "rrule"): _("repeat"), ("planning.scenario", "candidates"): _("candidates")}


def _label(model, key: str) -> str:
    field = _field(model, key)
    model_label = model._meta.label_lower if model else ""
    if (model_label, key) in LABEL_OVERRIDES:
        return str(LABEL_OVERRIDES[(model_label, key)])
    if (model_label, key) == ("registry.room", "bookings"):
        return str(KEY_LABELS["bookings"])
    named = field is not None and getattr(field, "concrete", False) and getattr(field, "verbose_name", None)
    if named and str(field.verbose_name) == field.name.replace("_", " ") and field.is_relation:
        return str(field.related_model._meta.verbose_name)  # a key without a label of its own: what it points to
    if named:
        return str(field.verbose_name)
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if field is not None and field.is_relation and field.related_model is not None:
        return str(field.related_model._meta.verbose_name_plural)
    from core.privacy import personal_data_sources

    sources = {source.key: source for source in personal_data_sources()}  # what an account's closing erased, by module
    if key in sources:
        return str(sources[key].label)
    return key


def _collect(ctx: _Context, model, key: str, value):
    field = _field(model, key)
    values = value if isinstance(value, list) else [value]
    for v in values:
        if field is not None and getattr(field, "concrete", False) and field.is_relation and isinstance(v, int):
            ctx.wanted[field.related_model].add(v)
        elif field is not None and getattr(field, "concrete", False) and field.is_relation and isinstance(v, str) \
                and _field(field.related_model, "code") is not None:
            ctx.codes[field.related_model].add(v)
        elif key in ("routed_to", "served_divisions") and isinstance(v, str):
            ctx.division_codes.add(v)
        elif key in ("user",) and isinstance(v, str):
            ctx.usernames.add(v)
        elif key == "legs" and isinstance(v, dict):
            ctx.accounts.add(v.get("account", ""))
        elif key == "rooms" and isinstance(v, int):
            ctx.wanted[apps.get_model("registry", "Room")].add(v)
        elif key in ("activity", "order", "operator", "service", "need", "session") and isinstance(v, int):
            related = {"activity": ("neighbourhood", "Activity"), "order": ("neighbourhood", "ServiceOrder"),
                       "operator": ("org", "Organisation"), "service": ("operations", "AgreementService"),
                       "need": ("neighbourhood", "Need"), "session": ("neighbourhood", "ActivitySession")}[key]
            ctx.wanted[apps.get_model(*related)].add(v)


def _rrule_text(rule: str) -> str:
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    every = {"DAILY": _("every day"), "WEEKLY": _("every week"), "MONTHLY": _("every month")}.get(parts.get("FREQ", ""))
    if parts.get("INTERVAL") == "2" and parts.get("FREQ") == "WEEKLY":
        every = _("every two weeks")
    every = str(every or _("recurring"))
    if parts.get("COUNT"):
        return gettext("%(every)s, %(n)s times") % {"every": every, "n": parts["COUNT"]}
    if parts.get("UNTIL"):
        until = parts["UNTIL"]
        return gettext("%(every)s, until %(day)s") % {"every": every, "day": f"{until[:4]}-{until[4:6]}-{until[6:8]}"}
    return every


def _named_by_the_rule_pack(model, key: str, value, *, division) -> str | None:
    """Codes a city's rule pack names: a feedback category, a life-circle facility kind."""
    if model is None or division is None or not isinstance(value, str):
        return None
    label = model._meta.label_lower
    if (label, key) == ("neighbourhood.feedbackrequest", "category"):
        from neighbourhood.services import feedback_categories

        return next((c.get("name", value) for c in feedback_categories(division) if c.get("code") == value), None)
    if (label, key) == ("planning.scenario", "facility_kind"):
        from planning.services import facility_kinds

        kind = facility_kinds(division).get(value)
        return kind.title if kind is not None else None
    return None


def _value_text(ctx: _Context, model, key: str, value, *, criteria: dict, division=None) -> str:
    """One value (not a pair) as a person writes it."""
    field = _field(model, key)
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key == "opening_hours" and isinstance(value, dict):
        from registry.hours import format_hours

        return format_hours(value)
    if key == "rrule" and isinstance(value, str):
        return _rrule_text(value)
    if key == "legs" and isinstance(value, list):
        return "；".join(f"{ctx.account_names.get(leg.get('account'), leg.get('account'))} {leg.get('amount')}"
                        for leg in value if isinstance(leg, dict))
    if key == "criterion" and isinstance(value, str):
        return criteria.get(value, value)
    if isinstance(value, list):
        return "、".join(_value_text(ctx, model, key, v, criteria=criteria, division=division) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{_label(model, k)}：{_value_text(ctx, model, k, v, criteria=criteria, division=division)}"
                        for k, v in value.items())
    choices = _choices_for(key) if field is None or not getattr(field, "concrete", False) else None
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and getattr(field, "base_field", None) is not None and getattr(field.base_field, "choices", None):
        return str(dict(field.base_field.flatchoices).get(value, value))
    if choices is not None:
        return str(dict(choices.choices).get(value, value))
    if key in ("skills", "skills_wanted"):
        from volunteers.models import Skill

        return str(dict(Skill.choices).get(value, value))
    if key == "availability" and isinstance(value, str):
        from volunteers.forms import WEEKDAYS
        from volunteers.models import TimeOfDay

        day, _colon, part = value.partition(":")
        return f"{dict(WEEKDAYS).get(day, day)}{dict(TimeOfDay.choices).get(part, part)}"
    if key == "parties":
        from governance.models import Party

        return str(dict(Party.choices).get(value, value))
    if key in ("categories", "services_proposed"):
        from operations.models import ServiceCategory

        return str(dict(ServiceCategory.choices).get(value, value))
    if key == "functions" and model is not None:
        return _function_name(value)
    if key == "tags":
        from neighbourhood.models import HouseholdTag

        return str(dict(HouseholdTag.choices).get(value, value))
    if key == "kind" and model is not None and model._meta.label_lower == "ledger.transaction":
        from ledger.models import transaction_kind_label

        return transaction_kind_label(value)
    if key == "candidates" and model is not None and model._meta.label_lower == "planning.scenario" and isinstance(value, str):
        from planning.models import CandidateSource

        return str(dict(CandidateSource.choices).get(value, value))
    if key == "method":
        from planning.labels import method_label

        return method_label(value)
    if key in ("routed_to", "served_divisions"):
        return ctx.division_names.get(value, value)
    if key == "user" and isinstance(value, str):
        return ctx.user_names.get(value, value)
    if key == "source_document" and isinstance(value, str):
        return document_text(value)
    if key == "origin" and isinstance(value, str) and ORIGIN.match(value):
        kind, number = ORIGIN.match(value).groups()
        what = {"agreement": _("co-operation agreement"), "rotation": _("department rotation"),
                "waitlist": _("waitlist entry")}[kind]
        return f"{what} #{number}"
    if isinstance(value, str) and field is not None and getattr(field, "concrete", False) and field.is_relation:
        return ctx.code_names.get(field.related_model, {}).get(value, value)
    named = _named_by_the_rule_pack(model, key, value, division=division)
    if named is not None:
        return named
    if isinstance(value, int) and not isinstance(value, bool):
        related = None
        if field is not None and getattr(field, "concrete", False) and field.is_relation:
            related = field.related_model
        elif key == "rooms":
            related = apps.get_model("registry", "Room")
        elif key in ("activity", "order", "operator", "service", "need", "session"):
            related = {"activity": ("neighbourhood", "Activity"), "order": ("neighbourhood", "ServiceOrder"),
                       "operator": ("org", "Organisation"), "service": ("operations", "AgreementService"),
                       "need": ("neighbourhood", "Need"), "session": ("neighbourhood", "ActivitySession")}[key]
            related = apps.get_model(*related)
        if related is not None:
            return ctx.rows.get(related, {}).get(value, f"#{value}")
        return formats.number_format(value)
    if isinstance(value, float):
        if key in ("usage_rate",):
            return f"{value * 100:.0f}%"
        return formats.number_format(round(value, 2))
    if isinstance(value, str) and ISO_DATETIME.match(value):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")
    return str(value)


_FUNCTION_NAMES: dict[str, str] = {}


def _function_name(code: str) -> str:
    if not _FUNCTION_NAMES:
        from registry.models import Function

        _FUNCTION_NAMES.update(dict(Function.objects.values_list("code", "name")))
    return _FUNCTION_NAMES.get(code, code)


def _criteria_titles(events) -> dict[str, str]:
    """The titles the city's star-rating rule gives its criteria (``resident_satisfaction`` → 居民满意度)."""
    if not any(e.action == "registry.rating.evidence" for e in events):
        return {}
    from rulepack.selectors import rule

    titles = {}
    for event in events:
        if event.action == "registry.rating.evidence" and event.division is not None:
            found = rule(division=event.division, key="registry.star_rating")
            for row in (found.params.get("criteria", []) if found else []):
                if row.get("criterion"):
                    titles.setdefault(row["criterion"], row.get("title", row["criterion"]))
            break
    return titles


def document_text(document: str) -> str:
    """A voucher key the code wrote (``operating-report:13:2026-03``) as people name the document."""
    match = SOURCE_DOCUMENT.match(document)
    if match:
        return gettext("operating report of %(month)s (no. %(n)s)") % {"month": match.group(2), "n": match.group(1)}
    match = KIND_AND_DAY.match(document)
    if match:
        from ledger.models import transaction_kind_label

        return f"{transaction_kind_label(match.group(1))}-{match.group(2)}"
    return document


def record_text(event) -> str:
    """The record an event is about, without the codes its stored name may carry (a ledger
    account's code, a transaction's kind and voucher key, a series' recurrence rule)."""
    text = event.target_repr or ""
    model = event.target_type.model_class() if event.target_type_id and event.target_type else None
    label = model._meta.label_lower if model else ""
    changes = event.changes if isinstance(event.changes, dict) else {}
    if label == "ledger.transaction" and changes.get("kind"):
        from ledger.models import transaction_kind_label

        document = document_text(changes.get("source_document") or "")
        return " · ".join(part for part in (transaction_kind_label(changes["kind"]), document) if part)
    if label == "ledger.account":
        return ACCOUNT_CODE.sub("", text)
    match = RRULE_IN_TEXT.search(text)
    if match:
        return f"{text[:match.start()]}（{_rrule_text(match.group(1))}）"
    return _masked_record(event, label, text)


def _masked_record(event, label: str, text: str) -> str:
    """The record's name with the resident it names masked, and mobile or ID numbers in it (core.privacy)."""
    from core.privacy import mask_address, mask_name, redact_text

    text = redact_text(text)
    if label in PERSON_AFTER_DOT and " · " in text:
        head, _dot, person = text.rpartition(" · ")
        return f"{head} · {mask_name(person)}"
    if label in PERSON_NAMED:
        return mask_name(text)
    if label in DOOR_NAMED:
        return mask_address(text)
    if label == "accounts.user":
        if not hasattr(event, "resident_target"):
            mark_residents([event])
        if event.closed_target:  # whatever name the record kept, the account is closed now
            return gettext("closed account")
        return mask_name(text) if event.resident_target else text
    return text


def note_text(event) -> str:
    """The event's note; a note the code wrote as a key (``import``, ``rotation:3``) in words."""
    note = event.note or ""
    if note in NOTES:
        return str(NOTES[note])
    match = ORIGIN.match(note)
    if match:
        what = {"agreement": _("co-operation agreement"), "rotation": _("department rotation"),
                "waitlist": _("waitlist entry")}[match.group(1)]
        return f"{what} #{match.group(2)}"
    return note


# Residents' personal data in the trail (core.privacy). The trail is read by supervisors and street
# administrators, who never need it: a resident's name, mobile number and door are masked here for every
# reader (staff stay named: the trail is the record of their work). Records named after a person:
PERSON_AFTER_DOT = {"neighbourhood.registration", "neighbourhood.attendance", "neighbourhood.needsupport",
                    "neighbourhood.ordermember", "volunteers.application"}  # "活动 · 赵阿姨"
PERSON_NAMED = {"volunteers.volunteer"}
DOOR_NAMED = {"neighbourhood.household"}


def _target_label(event) -> str:
    model = event.target_type.model_class() if event.target_type_id and event.target_type else None
    return model._meta.label_lower if model else ""


def mark_residents(events) -> None:
    """Note on each event whether its actor, and its record when that is an account, is a resident (one query
    for a page of events)."""
    from accounts.models import User
    from core.privacy import CLOSED_PREFIX, residents_among

    events = list(events)
    accounts = {id(e): int(e.target_id) for e in events if e.target_id.isdigit() and _target_label(e) == "accounts.user"}
    residents = residents_among({e.actor_id for e in events} | set(accounts.values()))
    closed = set(User.objects.filter(pk__in=residents, is_active=False, username__startswith=CLOSED_PREFIX)
                 .values_list("pk", flat=True)) if residents else set()
    for event in events:
        # A closed account is named by its account row, which says it is closed; nothing of it to mask.
        event.resident_actor = event.actor_id in residents - closed
        event.resident_target = accounts.get(id(event)) in residents
        event.closed_target = accounts.get(id(event)) in closed


def _masked_value(event, model_label: str, key: str, value):
    """A value of ``changes`` with a resident's personal data masked (and mobile or ID numbers in any text)."""
    from core.privacy import mask_name, mask_phone, mask_username, redact_text

    if not isinstance(value, str) or not value:
        return value
    value = redact_text(value)
    if key in ("phone", "contact_phone"):
        return mask_phone(value)
    if model_label == "accounts.user" and key == "username":
        return mask_username(value)
    if model_label == "accounts.user" and key == "display_name" and getattr(event, "resident_target", False):
        return mask_name(value)
    if model_label.startswith("volunteers.") and key in ("volunteer", "real_name"):
        return mask_name(value)
    return value


def actor_text(event) -> str:
    """Who did it: the person's name (a resident's masked), or what part of the platform acted."""
    if event.actor_id and getattr(event, "actor", None) is not None:
        from core.privacy import mask_name

        if not hasattr(event, "resident_actor"):
            mark_residents([event])
        label = event.actor.display_name or event.actor.username
        return mask_name(label) if event.resident_actor else label
    label = SYSTEM_ACTORS.get(event.actor_name)
    return str(label) if label is not None else event.actor_name


def change_rows(events) -> None:
    """Give each event ``change_rows``: ``[(label, text)]`` in the order recorded."""
    events = list(events)
    ctx = _Context()
    for event in events:
        model = event.target_type.model_class() if event.target_type_id and event.target_type else None
        event._target_model = model
        for key, change in (event.changes or {}).items():
            field = _field(model, key)
            for value in (change if _is_pair(field, key, change) else [change]):
                _collect(ctx, model, key, value)
    ctx.fetch()
    criteria = _criteria_titles(events)
    mark_residents(events)
    for event in events:
        model = event._target_model
        model_label = model._meta.label_lower if model else ""
        rows = []
        for key, change in (event.changes or {}).items():
            if (model_label, key) in HIDDEN_KEYS:
                continue
            field = _field(model, key)
            if _is_pair(field, key, change):
                old, new = (_value_text(ctx, model, key, _masked_value(event, model_label, key, v), criteria=criteria,
                                        division=event.division) for v in change)
                text = new if old == "—" else f"{old} → {new}"
            else:
                text = _value_text(ctx, model, key, _masked_value(event, model_label, key, change), criteria=criteria,
                                   division=event.division)
            rows.append((_label(model, key), text))
        event.change_rows = rows

