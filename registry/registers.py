"""The register as Excel workbooks: sites (with property rights), rooms, costs, and compliance.

Imports are built for whole registers of a province (100,000 rows and more): rows stream from
the read-only workbook in chunks; each chunk is checked against the database with a few
queries (the same rules as the services: ``services.check_site``, areas that fit, functions of
the city's catalogue), then written with bulk inserts, each new or changed record with its
audit event; a row that says what is stored writes nothing. Everything runs in one
transaction: if any cell is bad, every bad cell is reported (all of a row's problems at once)
and nothing is written. New sites and their rooms come in one workbook: a new site's key on
the sites sheet names it on the rooms and costs sheets.
"""

from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import active_roles, in_scope, visible_to
from audit.services import audit_record_many, jsonable
from core.errors import ApplicationError, ValidationFailed, fields_from_django_validation_error
from excel.registers import (
    Column,
    DivisionNames,
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
    run_rows_atomically,
    same_value,
    word_key,
    workbook_shared,
    yes_no,
)
from org.models import Division, DivisionLevel
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
    Sign,
    Site,
    SiteKind,
)
from .selectors import compliance_for

CHUNK = 2000
SITE_LEVELS = (DivisionLevel.STREET, DivisionLevel.COMMUNITY)
SITE_KEYS = "registry.site_keys"  # in a workbook import: each new site's key in the file → the site, or its refused row


# The words people write for each choice, besides its label: the policy documents' own wording
# (湖里区财政局's 街道自有资产 / 租赁用房 / 借用 / 混合产权, 海宁's 老年食堂 and 托育服务设施, 泉州's 邻里中心 …).
# The import reads them as the same value, and the template lists them in 填写说明.
SITE_KIND_WORDS = {
    SiteKind.PARTY_MASS_CENTRE: ("社区党群服务中心", "综合服务中心", "社区综合服务中心", "党群服务中心（综合服务中心）", "党群阵地"),
    SiteKind.NEIGHBOURHOOD_CENTRE: ("“党建+”邻里中心", "党建+邻里中心", "社区邻里中心", "民生综合体"),
    SiteKind.ELDERLY_CARE: ("日间照料中心", "日间照料", "养老服务设施", "居家养老服务站", "农村幸福院", "嵌入式养老服务机构"),
    SiteKind.ELDERLY_CANTEEN: ("老年食堂", "社区食堂", "助餐食堂", "老年助餐点"),
    SiteKind.CHILDCARE: ("托育服务设施", "托育", "托育服务点"),
    SiteKind.HEALTH_STATION: ("健康站", "健康驿站"),
    SiteKind.WOMEN_CHILDREN: ("妇女儿童驿站", "妇儿驿站"),
    SiteKind.GRID_STATION: ("网格服务站", "网格阵地", "网格服务阵地"),
    SiteKind.SHARED_EXTERNAL: ("共享资源", "公共资源共享", "驻区单位共享资源"),
}
PROPERTY_CLASS_WORDS = {
    PropertyClass.STATE_ADMINISTRATIVE: ("行政事业单位国有资产", "行政事业性国有", "国有资产", "国有"),
    PropertyClass.VILLAGE_COLLECTIVE: ("村集体", "集体资产", "集体"),
    PropertyClass.MIXED: ("混合产权资产", "混合产权性质", "混合"),
    PropertyClass.OTHER: ("其他资产",),
}
PROPERTY_SOURCE_WORDS = {
    PropertySource.STREET_OWNED: ("街道自有产权", "街道自有资产", "自有", "自有产权", "自有资产"),
    PropertySource.LEASED: ("租用", "租赁用房", "承租", "租房"),
    PropertySource.BORROWED: ("借用其他单位", "借用其他单位及村集体资产", "无偿借用"),
    PropertySource.MIXED: ("混合", "混合产权性质", "混合产权资产"),
}
ROOM_USE_WORDS = {RoomUse.SERVICE: ("服务用房", "服务空间"), RoomUse.OFFICE: ("办公用房", "办公场所")}
COST_CATEGORY_WORDS = {
    CostCategory.MAINTENANCE: ("维修", "维护", "维修维护费"),
    CostCategory.UTILITIES: ("水电", "水电暖", "水电暖费", "水电费用"),
    CostCategory.RENT: ("房租", "租赁费"),
    CostCategory.RENOVATION: ("装修", "改造", "装修费", "改造费"),
}
PAYER_WORDS = {
    Payer.STREET: ("镇（街道）", "镇街", "街道办"),
    Payer.COMMUNITY: ("村居", "村（社区）", "社区居委会"),
    Payer.OPERATOR: ("运营方", "第三方", "第三方机构", "经营主体"),
}
# Functions of the default catalogue, by code (a city's own functions are read by their name and code).
FUNCTION_WORDS = {
    "party_hall": ("党群大厅",),
    "deputies_room": ("两代表一委员工作室",),
    "elderly_care": ("养老服务设施", "日间照料"),
    "home_care_station": ("农村幸福院",),
    "childcare": ("托育", "托育点"),
    "health_station": ("健康站",),
    "family_doctor": ("家庭医生",),
    "elderly_canteen": ("老年食堂", "长者食堂", "助餐食堂", "社区食堂"),
    "reading_room": ("图书室", "阅览室", "书吧"),
    "service_window": ("便民服务", "服务窗口"),
    "office": ("办公室", "办公用房"),
}


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


