"""The register as Excel workbooks: sites (with property rights), rooms, costs, and compliance.

Imports are built for whole registers of a province (100,000 rows and more): rows stream from
the read-only workbook in chunks; each chunk is checked against the database with a few
queries (the same rules as the services: ``services.check_site``, areas that fit, functions of
the city's catalogue), then written with bulk inserts, each new record with its audit event.
Everything runs in one transaction: if any row is bad, every bad row is reported with its
number and reason and nothing is written.
"""

from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts.permissions import in_scope, visible_to
from audit.services import audit_record_many, snapshot
from core.errors import ApplicationError, ValidationFailed, fields_from_django_validation_error
from excel.registers import (
    MAX_ERRORS_LISTED,
    Column,
    Register,
    RowProblem,
    choice_label,
    parse_bool,
    parse_choice,
    parse_code,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    register,
    reject,
    row_error,
    yes_no,
)
from org.models import Division
from org.selectors import division_get
from org.services import coordinate
from rulepack.selectors import active_pack

from . import services
from .hours import format_hours, parse_hours
from .models import (
    AREA_MAX,
    Cost,
    CostCategory,
    Function,
    Payer,
    PropertyClass,
    PropertySource,
    Room,
    RoomUse,
    Site,
    SiteKind,
)
from .selectors import compliance_for

CHUNK = 2000


def parse_hours_cell(value):
    try:
        return parse_hours(parse_text(value))
    except ValidationFailed as error:
        raise RowProblem(error.fields["opening_hours"][0]) from None


def parse_list(value) -> list[str]:
    text = parse_text(value).replace("，", "、").replace(",", "、").replace(";", "、").replace("；", "、")
    return [item.strip() for item in text.split("、") if item.strip()]


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def check_within(*, user, params: dict) -> None:
    unknown = set(params) - {"within"}
    if unknown:
        raise ValidationFailed(fields={"params": [_("Unknown parameter: %(name)s") % {"name": ", ".join(sorted(unknown))}]})
    if params.get("within"):
        division_get(user=user, code=str(params["within"]))


def _within(user, params: dict) -> Division | None:
    return division_get(user=user, code=params["within"]) if params.get("within") else None


class Rejections:
    """Bad rows of an import, capped so that a wholly wrong file does not flood the report."""

    def __init__(self):
        self.errors: list[dict] = []
        self.count = 0

    def add(self, number: int, column, message) -> None:
        self.count += 1
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append(row_error(number, str(column) if column else None, message))

    def extend(self, errors: list[dict]) -> None:
        for error in errors:
            self.add(error["row"], error["column"], error["message"])

    def refuse(self, number: int, error: ApplicationError) -> None:
        if error.fields:
            for field, messages in error.fields.items():
                for message in messages:
                    self.add(number, field, message)
        else:
            self.add(number, None, error.message)

    def raise_if_any(self) -> None:
        if self.count:
            if self.count > len(self.errors):
                self.errors.append(row_error(0, None, _("… and %(n)s more problems.") % {"n": self.count - len(self.errors)}))
            reject(self.errors)


# Sites (with property rights).

SITE_COLUMNS = [
    Column("code", _("Site code"), parse_code, width=22, note=_("Empty for a new site: the community code and a number are given")),
    Column("division_code", _("Community or street code"), parse_code, required=True, width=18),
    Column("name", _("Site name"), parse_text, required=True, width=24),
    Column("kind", _("Site kind"), parse_choice(SiteKind), required=True, width=16),
    Column("address", _("Address"), parse_text, width=30),
    Column("latitude", _("Latitude"), parse_decimal, width=11),
    Column("longitude", _("Longitude"), parse_decimal, width=11),
    Column("floors", _("Floors"), parse_int, width=8),
    Column("floor_area", _("Floor area (m²)"), parse_decimal, required=True, width=12),
    Column("ground_floor_area", _("Ground-floor area (m²)"), parse_decimal, width=12),
    Column("independent_entrance", _("Independent street entrance"), parse_bool, width=10, note=_("是 or 否")),
    Column("parking_spaces", _("Parking spaces"), parse_int, width=8),
    Column("square_area", _("Activity square (m²)"), parse_decimal, width=12),
    Column("opening_hours", _("Opening hours"), parse_hours_cell, width=34, note=_("e.g. 周一至周五 08:30-17:30；周六 09:00-12:00")),
    Column("host_unit", _("Host unit"), parse_text, width=16, note=_("For a shared resource: the school or unit that opens it")),
    Column("property_class", _("Property class"), parse_choice(PropertyClass), required=True, width=14),
    Column("state_share", _("State-owned share (%)"), parse_decimal, width=10),
    Column("collective_share", _("Collective share (%)"), parse_decimal, width=10),
    Column("property_source", _("Property source"), parse_choice(PropertySource), required=True, width=12),
    Column("certificate_no", _("Certificate no."), parse_text, width=18),
    Column("owner_name", _("Owner or lessor"), parse_text, width=18),
    Column("lease_start", _("Lease from"), parse_date, width=12),
    Column("lease_end", _("Lease until"), parse_date, width=12),
    Column("annual_rent", _("Annual rent (yuan)"), parse_decimal, width=12),
    Column("opened_on", _("In use since"), parse_date, width=12),
]
SITE_DEFAULTS = {"floors": 1, "ground_floor_area": Decimal("0"), "independent_entrance": False, "parking_spaces": 0,
                 "square_area": Decimal("0"), "opening_hours": {}}
