"""Writing the register: sites, rooms, costs, photos, star ratings, filings, new projects.

The caller has checked the actor's permission; these functions keep the register's
invariants (areas that fit, leases that end after they start, functions of the right city,
shares of mixed property that add up), write in one transaction and leave an audit event.
"""

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, diff, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import assign, clean_or_raise
from core.uploads import photo_from_upload
from ledger.models import AccountKind
from ledger.services import account_get_or_open, ledger_transfer, to_yuan
from org.models import Division, DivisionLevel
from org.services import coordinate
from rulepack.selectors import active_pack, city_of, param, rule, rules_for

from .compliance import compliance_report
from .hours import parse_hours, weekly_hours
from .models import (
    PROVISION_STAGES,
    Cost,
    Function,
    OnlineServices,
    Photo,
    PropertyClass,
    PropertySource,
    ProvisionMethod,
    ProvisionProject,
    ProvisionSignOff,
    ProvisionStage,
    RegistryFiling,
    Requirement,
    Room,
    SignOffParty,
    Site,
    StarEvidence,
    StarRating,
)

SITE_FIELDS = {
    "name", "kind", "address", "latitude", "longitude", "floors", "floor_area", "ground_floor_area",
    "independent_entrance", "parking_spaces", "square_area", "opening_hours", "host_unit", "property_class",
    "state_share", "collective_share", "property_source", "certificate_no", "owner_name", "lease_start", "lease_end",
    "annual_rent", "opened_on", "closed_on", "note",
}
ROOM_FIELDS = {"name", "floor", "area", "capacity", "use", "equipment", "opening_hours", "closed_on", "note"}


# Input as people type it.

def site_input(data: dict) -> dict:
    """Input from a page or the API as the services take it: hours parsed, coordinates to six places."""
    if "opening_hours" in data:
        data["opening_hours"] = parse_hours(data["opening_hours"] or "")
    for name in ("latitude", "longitude"):
        if name in data:
            data[name] = coordinate(data[name])
    return data


def room_input(data: dict) -> dict:
    if "opening_hours" in data:
        data["opening_hours"] = parse_hours(data["opening_hours"] or "")
    if "equipment" in data and data["equipment"] is not None:
        data["equipment"] = [e.strip() for e in data["equipment"] if e.strip()]
    return data


# Sites.

def check_site(site: Site) -> None:
    """The rules a site must keep, whichever way it is written (form, API or import)."""
    fields: dict[str, list] = {}
    if site.division_id is not None and site.division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        fields["division"] = [_("A site belongs to a community or a street.")]
    if site.floor_area is not None and site.floor_area <= 0:
        fields["floor_area"] = [_("The floor area must be more than 0 m².")]
    if site.ground_floor_area and site.floor_area is not None and site.ground_floor_area > site.floor_area:
        fields["ground_floor_area"] = [_("The ground floor cannot be larger than the whole floor area.")]
    if site.lease_start and site.lease_end and site.lease_end < site.lease_start:
        fields["lease_end"] = [_("The lease cannot end before it starts.")]
    if site.property_class == PropertyClass.MIXED:
        if site.state_share is None or site.collective_share is None:
            fields["state_share"] = [_("Mixed property needs the share of each part.")]
        elif site.state_share + site.collective_share != 100:
            fields["state_share"] = [_("The shares of mixed property must add up to 100%.")]
    elif site.state_share is not None or site.collective_share is not None:
        fields["state_share"] = [_("Only mixed property has shares.")]
    if site.property_source in (PropertySource.LEASED, PropertySource.BORROWED):
        if not site.owner_name:
            fields["owner_name"] = [_("Say whom the site is leased or borrowed from.")]
        if not site.lease_end:
            fields["lease_end"] = [_("Say until when the site is leased or borrowed.")]
    if site.property_source == PropertySource.LEASED and site.annual_rent is None:
        fields["annual_rent"] = [_("A leased site has a rent (0 if none).")]
    if fields:
        raise ValidationFailed(fields=fields)