def site_places(user) -> DivisionNames:
    """The streets and communities whose sites ``user`` may name in a workbook."""
    return DivisionNames(visible_to(user, "registry.view_site", Division.objects.filter(level__in=SITE_LEVELS)))


def place_options(user) -> list[tuple[str, tuple[str, ...]]]:
    return site_places(user).allowed()


def _catalogue_query(user):
    """The active functions of the catalogues of the user's cities (every city's for one who works in none)."""
    cities = set()
    for role in active_roles(user):
        division = role.division or (role.organisation.home_division if role.organisation_id else None)
        if division is not None:
            cities.add(active_pack(division=division).city_id)  # the catalogue comes with the city's pack
    functions = Function.objects.filter(is_active=True).order_by("city__path", "aspect__order", "order")
    return functions.filter(city_id__in=cities) if cities else functions


def function_options(user) -> list[tuple[str, tuple[str, ...]]]:
    """The functions of the user's city catalogue, by name, with the other names they go by."""
    options: dict[str, tuple[str, ...]] = {}
    for function in _catalogue_query(user):
        options.setdefault(function.name, FUNCTION_WORDS.get(function.code, ()))
    return list(options.items())


def function_words(functions: Iterable[Function]) -> dict[str, Function]:
    """Every way of naming each function of a catalogue (name, code, other names) → the function."""
    words: dict[str, Function] = {}
    for function in functions:
        for word in (function.code, function.name, *FUNCTION_WORDS.get(function.code, ())):
            words.setdefault(word_key(word), function)
    return words


class Rejections:
    """Every problem of an import's rows, each with its row number and column."""

    def __init__(self):
        self.errors: list[dict] = []
        self.rows: set[int] = set()

    def add(self, number: int, column, message) -> None:
        self.rows.add(number)
        self.errors.append(row_error(number, str(column) if column else None, message))

    def extend(self, number: int, errors: list[dict]) -> None:
        if errors:
            self.rows.add(number)
            self.errors.extend(errors)

    def refuse(self, number: int, error: ApplicationError) -> None:
        if error.fields:
            for field, messages in error.fields.items():
                for message in messages:
                    self.add(number, field, message)
        else:
            self.add(number, None, error.message)

    def has(self, number: int) -> bool:
        return number in self.rows

    def raise_if_any(self) -> None:
        reject(self.errors)


# Sites (with property rights).

