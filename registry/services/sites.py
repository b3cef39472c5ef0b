"""Sites and rooms of the register, their costs and photos: the invariants every way of writing keeps
(areas that fit, leases that end after they start, functions of the right city, shares of mixed
property that add up), in one transaction with an audit event."""

from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, diff, snapshot
from core.errors import Conflict, ValidationFailed
from core.services import assign, clean_or_raise
from core.uploads import photo_from_upload
from ledger.services import to_yuan
from org.models import Division, DivisionLevel
from org.services import coordinate
from rulepack.selectors import active_pack

from ..hours import parse_hours
from ..models import (
    Cost,
    Function,
    Photo,
    PropertyClass,
    PropertySource,
    Room,
    Site,
)
from .ratings import _after_change

SITE_FIELDS = {
    "name", "kind", "address", "latitude", "longitude", "floors", "floor_area", "ground_floor_area",
    "independent_entrance", "has_lift", "parking_spaces", "square_area", "opening_hours", "host_unit", "property_class",
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