def _next_site_code(division: Division) -> str:
    taken = set(Site.objects.filter(code__startswith=f"{division.code}-S").values_list("code", flat=True))
    number = 1
    while f"{division.code}-S{number:02d}" in taken:
        number += 1
    return f"{division.code}-S{number:02d}"


@transaction.atomic
def site_create(*, actor, division: Division, code: str | None = None, **data) -> Site:
    assign_data = {k: v for k, v in data.items()}
    unknown = set(assign_data) - SITE_FIELDS
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be set here.")] for name in unknown})
    site = Site(division=division, code=(code or "").strip() or _next_site_code(division), **assign_data)
    check_site(site)
    clean_or_raise(site)
    try:
        with transaction.atomic():
            site.save()
    except IntegrityError:
        raise Conflict(_("A site with code %(code)s already exists.") % {"code": site.code}, fields={"code": [_("Already in use.")]}) from None
    audit_record(actor=actor, action="registry.site.created", target=site, division=division,
                 changes=snapshot(site, sorted(SITE_FIELDS | {"code"})))
    _after_change(site)
    return site


@transaction.atomic
def site_update(*, actor, site: Site, data: dict) -> Site:
    site = Site.objects.select_for_update(of=("self",)).select_related("division").get(pk=site.pk)
    fields = sorted(data)
    before = snapshot(site, fields)
    assign(site, data, allowed=SITE_FIELDS)
    check_site(site)
    if "floor_area" in data:
        rooms = _room_area(site)
        if rooms > site.floor_area:
            raise ValidationFailed(fields={"floor_area": [
                _("The rooms of this site already take %(rooms)s m²; the floor area cannot be less.") % {"rooms": rooms}]})
    clean_or_raise(site)
    site.save()
    changes = diff(before, snapshot(site, fields))
    if changes:
        audit_record(actor=actor, action="registry.site.updated", target=site, division=site.division, changes=changes)
        _after_change(site)
    return site


# Rooms.

def _room_area(site: Site, *, excluding: Room | None = None) -> Decimal:
    rooms = Room.objects.filter(site=site, closed_on__isnull=True)
    if excluding is not None:
        rooms = rooms.exclude(pk=excluding.pk)
    return rooms.aggregate(total=Sum("area"))["total"] or Decimal("0")


def _check_room(room: Room, site: Site) -> None:
    if room.area is not None and room.area > site.floor_area:
        raise ValidationFailed(fields={"area": [
            _("A room of %(room)s m² does not fit in a site of %(site)s m².") % {"room": room.area, "site": site.floor_area}]})
    if room.area is not None and room.closed_on is None:
        others = _room_area(site, excluding=room if room.pk else None)
        if others + room.area > site.floor_area:
            raise ValidationFailed(fields={"area": [
                _("With this room the rooms would take %(total)s m², more than the site's %(site)s m².")
                % {"total": others + room.area, "site": site.floor_area}]})


def _functions_for(site: Site, codes: list[str]) -> list[Function]:
    if not codes:
        return []
    city = active_pack(division=site.division).city  # the catalogue comes with the city's pack

    found = {f.code: f for f in Function.objects.filter(city=city, code__in=codes, is_active=True)}
    by_name = {f.name: f for f in Function.objects.filter(city=city, name__in=codes, is_active=True)}
    result, unknown = [], []
    for code in codes:
        function = found.get(code) or by_name.get(code)
        (result.append(function) if function else unknown.append(code))
    if unknown:
        raise ValidationFailed(fields={"functions": [_("Not in the city's function catalogue: %(names)s") % {"names": "、".join(unknown)}]})
    return result