SITE_VALIDATED = ["name", "floors", "floor_area", "ground_floor_area", "parking_spaces", "square_area", "state_share",
                  "collective_share", "annual_rent", "latitude", "longitude", "address", "certificate_no", "owner_name"]


def export_sites(*, user, params: dict):
    sites = visible_to(user, "registry.view_site", Site.objects.select_related("division")).order_by("division__path", "code")
    within = _within(user, params)
    if within is not None:
        sites = sites.filter(division__path__under=within.path)

    def rows():
        for s in sites.iterator(chunk_size=2000):
            yield [
                s.code, s.division.code, s.name, choice_label(SiteKind, s.kind), s.address,
                float(s.latitude) if s.latitude is not None else None, float(s.longitude) if s.longitude is not None else None,
                s.floors, float(s.floor_area), float(s.ground_floor_area), yes_no(s.independent_entrance),
                s.parking_spaces, float(s.square_area), format_hours(s.opening_hours), s.host_unit,
                choice_label(PropertyClass, s.property_class),
                float(s.state_share) if s.state_share is not None else None,
                float(s.collective_share) if s.collective_share is not None else None,
                choice_label(PropertySource, s.property_source), s.certificate_no, s.owner_name, s.lease_start, s.lease_end,
                float(s.annual_rent) if s.annual_rent is not None else None, s.opened_on,
            ]

    return sites.count(), rows()


def import_sites(*, actor, rows, params: dict, progress) -> dict:
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0}
    seen_codes: set[str] = set()
    next_number: dict[int, int] = {}
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            division_codes = {r.get("division_code") for _n, r, _e in chunk}
            divisions = {d.code: d for d in Division.objects.filter(code__in=division_codes)}
            site_codes = {r["code"] for _n, r, _e in chunk if r.get("code")}
            existing = {s.code: s for s in Site.objects.filter(code__in=site_codes).select_related("division")}
            fresh_divisions = [d.pk for d in divisions.values() if d.pk not in next_number]
            for code, division_id in Site.objects.filter(division_id__in=fresh_divisions).values_list("code", "division_id"):
                tail = code.rsplit("-S", 1)[-1]
                if tail.isdigit():
                    next_number[division_id] = max(next_number.get(division_id, 0), int(tail))
            to_create, to_update = [], []
            for number, record, cell_errors in chunk:
                if cell_errors:
                    rejections.extend(cell_errors)
                    continue
                division = divisions.get(record["division_code"])
                if division is None or not in_scope(actor, "registry.view_site", division):
                    rejections.add(number, _("Community or street code"), _("Unknown community or street code: %(code)s") % {"code": record["division_code"]})
                    continue
                code = record.get("code") or ""
                if code and code in seen_codes:
                    rejections.add(number, _("Site code"), _("Site %(code)s appears twice in the file.") % {"code": code})
                    continue
                data = {k: v for k, v in record.items() if k not in ("code", "division_code") and v is not None}
                site = existing.get(code)
                if site is not None:
                    if site.division_id != division.pk:
                        rejections.add(number, _("Community or street code"), _("Site %(code)s belongs to another division.") % {"code": code})
                        continue
                    if not in_scope(actor, "registry.change_site", site.division):
                        rejections.add(number, None, _("You cannot change site %(code)s.") % {"code": code})
                        continue
                    before = snapshot(site, sorted(data))
                else:
                    if not in_scope(actor, "registry.add_site", division):
                        rejections.add(number, None, _("You cannot register sites at %(name)s.") % {"name": division.name})
                        continue
                    if not code:
                        next_number[division.pk] = next_number.get(division.pk, 0) + 1
                        code = f"{division.code}-S{next_number[division.pk]:02d}"
                    site = Site(division=division, code=code, **SITE_DEFAULTS)
                    before = None
                for name, value in data.items():
                    setattr(site, name, value)
                site.latitude, site.longitude = coordinate(site.latitude), coordinate(site.longitude)
                try:
                    services.check_site(site)
                    site.clean_fields(exclude=[f.name for f in Site._meta.fields if f.name not in SITE_VALIDATED])
                except ApplicationError as error:
                    rejections.refuse(number, error)
                    continue
                except DjangoValidationError as error:
                    rejections.refuse(number, ValidationFailed(fields=fields_from_django_validation_error(error)))
                    continue
                seen_codes.add(site.code)
                if before is None:
                    to_create.append(site)
                else:
                    to_update.append((site, before, sorted(data)))
            # Valid rows go in even beside bad ones: later sheets may refer to them; all is undone on refusal.
            Site.objects.bulk_create(to_create, batch_size=CHUNK)
            if to_update:
                fields = sorted({f for _s, _b, names in to_update for f in names})
                Site.objects.bulk_update([s for s, _b, _f in to_update], fields, batch_size=CHUNK)
            audit_record_many(actor=actor, action="registry.site.created", note="import",
                              entries=[(s, s.division, {"code": s.code, "name": s.name}) for s in to_create])
            audit_record_many(actor=actor, action="registry.site.updated", note="import", entries=[
                (s, s.division, {k: [before.get(k), v] for k, v in snapshot(s, names).items() if before.get(k) != v})
                for s, before, names in to_update])
            counts["created"] += len(to_create)
            counts["updated"] += len(to_update)
            services.ratings_refresh_later(site_ids=[s.pk for s in to_create] + [s.pk for s, _b, _f in to_update])
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