SITE_COLUMNS = [
    Column("code", _("Site code"), parse_code, width=22,
           note=_("A registered site: its code. A new site: leave empty, or give it a key of your own in this file "
                  "(such as 新1) that the rooms and costs sheets use for it; its code is given on import.")),
    Column("division", _("Community or street"), parse_text, required=True, width=18, options=place_options,
           headers=(_("Community or street code"),), note=_("By name, from the list (the 12-digit code is read too)")),
    Column("name", _("Site name"), parse_text, required=True, width=24),
    Column("kind", _("Site kind"), parse_choice(SiteKind, SITE_KIND_WORDS), required=True, width=16),
    Column("address", _("Address"), parse_text, width=30),
    Column("latitude", _("Latitude"), parse_decimal, width=11),
    Column("longitude", _("Longitude"), parse_decimal, width=11),
    Column("floors", _("Floors"), parse_int, width=8),
    Column("floor_area", _("Floor area (m²)"), parse_decimal, required=True, width=12),
    Column("ground_floor_area", _("Ground-floor area (m²)"), parse_decimal, width=12),
    Column("independent_entrance", _("Independent street entrance"), parse_bool, width=10),
    Column("parking_spaces", _("Parking spaces"), parse_int, width=8),
    Column("square_area", _("Activity square (m²)"), parse_decimal, width=12),
    Column("opening_hours", _("Opening hours"), parse_hours_cell, width=34, note=_("e.g. 周一至周五 08:30-17:30；周六 09:00-12:00")),
    Column("host_unit", _("Host unit"), parse_text, width=16, note=_("For a shared resource: the school or unit that opens it")),
    Column("property_class", _("Property class"), parse_choice(PropertyClass, PROPERTY_CLASS_WORDS), required=True, width=14),
    Column("state_share", _("State-owned share (%)"), parse_decimal, width=10, note=_("Mixed property only")),
    Column("collective_share", _("Collective share (%)"), parse_decimal, width=10, note=_("Mixed property only")),
    Column("property_source", _("Property source"), parse_choice(PropertySource, PROPERTY_SOURCE_WORDS), required=True, width=12),
    Column("certificate_no", _("Certificate no."), parse_text, width=18),
    Column("owner_name", _("Owner or lessor"), parse_text, width=18, note=_("Leased or borrowed sites")),
    Column("lease_start", _("Lease from"), parse_date, width=12),
    Column("lease_end", _("Lease until"), parse_date, width=12, note=_("Leased or borrowed sites")),
    Column("annual_rent", _("Annual rent (yuan)"), parse_decimal, width=12, note=_("Leased sites (0 if none)")),
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
    places = site_places(user)

    def rows():
        for s in sites.iterator(chunk_size=2000):
            yield [
                s.code, places.label(s.division), s.name, choice_label(SiteKind, s.kind), s.address,
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


def _site_problems(site: Site) -> dict[str, list]:
    """Everything wrong with a site's values at once: the register's rules and each field's own limits."""
    fields: dict[str, list] = {}
    try:
        services.check_site(site)
    except ApplicationError as error:
        fields |= error.fields or {"": [error.message]}
    try:
        site.clean_fields(exclude=[f.name for f in Site._meta.fields if f.name not in SITE_VALIDATED])
    except DjangoValidationError as error:
        for name, messages in fields_from_django_validation_error(error).items():
            fields.setdefault(name, messages)
    return fields


def import_sites(*, actor, rows, params: dict, progress) -> dict:
    """Sites, checked row by row with all of a row's problems at once, written in bulk.

    A registered site's code updates it (a row that says what is stored changes nothing); any
    other key, or none, registers a new site with the next code of its community, and the key
    names it for the rooms and costs sheets of the same workbook."""
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    places = site_places(actor)
    keys: dict[str, Site | int] = workbook_shared().setdefault(SITE_KEYS, {})
    first_row: dict[str, int] = {}
    next_number: dict[int, int] = {}
    division_header, code_header = _("Community or street"), _("Site code")
    now = timezone.now()
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            existing = {s.code: s for s in Site.objects.filter(code__in={r["code"] for _n, r, _e in chunk if r.get("code")})
                        .select_related("division")}
            divisions = {r["division"]: places.find(r["division"]) for _n, r, _e in chunk if r.get("division")}
            fresh = [d.pk for d in divisions.values() if d is not None and d.pk not in next_number]
            for division_id in fresh:
                next_number[division_id] = 0
            for code, division_id in Site.objects.filter(division_id__in=fresh).values_list("code", "division_id"):
                tail = code.rsplit("-S", 1)[-1]
                if tail.isdigit():
                    next_number[division_id] = max(next_number[division_id], int(tail))
            to_create, to_update = [], []
            for number, record, cell_errors in chunk:
                rejections.extend(number, cell_errors)
                key = record.get("code") or ""
                division = divisions.get(record.get("division"))
                if record.get("division") and division is None:
                    rejections.add(number, division_header, _("%(name)s is not a community or street you can register sites at.")
                                   % {"name": record["division"]})
                if key in first_row:
                    rejections.add(number, code_header, _("%(code)s is used twice in this sheet (also row %(row)s).")
                                   % {"code": key, "row": first_row[key]})
                elif key:
                    first_row[key] = number
                site = existing.get(key)
                data = {k: v for k, v in record.items() if k not in ("code", "division") and v is not None}
                for name in ("latitude", "longitude"):
                    if name in data:
                        data[name] = coordinate(data[name])
                changes = {}
                if site is not None:
                    changes = {k: [getattr(site, k), v] for k, v in data.items() if not same_value(getattr(site, k), v)}
                    if division is not None and site.division_id != division.pk:
                        rejections.add(number, division_header, _("Site %(code)s belongs to %(name)s.")
                                       % {"code": key, "name": places.label(site.division)})
                    elif changes and not in_scope(actor, "registry.change_site", site.division):
                        rejections.add(number, None, _("You cannot change site %(code)s.") % {"code": key})
                elif division is None:
                    if not record.get("division"):
                        rejections.add(number, division_header, _("A new site needs its community or street."))
                elif not in_scope(actor, "registry.add_site", division):
                    rejections.add(number, None, _("You cannot register sites at %(name)s.") % {"name": division.name})
                if site is not None:
                    candidate = site
                else:
                    candidate = Site(code="", **SITE_DEFAULTS)
                    if division is not None:
                        candidate.division = division
                for name, value in data.items():
                    setattr(candidate, name, value)
                candidate.updated_at = now
                for name, messages in _site_problems(candidate).items():
                    for message in messages:
                        rejections.add(number, name, message)
                if rejections.has(number):
                    if key and site is None:
                        keys.setdefault(key, number)
                    continue
                if site is None:
                    next_number[division.pk] += 1
                    candidate.code = f"{division.code}-S{next_number[division.pk]:02d}"
                    to_create.append(candidate)
                    if key:
                        keys[key] = candidate
                elif changes:
                    to_update.append((candidate, changes))
                else:
                    counts["unchanged"] += 1
            # Valid rows go in even beside bad ones: later sheets may refer to them; all is undone on refusal.
            Site.objects.bulk_create(to_create, batch_size=CHUNK)
            if to_update:
                fields = sorted({f for _s, changes in to_update for f in changes})
                Site.objects.bulk_update([s for s, _c in to_update], [*fields, "updated_at"], batch_size=CHUNK)
            audit_record_many(actor=actor, action="registry.site.created", note="import",
                              entries=[(s, s.division, {"code": s.code, "name": s.name}) for s in to_create])
            audit_record_many(actor=actor, action="registry.site.updated", note="import",
                              entries=[(s, s.division, jsonable(changes)) for s, changes in to_update])
            counts["created"] += len(to_create)
            counts["updated"] += len(to_update)
            services.ratings_refresh_later(site_ids=[s.pk for s in to_create] + [s.pk for s, _c in to_update])
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


def _site_named(code, found: dict[str, Site], keys: dict[str, Site | int]) -> Site | None:
    site = keys.get(code)
    return site if isinstance(site, Site) else found.get(code)


def _site_for(code: str, found: dict[str, Site], keys: dict[str, Site | int], rejections: Rejections, number: int,
              actor) -> Site | None:
    """The site a row of the rooms or costs sheet names: by a key of this workbook, else by its code."""
    site = keys.get(code)
    if isinstance(site, int):
        rejections.add(number, _("Site code"), _("Site %(code)s has problems on the sites sheet (row %(row)s).")
                       % {"code": code, "row": site})
        return None
    site = _site_named(code, found, keys)
    if site is None or not in_scope(actor, "registry.view_site", site.division):
        rejections.add(number, _("Site code"), _("No site %(code)s: give a registered site's code, or the key of a new site "
                                                  "on the sites sheet.") % {"code": code})
        return None
    return site


# Rooms.

ROOM_COLUMNS = [
    Column("site_code", _("Site code"), parse_code, required=True, width=22,
           note=_("A registered site's code, or the key a new site has on the sites sheet")),
    Column("name", _("Room name"), parse_text, required=True, width=18),
    Column("floor", _("Floor"), parse_int, width=8, note=_("From -5 to 60; empty: 1")),
    Column("area", _("Area (m²)"), parse_decimal, required=True, width=10),
    Column("capacity", _("Capacity (people)"), parse_int, width=10),
    Column("use", _("Use"), parse_choice(RoomUse, ROOM_USE_WORDS), width=10),
    Column("functions", _("Functions"), parse_list, width=30, options=function_options, several=True,
           note=_("From the city's catalogue, several separated by 、")),
    Column("equipment", _("Equipment"), parse_list, width=20, note=_("e.g. 投影仪、音响")),
    Column("opening_hours", _("Opening hours"), parse_hours_cell, width=30, note=_("Empty: the site's hours")),
]
ROOM_DEFAULTS = {"floor": 1, "capacity": 0, "use": RoomUse.SERVICE, "equipment": [], "opening_hours": {}}


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
    """Rooms, each naming its site by code or by the key a new site has in this workbook; all of a
    row's problems at once; a row that says what is stored changes nothing."""
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    room_area: dict[int, Decimal] = {}  # running total of room area per site, this file included
    names_seen: dict[tuple[int, str], int] = {}
    catalogues: dict[str, dict[str, Function]] = {}
    keys: dict[str, Site | int] = workbook_shared().get(SITE_KEYS, {})
    any_catalogue: dict[str, Function] | None = None
    now = timezone.now()
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            codes = {r.get("site_code") for _n, r, _e in chunk} - set(keys)
            found = {s.code: s for s in Site.objects.filter(code__in=codes).select_related("division")}
            sites = {s.pk: s for s in found.values()} | {s.pk: s for s in keys.values() if isinstance(s, Site)}
            chunk_sites = [s for s in sites.values() if s.pk not in room_area]
            for site_id, total in (Room.objects.filter(site_id__in=[s.pk for s in chunk_sites], closed_on__isnull=True)
                                   .values_list("site_id").annotate(total=Sum("area"))):
                room_area[site_id] = total
            for site in chunk_sites:
                room_area.setdefault(site.pk, Decimal("0"))
            named = {_site_named(r.get("site_code"), found, keys) for _n, r, _e in chunk}
            existing = {(r.site_id, r.name): r for r in Room.objects.filter(
                site__in=[site for site in named if site is not None], closed_on__isnull=True,
                name__in={r.get("name") for _n, r, _e in chunk}).prefetch_related("functions")}
            to_create, to_update, functions_of = [], [], {}
            for number, record, cell_errors in chunk:
                rejections.extend(number, cell_errors)
                site = _site_for(record["site_code"], found, keys, rejections, number, actor) if record.get("site_code") else None
                key = (site.pk, record["name"]) if site is not None and record.get("name") else None
                if key in names_seen:
                    rejections.add(number, _("Room name"), _("%(site)s has room %(name)s twice in the file (also row %(row)s).")
                                   % {"site": site.name, "name": record["name"], "row": names_seen[key]})
                elif key is not None:
                    names_seen[key] = number
                area = record.get("area")
                if area is not None and not 0 < area <= AREA_MAX:
                    rejections.add(number, _("Area (m²)"), _("An area must be more than 0 and at most %(max)s m².") % {"max": AREA_MAX})
                if record.get("floor") is not None and not -5 <= record["floor"] <= 60:
                    rejections.add(number, _("Floor"), _("A floor is from -5 to 60."))
                if record.get("capacity") is not None and not 0 <= record["capacity"] <= 5000:
                    rejections.add(number, _("Capacity (people)"), _("A capacity is from 0 to 5,000 people."))
                if site is not None:
                    city = site.division.path.split("/", 1)[0]  # the city's code heads every path
                    if city not in catalogues:
                        catalogues[city] = function_words(Function.objects.filter(city=active_pack(division=site.division).city,
                                                                                  is_active=True))
                    catalogue = catalogues[city]
                else:
                    any_catalogue = any_catalogue if any_catalogue is not None else function_words(
                        Function.objects.filter(is_active=True))
                    catalogue = any_catalogue
                unknown = [name for name in record.get("functions") or [] if word_key(name) not in catalogue]
                if unknown:
                    rejections.add(number, _("Functions"), _("Not in the city's function catalogue: %(names)s") % {"names": "、".join(unknown)})
                room = existing.get(key) if key is not None else None
                if site is not None and area is not None and not rejections.has(number):
                    previous = room.area if room is not None else Decimal("0")
                    total = room_area[site.pk] - previous + area
                    if total > site.floor_area:
                        rejections.add(number, _("Area (m²)"), _("The rooms of %(site)s would take %(total)s m², more than its %(floor)s m².")
                                       % {"site": site.name, "total": total, "floor": site.floor_area})
                if rejections.has(number):
                    continue
                values = {k: record[k] for k in ROOM_DEFAULTS if record.get(k) not in (None, "")} | {"area": area}
                functions = ({f.pk: f for f in (catalogue[word_key(name)] for name in record["functions"])}
                             if "functions" in record else None)
                changes = {} if room is None else {k: [getattr(room, k), v] for k, v in values.items() if not same_value(getattr(room, k), v)}
                before = {} if room is None else {f.pk: f for f in room.functions.all()}
                if room is not None and functions is not None and set(functions) != set(before):
                    changes["functions"] = [sorted(f.name for f in before.values()), sorted(f.name for f in functions.values())]
                if room is not None and not changes:
                    counts["unchanged"] += 1
                    continue
                if not in_scope(actor, "registry.add_room", site.division):
                    rejections.add(number, None, _("You cannot change the rooms of %(name)s.") % {"name": site.name})
                    continue
                room_area[site.pk] += area - (room.area if room is not None else Decimal("0"))
                if room is None:
                    room = Room(site=site, name=record["name"], **(ROOM_DEFAULTS | values))
                    to_create.append(room)
                    functions_of[key] = functions or {}
                    continue
                if "functions" in changes:
                    functions_of[key] = functions
                for name, value in values.items():
                    setattr(room, name, value)
                room.updated_at = now
                to_update.append((room, changes))
            Room.objects.bulk_create(to_create, batch_size=CHUNK)
            if to_update:
                fields = sorted({f for _r, changes in to_update for f in changes} - {"functions"})
                Room.objects.bulk_update([r for r, _c in to_update], [*fields, "updated_at"], batch_size=CHUNK)
            through = Room.functions.through
            refunctioned = [r for r in [*to_create, *(r for r, _c in to_update)] if (r.site_id, r.name) in functions_of]
            through.objects.filter(room__in=[r for r, c in to_update if "functions" in c]).delete()
            through.objects.bulk_create([through(room_id=room.pk, function_id=function.pk) for room in refunctioned
                                         for function in functions_of[(room.site_id, room.name)].values()],
                                        batch_size=CHUNK * 2)
            audit_record_many(actor=actor, action="registry.room.created", note="import", entries=[
                (r, r.site.division, {"name": r.name, "area": str(r.area)}) for r in to_create])
            audit_record_many(actor=actor, action="registry.room.updated", note="import", entries=[
                (r, r.site.division, jsonable(changes)) for r, changes in to_update])
            counts["created"] += len(to_create)
            counts["updated"] += len(to_update)
            services.ratings_refresh_later(site_ids={r.site_id for r in [*to_create, *(r for r, _c in to_update)]})
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


# Costs.

COST_COLUMNS = [
    Column("site_code", _("Site code"), parse_code, required=True, width=22,
           note=_("A registered site's code, or the key a new site has on the sites sheet")),
    Column("room", _("Room name"), parse_text, width=16, note=_("Empty: the whole site")),
    Column("year", _("Year"), parse_int, required=True, width=8),
    Column("category", _("Cost category"), parse_choice(CostCategory, COST_CATEGORY_WORDS), required=True, width=12),
    Column("amount", _("Amount (yuan)"), parse_decimal, required=True, width=12),
    Column("paid_by", _("Paid by"), parse_choice(Payer, PAYER_WORDS), required=True, width=10),
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


def _cost_key(cost: Cost) -> tuple:
    return cost.site_id, cost.room_id, cost.year, cost.category, cost.amount, cost.paid_by, cost.note


def import_costs(*, actor, rows, params: dict, progress) -> dict:
    """Costs have no code: a row equal to a recorded cost of its site (as an export writes it) is that
    cost and changes nothing; any other row records a cost."""
    rejections = Rejections()
    counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0}
    keys: dict[str, Site | int] = workbook_shared().get(SITE_KEYS, {})
    recorded: Counter = Counter()
    loaded: set[int] = set()
    with transaction.atomic():
        for chunk in chunks(rows):
            counts["rows"] += len(chunk)
            found = {s.code: s for s in Site.objects.filter(code__in={r.get("site_code") for _n, r, _e in chunk} - set(keys))
                     .select_related("division")}
            site_ids = {s.pk for s in found.values()} | {s.pk for s in keys.values() if isinstance(s, Site)}
            rooms = {(r.site_id, r.name): r for r in Room.objects.filter(site_id__in=site_ids, closed_on__isnull=True)}
            recorded.update(_cost_key(c) for c in Cost.objects.filter(site_id__in=site_ids - loaded))
            loaded |= site_ids
            to_create = []
            for number, record, cell_errors in chunk:
                rejections.extend(number, cell_errors)
                site = _site_for(record["site_code"], found, keys, rejections, number, actor) if record.get("site_code") else None
                room = None
                if site is not None and record.get("room"):
                    room = rooms.get((site.pk, record["room"]))
                    if room is None:
                        rejections.add(number, _("Room name"), _("%(site)s has no room %(name)s.") % {"site": site.name, "name": record["room"]})
                if record.get("amount") is not None and record["amount"] <= 0:
                    rejections.add(number, _("Amount (yuan)"), _("The amount must be more than 0."))
                if record.get("year") is not None and not 1990 <= record["year"] <= 2100:
                    rejections.add(number, _("Year"), _("The year must be between 1990 and 2100."))
                if rejections.has(number):
                    continue
                cost = Cost(site=site, room=room, year=record["year"], category=record["category"],
                            amount=record["amount"].quantize(Decimal("0.01")), paid_by=record["paid_by"], note=record.get("note") or "")
                if recorded[_cost_key(cost)] > 0:
                    recorded[_cost_key(cost)] -= 1
                    counts["unchanged"] += 1
                elif not in_scope(actor, "registry.add_cost", site.division):
                    rejections.add(number, None, _("You cannot record costs of %(name)s.") % {"name": site.name})
                else:
                    to_create.append(cost)
            Cost.objects.bulk_create(to_create, batch_size=CHUNK)
            audit_record_many(actor=actor, action="registry.cost.recorded", note="import", entries=[
                (c, c.site.division, {"year": c.year, "category": c.category, "amount": str(c.amount)}) for c in to_create])
            counts["created"] += len(to_create)
            progress(counts["rows"])
        rejections.raise_if_any()
    return counts


register(Register(name="registry.sites", title=_("Register of sites"), sheet=_("Sites"), permission="registry.view_site",
                  columns=SITE_COLUMNS, export_rows=export_sites, import_rows=import_sites, check_params=check_within))
register(Register(name="registry.rooms", title=_("Register of rooms"), sheet=_("Rooms"), permission="registry.view_room",
                  columns=ROOM_COLUMNS, export_rows=export_rooms, import_rows=import_rooms, check_params=check_within))
register(Register(name="registry.costs", title=_("Register of costs"), sheet=_("Costs"), permission="registry.view_cost",
                  columns=COST_COLUMNS, export_rows=export_costs, import_rows=import_costs, check_params=check_within))
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



# Signs and plaques [Huli].

SIGN_COLUMNS = [
    Column("id", _("Sign no."), parse_int, width=10, note=_("A recorded sign: its number. A new sign: leave empty")),
    Column("site_code", _("Site code"), parse_code, required=True, width=22),
    Column("site_name", _("Site name"), parse_text, width=24, note=_("Ignored on import")),
    Column("text", _("Text of the sign"), parse_text, required=True, width=30),
    Column("issuer", _("Issued by"), parse_text, width=22,
           note=_("A government department by its name in the organisations register, or as written on the sign")),
    Column("hung_on", _("Hung since"), parse_date, width=12),
    Column("allowed", _("On the city's list"), parse_text, width=10, note=_("Ignored on import")),
    Column("removed_on", _("Removed on"), parse_date, width=12, note=_("Ignored on import: a sign is removed with a photo on its page")),
]


def export_signs(*, user, params: dict):
    signs = visible_to(user, "registry.view_sign", Sign.objects.select_related("site", "department")).order_by("site__code", "pk")
    within = _within(user, params)
    if within is not None:
        signs = signs.filter(site__division__path__under=within.path)

    def rows():
        for s in signs.iterator(chunk_size=2000):
            yield [s.pk, s.site.code, s.site.name, s.text, s.issuer, s.hung_on, yes_no(s.allowed), s.removed_on]

    return signs.count(), rows()


def import_signs(*, actor, rows, params: dict, progress) -> dict:
    """Signs from a workbook, each row through ``sign_record`` or ``sign_update``; a row as exported changes nothing."""
    from org.models import Organisation, OrganisationKind

    sites: dict[str, Site | None] = {}

    def site_for(code: str) -> Site:
        if code not in sites:
            sites[code] = Site.objects.select_related("division").filter(code=code, closed_on__isnull=True).first()
        site = sites[code]
        if site is None or not in_scope(actor, "registry.view_site", site):
            raise ValidationFailed(fields={str(_("Site code")): [_("No site %(code)s.") % {"code": code}]})
        return site

    def issuer(name: str) -> tuple[Organisation | None, str]:
        department = visible_to(actor, "org.view_organisation", Organisation.objects.filter(
            kind=OrganisationKind.DEPARTMENT, name=name)).first() if name else None
        return (department, "") if department else (None, name)

    def apply_row(number: int, record: dict) -> str:
        site = site_for(record["site_code"])
        department, department_name = issuer(record.get("issuer") or "")
        if record.get("id"):
            sign = Sign.objects.filter(pk=record["id"], site=site).first()
            if sign is None or not in_scope(actor, "registry.view_sign", sign):
                raise ValidationFailed(fields={str(_("Sign no.")): [_("No sign %(id)s at this site.") % {"id": record["id"]}]})
            data = {"text": record["text"], "department": department, "department_name": department_name,
                    "hung_on": record.get("hung_on")}
            if all(same_value(getattr(sign, k), v) for k, v in data.items()) or sign.removed_on is not None:
                return "unchanged"  # as exported (a removed sign is history)
            if not in_scope(actor, "registry.add_sign", sign):
                raise ValidationFailed(fields={str(_("Sign no.")): [_("You cannot change the signs of %(site)s.") % {"site": site.name}]})
            services.sign_update(actor=actor, sign=sign, data=data)
            return "updated"
        if not in_scope(actor, "registry.add_sign", site):
            raise ValidationFailed(fields={str(_("Site code")): [_("You cannot record signs at %(site)s.") % {"site": site.name}]})
        services.sign_record(actor=actor, site=site, text=record["text"], department=department,
                             department_name=department_name, hung_on=record.get("hung_on"))
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


register(Register(name="registry.signs", title=_("Register of signs"), sheet=_("Signs"), permission="registry.view_sign",
                  columns=SIGN_COLUMNS, export_rows=export_signs, import_rows=import_signs, check_params=check_within))