@transaction.atomic
def room_create(*, actor, site: Site, functions: list[str] | None = None, **data) -> Room:
    site = Site.objects.select_for_update(of=("self",)).select_related("division").get(pk=site.pk)
    unknown = set(data) - ROOM_FIELDS
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be set here.")] for name in unknown})
    room = Room(site=site, **data)
    if room.name and Room.objects.filter(site=site, name=room.name.strip(), closed_on__isnull=True).exists():
        raise Conflict(_("%(site)s already has a room called %(name)s.") % {"site": site.name, "name": room.name},
                       fields={"name": [_("Already in use.")]})
    clean_or_raise(room)
    _check_room(room, site)
    function_rows = _functions_for(site, functions or [])
    try:
        with transaction.atomic():
            room.save()
    except IntegrityError:
        raise Conflict(_("%(site)s already has a room called %(name)s.") % {"site": site.name, "name": room.name},
                       fields={"name": [_("Already in use.")]}) from None
    room.functions.set(function_rows)
    audit_record(actor=actor, action="registry.room.created", target=room, division=site.division,
                 changes={**snapshot(room, sorted(ROOM_FIELDS)), "functions": [f.code for f in function_rows]})
    _after_change(site)
    return room


@transaction.atomic
def room_update(*, actor, room: Room, data: dict, functions: list[str] | None = None) -> Room:
    site = Site.objects.select_for_update(of=("self",)).select_related("division").get(pk=room.site_id)
    room = Room.objects.select_for_update().get(pk=room.pk)
    fields = sorted(data)
    before = snapshot(room, fields)
    assign(room, data, allowed=ROOM_FIELDS)
    clean_or_raise(room)
    _check_room(room, site)
    try:
        with transaction.atomic():
            room.save()
    except IntegrityError:
        raise Conflict(_("%(site)s already has a room called %(name)s.") % {"site": site.name, "name": room.name}) from None
    changes = diff(before, snapshot(room, fields))
    if functions is not None:
        old = sorted(room.functions.values_list("code", flat=True))
        rows = _functions_for(site, functions)
        new = sorted(f.code for f in rows)
        if old != new:
            room.functions.set(rows)
            changes["functions"] = [old, new]
    if changes:
        audit_record(actor=actor, action="registry.room.updated", target=room, division=site.division, changes=changes)
        _after_change(site)
    return room


# Costs and photos.

@transaction.atomic
def cost_record(*, actor, site: Site, year: int, category: str, amount: Decimal, paid_by: str, room: Room | None = None,
                payer=None, note: str = "") -> Cost:
    if room is not None and room.site_id != site.pk:
        raise ValidationFailed(fields={"room": [_("This room is not in this site.")]})
    if amount is None or amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than 0.")]})
    amount = to_yuan(amount)
    cost = Cost(site=site, room=room, year=year, category=category, amount=amount, paid_by=paid_by, payer=payer, note=note)
    clean_or_raise(cost)
    cost.save()
    audit_record(actor=actor, action="registry.cost.recorded", target=cost, division=site.division,
                 changes=snapshot(cost, ["year", "category", "amount", "paid_by", "payer", "room", "note"]))
    return cost


@transaction.atomic
def photo_add(*, actor, site: Site, upload: UploadedFile, room: Room | None = None, caption: str = "") -> Photo:
    if room is not None and room.site_id != site.pk:
        raise ValidationFailed(fields={"room": [_("This room is not in this site.")]})
    clean = photo_from_upload(upload, field="image")
    photo = Photo(site=site, room=room, caption=caption[:120], uploaded_by=actor)
    photo.image.save(clean.name, clean, save=False)
    photo.save()
    audit_record(actor=actor, action="registry.photo.added", target=photo, division=site.division,
                 changes={"room": room.pk if room else None, "caption": caption})
    return photo


# Star ratings of neighbourhood centres [Quanzhou].

def _after_change(site: Site) -> None:
    """A change to a site or its rooms may change its star rating: recompute once committed."""
    ratings_refresh_later(site_ids=[site.pk])


def ratings_refresh_later(*, site_ids) -> None:
    """Recompute the ratings of these sites (those that are rated) after the transaction commits:
    at once for a few, through the task worker for a bulk import."""
    from .tasks import ratings_refresh  # the task module imports this one


    ids = list(site_ids)
    if len(ids) > 20:
        transaction.on_commit(lambda: ratings_refresh.enqueue(ids))
        return

    def refresh():
        for site in Site.objects.filter(pk__in=ids).select_related("division"):
            star_rating_recompute(site=site)

    transaction.on_commit(refresh)