# Rooms.

ROOM_COLUMNS = [
    Column("site_code", _("Site code"), parse_code, required=True, width=22),
    Column("name", _("Room name"), parse_text, required=True, width=18),
    Column("floor", _("Floor"), parse_int, width=8),
    Column("area", _("Area (m²)"), parse_decimal, required=True, width=10),
    Column("capacity", _("Capacity (people)"), parse_int, width=10),
    Column("use", _("Use"), parse_choice(RoomUse), width=10, note=_("service or office")),
    Column("functions", _("Functions"), parse_list, width=30, note=_("Names or codes from the city's catalogue, separated by 、")),
    Column("equipment", _("Equipment"), parse_list, width=20, note=_("e.g. 投影仪、音响")),
    Column("opening_hours", _("Opening hours"), parse_hours_cell, width=30, note=_("Empty: the site's hours")),
]


def export_rooms(*, user, params: dict):
    rooms = (visible_to(user, "registry.view_room", Room.objects.select_related("site"))
             .filter(closed_on__isnull=True).prefetch_related("functions").order_by("site__code", "floor", "name"))
    within = _within(user, params)
    if within is not None:
        rooms = rooms.filter(site__division__path__under=within.path)

    def rows():
        for r in rooms.iterator(chunk_size=2000):
            yield [r.site.code, r.name, r.floor, float(r.area), r.capacity, choice_label(RoomUse, r.use),
                   "、".join(f.name for f in r.functions.all()), "、".join(r.equipment), format_hours(r.opening_hours)]

    return rooms.count(), rows()