def surveyed_criteria(criteria_rule) -> list[dict]:
    """The rating's criteria an assessor scores (a visit, a survey): ``evidence`` ones, and the survey that
    stands in for residents' ratings where residents gave too few."""
    return [c for c in criteria_rule.params["criteria"]
            if c["indicator"] == "evidence" or (c["indicator"] == "resident_ratings" and c.get("criterion"))]


def _evidence(site: Site, criterion: str) -> float | None:
    latest = site.star_evidence.filter(criterion=criterion).order_by("-assessed_on", "-id").first()
    return float(latest.score) if latest else None


def _residents_satisfaction(site: Site, criterion: dict, now) -> tuple[float, dict]:
    """The stars residents of the place the centre serves gave (orders, activities, feedback) over the
    criterion's ``window_days``, as a share of five; with fewer than ``min_ratings``, the assessors' survey
    score (``criterion``) if there is one. Also what the figure rests on, for the rating's details."""
    from .selectors import resident_ratings

    count, total = resident_ratings(division=site.division, since=now - timedelta(days=int(criterion.get("window_days", 365))),
                                    until=now + timedelta(microseconds=1))
    if count and count >= int(criterion.get("min_ratings", 1)):
        average = round(total / count, 1)  # to a tenth of a star, so one more rating rarely moves the rating
        return average / 5, {"ratings": count, "average": average}
    survey = _evidence(site, criterion.get("criterion", ""))
    return survey or 0.0, {"ratings": count, "survey": survey is not None}


def _indicator(site: Site, criterion: dict, *, functions: set[str], aspects: dict[str, set[str]], required: set[str],
               now) -> tuple[float, dict]:
    indicator = criterion["indicator"]
    target = criterion.get("target")
    if indicator == "floor_area":
        return min(1.0, float(site.floor_area) / float(target or 1)), {}
    if indicator == "aspects_covered":
        return (sum(1 for codes in aspects.values() if codes & functions) / len(aspects) if aspects else 0.0), {}
    if indicator == "required_functions":
        return (len(required & functions) / len(required) if required else 1.0), {}
    if indicator == "weekly_hours":
        return min(1.0, weekly_hours(site.opening_hours) / float(target or 1)), {}
    if indicator == "ground_floor_share":
        share = float(site.ground_floor_area) / float(site.floor_area) if site.floor_area else 0.0
        return min(1.0, share / float(target or 1)), {}
    if indicator == "independent_entrance":
        return (1.0 if site.independent_entrance else 0.0), {}
    if indicator == "evidence":
        return _evidence(site, criterion.get("criterion", "")) or 0.0, {}
    if indicator == "resident_ratings":
        return _residents_satisfaction(site, criterion, now)
    return 0.0, {}


@transaction.atomic
def star_rating_recompute(*, site: Site, now=None) -> StarRating | None:
    """Rate ``site`` by its city's criteria. A changed result is a new dated row (the history); the same
    result marks the current rating as checked again at ``now``."""
    now = now or timezone.now()
    site = Site.objects.select_related("division").get(pk=site.pk)  # as stored, whatever the caller's copy says
    criteria_rule = rule(division=site.division, key="registry.star_rating")
    if criteria_rule is None or site.kind not in criteria_rule.params["site_kinds"] or site.closed_on:
        return None
    city = city_of(site.division)
    catalogue = Function.objects.filter(city=city, is_active=True).values_list("code", "aspect__code", "requirement")
    aspects: dict[str, set[str]] = {}
    for code, aspect, _requirement in catalogue:
        aspects.setdefault(aspect, set()).add(code)
    required = {code for code, _aspect, requirement in catalogue if requirement == Requirement.REQUIRED}
    functions = set(Room.functions.through.objects.filter(room__site=site, room__closed_on__isnull=True)
                    .values_list("function__code", flat=True))
    details, total_weight, weighted = [], 0.0, 0.0
    for criterion in criteria_rule.params["criteria"]:
        value, basis = _indicator(site, criterion, functions=functions, aspects=aspects, required=required, now=now)
        weight = float(criterion["weight"])
        total_weight += weight
        weighted += weight * value
        details.append({"indicator": criterion["indicator"], "title": criterion.get("title", criterion["indicator"]),
                        "weight": weight, "value": round(value, 3), "points": round(weight * value, 2), **basis})
    score = Decimal(str(round(100 * weighted / total_weight, 2))) if total_weight else Decimal("0")
    stars = sum(1 for threshold in criteria_rule.params["stars_at"] if score >= Decimal(str(threshold)))
    current = StarRating.objects.select_for_update().filter(site=site, is_current=True).first()
    if current is not None and current.stars == stars and current.score == score:
        StarRating.objects.filter(pk=current.pk).update(checked_at=now, details=details)
        return current
    if current is not None:
        StarRating.objects.filter(pk=current.pk).update(is_current=False)
    rating = StarRating.objects.create(site=site, stars=stars, score=score, details=details, rated_at=now, checked_at=now,
                                       pack_version=criteria_rule.pack.version, is_current=True)
    audit_record(actor="star rating", action="registry.rating.changed", target=site, division=site.division,
                 changes={"stars": [current.stars if current else None, stars], "score": [str(current.score) if current else None, str(score)]})
    return rating


def ratings_refresh_for_place(*, division: Division) -> None:
    """Rate again, after the commit, the rated centres serving ``division``: those at it or above it
    (a community's centres and its street's neighbourhood centre)."""
    from core.scoping import ancestor_paths

    criteria_rule = rule(division=division, key="registry.star_rating")
    if criteria_rule is None:
        return
    paths = [*ancestor_paths(division.path), division.path]
    ratings_refresh_later(site_ids=Site.objects.filter(division__path__in=paths, closed_on__isnull=True,
                                                        kind__in=criteria_rule.params["site_kinds"]).values_list("pk", flat=True))


# The smart-neighbourhood services at neighbourhood centres, under the city's gate [Quanzhou].

def online_gate(division: Division) -> int:
    """The fewest stars at which a centre's online services may be on (the city's pack)."""
    return int(param(division=division, key="registry.online_services_min_stars"))


@transaction.atomic
def online_services_switch(*, actor, site: Site, on: bool, note: str = "", now=None) -> OnlineServices:
    """The street switches a centre's online services (resource matching, activity registration, feedback)
    on — only at a centre whose current rating reaches the city's gate — or off, saying why."""
    now = now or timezone.now()
    site = Site.objects.select_for_update(of=("self",)).select_related("division").get(pk=site.pk)
    criteria_rule = rule(division=site.division, key="registry.star_rating")
    if criteria_rule is None or site.kind not in criteria_rule.params["site_kinds"] or site.closed_on:
        raise ValidationFailed(fields={"site": [_("Online services are switched on at star-rated neighbourhood centres in use; "
                                                  "%(site)s is not one.") % {"site": site.name}]})
    current = OnlineServices.objects.select_for_update().filter(site=site).first()
    if current is not None and current.is_on == on:
        raise Conflict(_("The online services of %(site)s are already on.") % {"site": site.name} if on else
                       _("The online services of %(site)s are already off.") % {"site": site.name}, code="unchanged")
    rating = StarRating.objects.filter(site=site, is_current=True).first()
    stars = rating.stars if rating is not None else 0
    if on:
        gate = online_gate(site.division)
        if stars < gate:
            raise Conflict(_("%(site)s is rated %(stars)s stars; the city switches online services on only at centres of "
                             "%(gate)s stars or more.") % {"site": site.name, "stars": stars, "gate": gate}, code="below_gate")
    elif not note.strip():
        raise ValidationFailed(fields={"note": [_("Say why the online services are switched off.")]})
    switch = current or OnlineServices(site=site)
    switch.is_on, switch.changed_at, switch.changed_by, switch.note = on, now, actor, note.strip()[:200]
    switch.save()
    audit_record(actor=actor, action=f"registry.online_services.{'on' if on else 'off'}", target=site, division=site.division,
                 changes={"is_on": [current.is_on if current else None, on], "stars": stars}, note=note.strip())
    return switch