def import_rooms(*, actor, rows, params: dict, progress) -> dict:
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0}
    room_area: dict[int, Decimal] = {}  # running total of room area per site, this file included
    names_seen: set[tuple[int, str]] = set()
    catalogues: dict[int, dict[str, Function]] = {}
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            codes = {r.get("site_code") for _n, r, _e in chunk}
            sites = {s.code: s for s in Site.objects.filter(code__in=codes).select_related("division")}
            new_site_ids = [s.pk for s in sites.values() if s.pk not in room_area]
            for site_id, total in (Room.objects.filter(site_id__in=new_site_ids, closed_on__isnull=True)
                                   .values_list("site_id").annotate(total=Sum("area"))):
                room_area[site_id] = total
            for site_id in new_site_ids:
                room_area.setdefault(site_id, Decimal("0"))
            existing = {(r.site_id, r.name): r for r in Room.objects.filter(site__in=sites.values(), closed_on__isnull=True,
                                                                             name__in={r.get("name") for _n, r, _e in chunk})}
            to_create, to_update, functions_of = [], [], {}
            for number, record, cell_errors in chunk:
                if cell_errors:
                    rejections.extend(cell_errors)
                    continue
                site = sites.get(record["site_code"])
                if site is None or not in_scope(actor, "registry.view_site", site.division):
                    rejections.add(number, _("Site code"), _("Unknown site code: %(code)s") % {"code": record["site_code"]})
                    continue
                if not in_scope(actor, "registry.add_room", site.division):
                    rejections.add(number, None, _("You cannot change the rooms of %(name)s.") % {"name": site.name})
                    continue
                key = (site.pk, record["name"])
                if key in names_seen:
                    rejections.add(number, _("Room name"), _("%(site)s has room %(name)s twice in the file.") % {"site": site.name, "name": record["name"]})
                    continue
                area = record["area"]
                if area <= 0 or area > AREA_MAX:
                    rejections.add(number, _("Area (m²)"), _("An area must be more than 0 and at most %(max)s m².") % {"max": AREA_MAX})
                    continue
                floor = record.get("floor") if record.get("floor") is not None else 1
                capacity = record.get("capacity") or 0
                if not -5 <= floor <= 60 or not 0 <= capacity <= 5000:
                    rejections.add(number, _("Floor"), _("Floor must be from -5 to 60 and capacity from 0 to 5,000."))
                    continue
                room = existing.get(key)
                previous_area = room.area if room is not None else Decimal("0")
                if room_area[site.pk] - previous_area + area > site.floor_area:
                    rejections.add(number, _("Area (m²)"), _("The rooms of %(site)s would take %(total)s m², more than its %(floor)s m².")
                                   % {"site": site.name, "total": room_area[site.pk] - previous_area + area, "floor": site.floor_area})
                    continue
                city_id = site.division.path.split("/", 1)[0]  # the city's code heads every path
                if city_id not in catalogues:
                    city = active_pack(division=site.division).city
                    catalogue = Function.objects.filter(city=city, is_active=True)
                    catalogues[city_id] = {**{f.code: f for f in catalogue}, **{f.name: f for f in catalogue}}
                unknown = [name for name in record.get("functions") or [] if name not in catalogues[city_id]]
                if unknown:
                    rejections.add(number, _("Functions"), _("Not in the city's function catalogue: %(names)s") % {"names": "、".join(unknown)})
                    continue
                names_seen.add(key)
                room_area[site.pk] += area - previous_area
                values = {"floor": floor, "area": area, "capacity": capacity, "use": record.get("use") or RoomUse.SERVICE,
                          "equipment": record.get("equipment") or [], "opening_hours": record.get("opening_hours") or {}}
                if room is None:
                    room = Room(site=site, name=record["name"], **values)
                    to_create.append(room)
                else:
                    for name, value in values.items():
                        setattr(room, name, value)
                    to_update.append(room)
                functions_of[key] = [catalogues[city_id][name] for name in record.get("functions") or []]
            Room.objects.bulk_create(to_create, batch_size=CHUNK)
            Room.objects.bulk_update(to_update, ["floor", "area", "capacity", "use", "equipment", "opening_hours"], batch_size=CHUNK)
            through = Room.functions.through
            through.objects.filter(room__in=to_update).delete()
            through.objects.bulk_create([through(room_id=room.pk, function_id=function.pk)
                                         for room in [*to_create, *to_update]
                                         for function in {f.pk: f for f in functions_of[(room.site_id, room.name)]}.values()],
                                        batch_size=CHUNK * 2)
            audit_record_many(actor=actor, action="registry.room.created", note="import", entries=[
                (r, r.site.division, {"name": r.name, "area": str(r.area)}) for r in to_create])
            audit_record_many(actor=actor, action="registry.room.updated", note="import", entries=[
                (r, r.site.division, {"area": str(r.area), "capacity": r.capacity}) for r in to_update])
            counts["created"] += len(to_create)
            counts["updated"] += len(to_update)
            services.ratings_refresh_later(site_ids={r.site_id for r in [*to_create, *to_update]})
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


# Costs.

COST_COLUMNS = [
    Column("site_code", _("Site code"), parse_code, required=True, width=22),
    Column("room", _("Room name"), parse_text, width=16, note=_("Empty: the whole site")),
    Column("year", _("Year"), parse_int, required=True, width=8),
    Column("category", _("Cost category"), parse_choice(CostCategory), required=True, width=12),
    Column("amount", _("Amount (yuan)"), parse_decimal, required=True, width=12),
    Column("paid_by", _("Paid by"), parse_choice(Payer), required=True, width=10),
    Column("note", _("Note"), parse_text, width=24),
]