@transaction.atomic
def star_evidence_record(*, actor, site: Site, criterion: str, score: Decimal, evidence: str, assessed_on: date) -> StarEvidence:
    if not evidence.strip():
        raise ValidationFailed(fields={"evidence": [_("Say what the score rests on.")]})
    item = StarEvidence(site=site, criterion=criterion, score=score, evidence=evidence, assessed_on=assessed_on, assessor=actor)
    clean_or_raise(item)
    item.save()
    audit_record(actor=actor, action="registry.rating.evidence", target=site, division=site.division,
                 changes={"criterion": criterion, "score": str(score)})
    _after_change(site)
    return item


# Filing with the civil-affairs bureau [Haining].

def registry_snapshot(street: Division) -> dict:
    """The street's whole register as plain data: sites with their rooms, and this and last year's costs."""
    sites = (Site.objects.filter(division__path__under=street.path).select_related("division")
             .prefetch_related("rooms__functions").order_by("code"))
    year = timezone.localdate().year
    costs = Cost.objects.filter(site__division__path__under=street.path, year__gte=year - 1).select_related("site", "room")
    site_fields = sorted(SITE_FIELDS - {"note"})
    return {
        "street": {"code": street.code, "name": street.name},
        "sites": [
            {"code": s.code, "division": s.division.code, **snapshot(s, site_fields),
             "rooms": [{**snapshot(r, ["name", "floor", "area", "capacity", "use", "closed_on"]),
                        "functions": sorted(f.code for f in r.functions.all())} for r in s.rooms.all()]}
            for s in sites
        ],
        "costs": [{"site": c.site.code, "room": c.room.name if c.room else None, "year": c.year, "category": c.category,
                   "amount": str(c.amount), "paid_by": c.paid_by} for c in costs.order_by("site__code", "year", "category", "pk")],
    }


@transaction.atomic
def registry_file(*, actor, street: Division, note: str = "") -> RegistryFiling:
    if street.level != DivisionLevel.STREET:
        raise ValidationFailed(fields={"street": [_("A street files its register.")]})
    data = registry_snapshot(street)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    summary = {
        "sites": len(data["sites"]),
        "rooms": sum(len(s["rooms"]) for s in data["sites"]),
        "floor_area": str(sum(Decimal(s["floor_area"]) for s in data["sites"] if not s["closed_on"])),
        "costs": len(data["costs"]),
    }
    filing = RegistryFiling.objects.create(street=street, filed_by=actor, note=note, snapshot=data,
                                           sha256=hashlib.sha256(canonical.encode()).hexdigest(), summary=summary)
    audit_record(actor=actor, action="registry.filing.filed", target=filing, division=street, changes=summary)
    return filing


# Provision of community rooms by new residential projects [Haining].

def provision_required_area(*, division: Division, households: int) -> Decimal:
    found = rule(division=division, key="registry.new_project_area")
    if found is None:
        provision_rules = rules_for(division=division, module="registry", kind="provision_area")
        found = provision_rules[0] if provision_rules else None
    if found is None:
        raise ValidationFailed(_("The city's rule pack has no rule for new projects' community rooms."))
    per_100 = Decimal(str(found.params["per_100_households_m2"]))
    minimum = Decimal(str(found.params["min_m2"]))
    return max(minimum, (per_100 * households / 100).quantize(Decimal("0.01")))


def community_meets_area_standard(community: Division) -> bool:
    report = compliance_report(division=community, communities=Division.objects.filter(pk=community.pk), streets=[])
    area_keys = {r.key for r in rules_for(division=community, module="registry", kind="site_area_min")}
    return all(res.passed for res in report.communities[0].results if res.key in area_keys)


@transaction.atomic
def provision_project_create(
    *, actor, community: Division, name: str, developer: str, land_parcel: str, households: int, method: str,
    presale_price: Decimal | None = None,
) -> ProvisionProject:
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Choose the community the project lies in.")]})
    required = provision_required_area(division=community, households=households)
    amount = None
    if method == ProvisionMethod.MONETISE:
        if param(division=community, key="registry.monetisation_requires_compliance") and not community_meets_area_standard(community):
            raise Conflict(_("%(community)s does not yet meet the area standard, so the rooms must be provided, not paid for.")
                           % {"community": community.name}, fields={"method": [_("Monetisation is not allowed here.")]})
        if presale_price is None or presale_price <= 0:
            raise ValidationFailed(fields={"presale_price": [_("Monetisation needs the presale filing average price.")]})
        amount = (presale_price * required).quantize(Decimal("0.01"))
    project = ProvisionProject(
        street=community.parent, community=community, name=name, developer=developer, land_parcel=land_parcel,
        households=households, required_area=required, method=method, presale_price=presale_price,
        monetisation_amount=amount, created_by=actor,
    )
    clean_or_raise(project)
    project.save()
    audit_record(actor=actor, action="registry.provision.created", target=project, division=community,
                 changes=snapshot(project, ["name", "developer", "land_parcel", "households", "required_area", "method",
                                            "presale_price", "monetisation_amount"]))
    return project


def party_of(user, project: ProvisionProject) -> set[str]:
    """Which parties ``user`` may sign for on ``project``: by their roles at its place in the tree."""
    parties = set()
    for assignment in active_roles(user):
        if assignment.division_id is None or not project.community.path.startswith(assignment.division.path):
            continue
        if assignment.role == Role.SUPERVISOR:
            parties.add(SignOffParty.CIVIL_AFFAIRS)
        elif assignment.role == Role.STREET_ADMIN:
            parties.add(SignOffParty.STREET)
        elif assignment.role == Role.COMMUNITY_WORKER:
            parties.add(SignOffParty.COMMUNITY)
    return parties


@transaction.atomic
def provision_sign_off(*, actor, project: ProvisionProject, party: str, document_no: str, signed_on: date, signer: str,
                       note: str = "") -> ProvisionSignOff:
    """Record one party's written consent at the project's current stage; three consents open the next stage."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("community").get(pk=project.pk)
    if project.stage == ProvisionStage.DONE:
        raise Conflict(_("Every stage of this project is already signed off."))
    if party not in party_of(actor, project):
        raise PermissionDenied(_("You cannot sign for %(party)s on this project.") % {"party": SignOffParty(party).label})
    if not document_no.strip() or not signer.strip():
        raise ValidationFailed(fields={"document_no": [_("A written consent has a document number and a signer.")]})
    if signed_on > timezone.localdate():
        raise ValidationFailed(fields={"signed_on": [_("A consent cannot be dated in the future.")]})
    try:
        with transaction.atomic():
            sign_off = ProvisionSignOff.objects.create(
                project=project, stage=project.stage, party=party, document_no=document_no.strip(), signed_on=signed_on,
                signer=signer.strip(), note=note, recorded_by=actor)
    except IntegrityError:
        raise Conflict(_("%(party)s has already signed off this stage.") % {"party": SignOffParty(party).label}) from None
    signed = set(project.sign_offs.filter(stage=project.stage).values_list("party", flat=True))
    changes = {"stage": project.stage, "party": party, "document_no": document_no}
    if signed == set(SignOffParty.values):
        index = PROVISION_STAGES.index(project.stage)
        project.stage = PROVISION_STAGES[index + 1] if index + 1 < len(PROVISION_STAGES) else ProvisionStage.DONE
        project.save(update_fields=["stage"])
        changes["next_stage"] = project.stage
    audit_record(actor=actor, action="registry.provision.signed", target=project, division=project.community, changes=changes)
    return sign_off


@transaction.atomic
def provision_delivery_file(*, actor, project: ProvisionProject, delivery_filed_on: date,
                            provided_area: Decimal | None = None, agreement_no: str = "") -> ProvisionProject:
    """The project's delivery is filed: rooms are handed over, or the payment falls due [Haining]."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("community").get(pk=project.pk)
    if project.stage != ProvisionStage.DONE:
        raise Conflict(_("Delivery can be filed only after completion acceptance is signed off by all three parties."))
    if project.delivery_filed_on:
        raise Conflict(_("The delivery of this project is already filed."))
    if project.method == ProvisionMethod.PROVIDE:
        if provided_area is None or provided_area < project.required_area:
            raise ValidationFailed(fields={"provided_area": [
                _("The project must provide at least %(area)s m².") % {"area": project.required_area}]})
        project.provided_area = provided_area
    else:
        days = int(param(division=project.community, key="registry.monetisation_payment_days"))
        project.payment_due_on = delivery_filed_on + timedelta(days=days)
    project.delivery_filed_on = delivery_filed_on
    project.agreement_no = agreement_no or project.agreement_no
    project.save()
    audit_record(actor=actor, action="registry.provision.delivered", target=project, division=project.community,
                 changes=snapshot(project, ["delivery_filed_on", "provided_area", "payment_due_on", "agreement_no"]))
    return project