def export_costs(*, user, params: dict):
    costs = visible_to(user, "registry.view_cost", Cost.objects.select_related("site", "room")).order_by("site__code", "-year", "category")
    within = _within(user, params)
    if within is not None:
        costs = costs.filter(site__division__path__under=within.path)

    def rows():
        for c in costs.iterator(chunk_size=2000):
            yield [c.site.code, c.room.name if c.room else "", c.year, choice_label(CostCategory, c.category),
                   float(c.amount), choice_label(Payer, c.paid_by), c.note]

    return costs.count(), rows()


def import_costs(*, actor, rows, params: dict, progress) -> dict:
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0}
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            sites = {s.code: s for s in Site.objects.filter(code__in={r.get("site_code") for _n, r, _e in chunk}).select_related("division")}
            rooms = {(r.site_id, r.name): r for r in Room.objects.filter(site__in=sites.values(), closed_on__isnull=True)}
            to_create = []
            for number, record, cell_errors in chunk:
                if cell_errors:
                    rejections.extend(cell_errors)
                    continue
                site = sites.get(record["site_code"])
                if site is None or not in_scope(actor, "registry.view_site", site.division):
                    rejections.add(number, _("Site code"), _("Unknown site code: %(code)s") % {"code": record["site_code"]})
                    continue
                if not in_scope(actor, "registry.add_cost", site.division):
                    rejections.add(number, None, _("You cannot record costs of %(name)s.") % {"name": site.name})
                    continue
                room = None
                if record.get("room"):
                    room = rooms.get((site.pk, record["room"]))
                    if room is None:
                        rejections.add(number, _("Room name"), _("%(site)s has no room %(name)s.") % {"site": site.name, "name": record["room"]})
                        continue
                if record["amount"] <= 0 or not 1990 <= record["year"] <= 2100:
                    rejections.add(number, _("Amount (yuan)"), _("The amount must be more than 0 and the year between 1990 and 2100."))
                    continue
                to_create.append(Cost(site=site, room=room, year=record["year"], category=record["category"],
                                      amount=record["amount"].quantize(Decimal("0.01")), paid_by=record["paid_by"],
                                      note=record.get("note") or ""))
            Cost.objects.bulk_create(to_create, batch_size=CHUNK)
            audit_record_many(actor=actor, action="registry.cost.recorded", note="import", entries=[
                (c, c.site.division, {"year": c.year, "category": c.category, "amount": str(c.amount)}) for c in to_create])
            counts["created"] += len(to_create)
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


register(Register(name="registry.sites", title=_("Sites"), permission="registry.view_site", columns=SITE_COLUMNS,
                  export_rows=export_sites, import_rows=import_sites, check_params=check_within))
register(Register(name="registry.rooms", title=_("Rooms"), permission="registry.view_room", columns=ROOM_COLUMNS,
                  export_rows=export_rooms, import_rows=import_rooms, check_params=check_within))
register(Register(name="registry.costs", title=_("Costs"), permission="registry.view_cost", columns=COST_COLUMNS,
                  export_rows=export_costs, import_rows=import_costs, check_params=check_within))
register(Register(name="registry.workbook", title=_("Community service rooms register"), permission="registry.view_site",
                  columns=[], export_rows=None, parts=("registry.sites", "registry.rooms", "registry.costs"),
                  check_params=check_within))


# Compliance, one row per community and standard (export only).

COMPLIANCE_COLUMNS = [
    Column("code", _("Community code"), parse_code, width=16),
    Column("community", _("Community"), parse_text, width=16),
    Column("street", _("Street"), parse_text, width=14),
    Column("standard", _("Standard"), parse_text, width=40),
    Column("actual", _("Now"), parse_text, width=10),
    Column("required", _("Requirement"), parse_text, width=10),
    Column("unit", _("Unit"), parse_text, width=6),
    Column("passed", _("Meets it"), parse_text, width=8),
    Column("gap", _("Gap"), parse_text, width=30),
    Column("source", _("Source"), parse_text, width=40),
]


def export_compliance(*, user, params: dict):
    within = _within(user, params)
    if within is None:
        raise ValidationFailed(fields={"within": [_("Say which division's report to export.")]})
    report = compliance_for(user=user, division=within)
    reports = report.non_compliant + [r for r in report.communities if r.compliant]

    def rows():
        for community in reports:
            for r in community.results:
                yield [community.division.code, community.division.name, community.division.parent.name, r.title,
                       float(r.actual) if r.actual is not None else None, float(r.required) if r.required is not None else None,
                       r.unit, yes_no(r.passed), r.gap_text, r.source]

    return sum(len(c.results) for c in reports), rows()


register(Register(name="registry.compliance", title=_("Compliance report"), permission="registry.view_compliance",
                  columns=COMPLIANCE_COLUMNS, export_rows=export_compliance, check_params=check_within))