# The street's earmarked sub-account for community room construction [Haining].

def street_earmarked_account(*, street: Division):
    """The street's earmarked sub-account (子账户), opened the first time money arrives."""
    return account_get_or_open(actor="registry", code=f"street-earmarked:{street.code}", kind=AccountKind.EARMARKED,
                               name=str(_("%(street)s · earmarked sub-account for community rooms") % {"street": street.name}),
                               division=street)


def _counterparty(*, street: Division, code: str, name: str):
    return account_get_or_open(actor="registry", code=f"external:{code}:{street.code}", kind=AccountKind.EXTERNAL,
                               name=name, division=street)


@transaction.atomic
def provision_payment_record(*, actor, project: ProvisionProject, paid_on: date, amount: Decimal, document_no: str) -> ProvisionProject:
    """The developer has paid the monetisation money: it goes into the street's earmarked sub-account."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("street", "community").get(pk=project.pk)
    if project.method != ProvisionMethod.MONETISE:
        raise Conflict(_("This project provides rooms; there is no payment to record."))
    if project.delivery_filed_on is None:
        raise Conflict(_("Record the payment after the delivery is filed."))
    if project.paid_on is not None:
        raise Conflict(_("The payment of this project is already recorded."))
    if to_yuan(amount) != project.monetisation_amount:
        raise ValidationFailed(fields={"amount": [
            _("The agreed amount is %(amount)s yuan (presale average price × required area).") % {"amount": project.monetisation_amount}]})
    if paid_on > timezone.localdate():
        raise ValidationFailed(fields={"paid_on": [_("A payment cannot be dated in the future.")]})
    posting = ledger_transfer(
        actor=actor, kind="monetisation", amount=amount, source_document=document_no, occurred_on=paid_on,
        source=_counterparty(street=project.street, code="developers", name=str(_("Developers (monetisation payments)"))),
        destination=street_earmarked_account(street=project.street), memo=project.name, division=project.street,
    )
    project.paid_on, project.payment = paid_on, posting
    project.save(update_fields=["paid_on", "payment"])
    audit_record(actor=actor, action="registry.provision.paid", target=project, division=project.community,
                 changes={"paid_on": paid_on, "amount": str(amount), "document_no": document_no,
                          "late": bool(project.payment_due_on and paid_on > project.payment_due_on)})
    return project


@transaction.atomic
def earmarked_rent_record(*, actor, street: Division, amount: Decimal, received_on: date, document_no: str, payer: str) -> object:
    """Rent from an idle room leased to a convenience service: into the street's earmarked sub-account."""
    if street.level != DivisionLevel.STREET:
        raise ValidationFailed(fields={"street": [_("Rent is received by a street.")]})
    if not payer.strip():
        raise ValidationFailed(fields={"payer": [_("Say who paid the rent.")]})
    return ledger_transfer(
        actor=actor, kind="room_rent", amount=amount, source_document=document_no, occurred_on=received_on,
        source=_counterparty(street=street, code="tenants", name=str(_("Tenants of idle rooms"))),
        destination=street_earmarked_account(street=street), memo=payer.strip(), division=street,
    )
