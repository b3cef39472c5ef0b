"""The province-scale city (`linli demo --scale province`): the size a provincial bureau supervises,
for the supervision benchmark and for trying the pages at that size, on PostgreSQL.

One city of 50 districts, 1,000 streets and 10,000 communities (about 40 million people) with its
register (21,000 sites, 105,000 rooms with the catalogue's functions), a year of bookings
(5,000,000), community funds with a year of income (1,000,000 transactions, 2,000,000 legs and
their kept monthly totals), operators admitted by their districts with their agreements and
breaches, a year of activities (250,000) with 5,000,000 registrations and their check-ins, needs and
feedback — and then the month's figures of every month taken by the same service the clock runs
(``supervision.services.snapshot_take``), so the dashboards have their trends.

The rows go in with PostgreSQL's COPY, in the shape the services write them (statuses, money kept
in the ledger with its monthly totals and balances), checked by the database's own constraints —
the exclusion constraint that keeps a room from being booked twice included. Nothing about the
rows is special to the benchmark: the pages read them as they read the demo city's.

The same seed builds the same province. It is built beside whatever the database holds (the demo
city may be there too) and refused when the province's city is already there.
"""

import json
import random
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone

CITY_CODE, CITY_NAME = "339900000000", "江海市（省级规模）"
SITES_PER_COMMUNITY, ROOMS_PER_SITE = 2, 5
RESIDENTS_PER_COMMUNITY, ACTIVITIES_PER_COMMUNITY, REGISTRATIONS_PER_ACTIVITY = 30, 25, 20
FUND_SHARE, INCOMES_PER_FUND = 0.7, 143  # 7,000 funds, 1,000,000 incomes, 2,000,000 legs
AGREEMENT_SHARE = 0.3
NEEDS_PER_COMMUNITY, FEEDBACK_PER_COMMUNITY = 10, 10


@dataclass(frozen=True)
class Size:
    districts: int = 50
    streets_per_district: int = 20
    communities_per_street: int = 10
    bookings_per_room: float = 5_000_000 / 105_000  # 5,000,000 bookings

    @property
    def communities(self) -> int:
        return self.districts * self.streets_per_district * self.communities_per_street


PROVINCE = Size()
DAYS_BACK, DAYS_AHEAD = 395, 30
SLOTS = ((9, 0), (14, 0), (19, 0))  # two-hour bookings: morning, afternoon, evening

DISTRICT_WORDS = "东西南北中新老江海山湖河溪云松桂兰梅竹荷丽祥瑞鹤金银安和康福民华光明文兴富乐平顺春龙凤"
PLACE_WORDS = "安和平华兴园苑林湖港泰福盛丰源禧祥庭岸景阳坊里桥湾亭塘洲"


class Loader:
    """Rows into PostgreSQL with COPY, ids handed out here (so rows can point at rows not yet written),
    every column the model has filled: given, or the field's default, or now for ``auto_now`` fields."""

    def __init__(self, say: Callable[[str], None]):
        self.say = say
        self.now = timezone.now()
        self.next_id: dict[type, int] = {}

    def ids(self, model, count: int) -> range:
        if model not in self.next_id:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{model._meta.db_table}"')
                self.next_id[model] = cursor.fetchone()[0] + 1
        start = self.next_id[model]
        self.next_id[model] = start + count
        return range(start, start + count)

    @contextmanager
    def indexes_built_after(self, *tables_of):
        """Load the tables bare and index them after: building an index (or checking an exclusion or unique
        constraint) over millions of rows at once is far quicker than keeping it row by row. Every index and
        constraint comes back as it was — the exclusion constraint that keeps a room from being booked twice
        checks every booking when it is added again."""
        dropped = []
        with connection.cursor() as cursor:
            for model in tables_of:
                table = model._meta.db_table
                cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                               "WHERE conrelid = %s::regclass AND contype IN ('u', 'x')", [table])
                constraints = cursor.fetchall()
                cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                               "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", [table, table])
                indexes = cursor.fetchall()
                for name, _definition in constraints:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for name, _definition in indexes:
                    cursor.execute(f'DROP INDEX "{name}"')
                dropped.append((table, constraints, indexes))
        try:
            yield
        finally:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '1GB'")
                for table, constraints, indexes in dropped:
                    for _name, definition in indexes:
                        cursor.execute(definition)
                    for name, definition in constraints:
                        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            self.say(f"indexes of {', '.join(table for table, _c, _i in dropped)} built in {time.perf_counter() - started:.0f} s")

    def settle(self, model) -> None:
        """Rows written later through the ORM take ids after those handed out here."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{model._meta.db_table}\"', 'id'), %s)",
                           [self.next_id[model] - 1])

    def _fill(self, model, given: tuple[str, ...]) -> tuple[list[str], list]:
        columns, defaults = [], []
        for field in model._meta.concrete_fields:
            name = field.attname
            if name in given or field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = self.now
            elif field.has_default():
                value = field.get_default()
            elif field.null:
                continue
            elif field.empty_strings_allowed and isinstance(field, (models.CharField, models.TextField)):
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{name} needs a value")
            if isinstance(field, models.JSONField):
                value = json.dumps(value)
            columns.append(field.column)
            defaults.append(value)
        return columns, defaults

    def copy(self, model, fields: tuple[str, ...], rows: Iterable[tuple], *, label: str = "") -> int:
        """COPY ``rows`` (tuples in the order of ``fields``, attnames) into the model's table."""
        columns = [model._meta.get_field(f.removesuffix("_id") if f.endswith("_id") and f != "id" else f).column
                   if f != "id" else "id" for f in fields]
        extra_columns, extra = self._fill(model, fields)
        extra = tuple(extra)
        table = model._meta.db_table
        started, count = time.perf_counter(), 0
        raw = connection.connection
        with raw.cursor() as cursor:
            statement = f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns + extra_columns)}) FROM STDIN'
            with cursor.copy(statement) as copying:
                for row in rows:
                    copying.write_row(row + extra)
                    count += 1
        if "id" in fields:
            self.settle(model)
        self.say(f"{label or model._meta.verbose_name_plural}: {count:,} rows in {time.perf_counter() - started:.0f} s")
        return count


def build_province(*, seed: int = 2026, size: Size = PROVINCE, say: Callable[[str], None] = print) -> dict:
    """Build the province; returns counts of what was made."""
    from org.models import Division

    if connection.vendor != "postgresql":
        raise RuntimeError("The province is built on PostgreSQL (set DATABASE_URL): SQLite is the demo city's database.")
    if Division.objects.filter(code=CITY_CODE).exists():
        raise RuntimeError(f"The province's city ({CITY_NAME}) is already in this database.")
    started = time.perf_counter()
    rng = random.Random(seed)
    load = Loader(say)
    counts: dict[str, int] = {}
    steps = [_tree, _people, _register, _bookings, _funds, _operations, _activities, _needs_and_feedback]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        if _superuser(cursor):
            # The rows point only at rows made here: leave out the per-row foreign-key triggers (a superuser's
            # replication role; check, unique and exclusion constraints still hold every row).
            cursor.execute("SET session_replication_role = replica")
    world: dict = {"size": size}
    from funds.models import Income
    from ledger.models import Leg, Transaction
    from neighbourhood.models import Attendance, Registration
    from scheduling.models import Booking

    with load.indexes_built_after(Booking, Transaction, Leg, Income, Registration, Attendance):
        for number, step in enumerate(steps, start=1):
            say(f"[{number}/{len(steps) + 1}] {step.__doc__.splitlines()[0]}")
            step(load, rng, world, counts)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    say(f"[{len(steps) + 1}/{len(steps) + 1}] the month's figures of the last twelve months")
    counts["snapshot rows"] = _snapshots(world["city"], say)
    counts["seconds"] = int(time.perf_counter() - started)
    return counts


def _superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


def _tree(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """The city, 50 districts, 1,000 streets and 10,000 communities, with codes in the national scheme."""
    from org.models import CommunityType, Division, DivisionLevel
    from rulepack.services import rulepack_ensure

    city = Division.objects.create(code=CITY_CODE, name=CITY_NAME, level=DivisionLevel.CITY, path=f"{CITY_CODE}/", depth=0,
                                   latitude=Decimal("30.250000"), longitude=Decimal("120.160000"))
    rows, districts, streets, communities = [], [], [], []
    size = world["size"]
    ids = load.ids(Division, size.districts * (1 + size.streets_per_district * (1 + size.communities_per_street)))
    next_id = iter(ids)
    types = [t for t, _label in CommunityType.choices]
    for d in range(1, size.districts + 1):
        d_code = f"{CITY_CODE[:4]}{d:02d}000000"
        d_path = f"{city.path}{d_code}/"
        d_id = next(next_id)
        words = len(DISTRICT_WORDS)  # two characters, a different pair for each district
        d_name = f"{DISTRICT_WORDS[(d - 1) % words]}{DISTRICT_WORDS[(d - 1 + 17 + (d - 1) // words * 5) % words]}区"
        rows.append((d_id, d_code, d_name, DivisionLevel.DISTRICT, city.pk, d_path, 1, 0, 0, "", None, None))
        districts.append(d_id)
        for s in range(1, size.streets_per_district + 1):
            s_code = f"{d_code[:6]}{s:03d}000"
            s_path = f"{d_path}{s_code}/"
            s_id = next(next_id)
            rows.append((s_id, s_code, f"{d_name[:2]}第{s}街道", DivisionLevel.STREET, d_id, s_path, 2, 0, 0, "", None, None))
            streets.append(s_id)
            for c in range(1, size.communities_per_street + 1):
                c_code = f"{s_code[:9]}{c:03d}"
                population = rng.randint(2500, 12000)
                kind = rng.choice(types)
                lat = Decimal("28.0") + Decimal(rng.randint(0, 3_000_000)) / Decimal(1_000_000)
                lon = Decimal("118.5") + Decimal(rng.randint(0, 3_000_000)) / Decimal(1_000_000)
                c_id = next(next_id)
                name = f"{PLACE_WORDS[(d + c) % len(PLACE_WORDS)]}{PLACE_WORDS[(s * 3 + c) % len(PLACE_WORDS)]}{s}-{c}社区"
                rows.append((c_id, c_code, name, DivisionLevel.COMMUNITY, s_id, f"{s_path}{c_code}/", 3, population,
                             population // 3, kind, lat, lon))
                communities.append((c_id, s_id, d_id))
    load.copy(Division, ("id", "code", "name", "level", "parent_id", "path", "depth", "population", "households",
                         "community_type", "latitude", "longitude"), rows, label="divisions")
    rulepack_ensure(city=city)  # the city's pack: its standards, and the function catalogue it syncs
    world.update(city=city, districts=districts, streets=streets, communities=communities)
    counts.update(districts=len(districts), streets=len(streets), communities=len(communities))


def _people(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """Staff of every community and street, 300,000 residents, and the accounts a visitor signs in with."""
    from accounts.models import Role, RoleAssignment, User
    from demo.context import DEMO_PASSWORD
    from org.models import OperatorKind, Organisation, OrganisationKind

    unusable = make_password(None)
    communities = world["communities"]
    workers = load.ids(User, len(communities) + len(world["streets"]))
    residents = load.ids(User, len(communities) * RESIDENTS_PER_COMMUNITY)

    def users():
        for n, (c_id, _s, _d) in enumerate(communities):
            yield (workers[n], f"p-worker-{c_id}", unusable, f"社区工作者{n + 1}", f"社区工作者{n + 1}", True)
        for n, s_id in enumerate(world["streets"]):
            yield (workers[len(communities) + n], f"p-street-{s_id}", unusable, f"街道管理员{n + 1}", f"街道管理员{n + 1}", True)
        for n in range(len(residents)):
            yield (residents[n], f"p-resident-{residents[n]}", unusable, f"居民{n + 1}", f"居民{n + 1}", True)
    load.copy(User, ("id", "username", "password", "first_name", "display_name", "is_active"), users(), label="people")
    assignments = [(workers[n], Role.COMMUNITY_WORKER, c_id) for n, (c_id, _s, _d) in enumerate(communities)]
    assignments += [(workers[len(communities) + n], Role.STREET_ADMIN, s_id) for n, s_id in enumerate(world["streets"])]
    load.copy(RoleAssignment, ("user_id", "role", "division_id"), iter(assignments), label="roles")

    password = make_password(DEMO_PASSWORD)
    city = world["city"]
    visitors = [("minzheng_sheng", "省级规模·民政局", Role.SUPERVISOR, city.pk),
                ("minzheng_sheng_qu", "省级规模·区民政局", Role.SUPERVISOR, world["districts"][0]),
                ("jiedao_sheng", "省级规模·街道", Role.STREET_ADMIN, world["streets"][0])]
    for username, name, role, division_id in visitors:
        user = User.objects.create(username=username, password=password, display_name=name, first_name=name)
        RoleAssignment.objects.create(user=user, role=role, division_id=division_id)
    charity = Organisation.objects.create(name="江海市慈善总会（省级规模）", kind=OrganisationKind.CHARITY, public_fundraising=True,
                                          home_division=city)
    operators = Organisation.objects.bulk_create([
        Organisation(name=f"{DISTRICT_WORDS[n % len(DISTRICT_WORDS)]}{PLACE_WORDS[n % len(PLACE_WORDS)]}社会工作服务中心（规模{n + 1}）",
                     kind=OrganisationKind.OPERATOR, operator_kind=OperatorKind.SOCIAL_WORK_AGENCY, home_division=city)
        for n in range(200)])
    world.update(workers=workers, residents=residents, charity=charity, operators=[o.pk for o in operators])
    counts["people"] = len(workers) + len(residents) + len(visitors)


def _register(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """Two sites of five rooms in every community and a centre in every street, with their functions."""
    from registry.models import Function, Room, Site

    every_day = {str(day): [["08:30", "21:30"]] for day in range(1, 8)}
    place_of_site, sites = {}, []
    site_ids = load.ids(Site, len(world["communities"]) * SITES_PER_COMMUNITY + len(world["streets"]))
    next_site = iter(site_ids)
    for c_id, _s, _d in world["communities"]:
        for k in range(SITES_PER_COMMUNITY):
            # About two communities in three meet the area standard (a centre of 800 m², 1,500 m² in all).
            area = Decimal(rng.choice([600, 800, 900, 1000, 1200] if k == 0 else [300, 500, 700, 900]))
            site_id = next(next_site)
            sites.append((site_id, c_id, f"P{c_id}-{k}", f"党群服务中心{'' if k == 0 else '分站'}", "party_mass_centre" if k == 0 else "service_station",
                          area, area * Decimal("0.6"), "state_admin", "street_owned", every_day, date(2018, 1, 1)))
            place_of_site[site_id] = c_id
    for s_id in world["streets"]:
        site_id = next(next_site)
        sites.append((site_id, s_id, f"P{s_id}-c", "街道党群服务中心", "party_mass_centre", Decimal(1500), Decimal(800),
                      "state_admin", "street_owned", every_day, date(2018, 1, 1)))
        place_of_site[site_id] = s_id
    load.copy(Site, ("id", "division_id", "code", "name", "kind", "floor_area", "ground_floor_area", "property_class",
                     "property_source", "opening_hours", "opened_on"),
              ((*row[:9], json.dumps(row[9]), row[10]) for row in sites), label="sites")

    functions = list(Function.objects.filter(city=world["city"], is_active=True).order_by("order").values_list("pk", "requirement"))
    required = [pk for pk, requirement in functions if requirement == "required"]
    optional = [pk for pk, requirement in functions if requirement != "required"]
    room_ids = load.ids(Room, len(sites) * ROOMS_PER_SITE)
    rooms, links, room_place = [], [], []
    names = ["多功能活动室", "会议室", "阅览室", "老年活动室", "儿童之家"]
    n = 0
    for site_id, *_rest in sites:
        # Most communities give every required function; about one in five misses one or two.
        missing = set(rng.sample(required, rng.choice([1, 2]))) if rng.random() < 0.2 else set()
        given = [pk for pk in required if pk not in missing] + rng.sample(optional, min(3, len(optional)))
        for j in range(ROOMS_PER_SITE):
            room_id = room_ids[n]
            n += 1
            rooms.append((room_id, site_id, names[j], Decimal(rng.choice([40, 60, 80, 120])), rng.choice([12, 20, 30, 60])))
            room_place.append((room_id, place_of_site[site_id]))
            for pk in given[j::ROOMS_PER_SITE]:
                links.append((room_id, pk))
    load.copy(Room, ("id", "site_id", "name", "area", "capacity"), iter(rooms), label="rooms")
    load.copy(Room.functions.through, ("room_id", "function_id"), iter(links), label="rooms' functions")
    world.update(room_place=room_place)
    counts.update(sites=len(sites), rooms=len(rooms))


def _bookings(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """A year of bookings of every room, and a month ahead: some communities busy, some rooms idle."""
    from scheduling.models import Booking

    rooms = world["room_place"]
    worker_of = {c_id: world["workers"][n] for n, (c_id, _s, _d) in enumerate(world["communities"])}
    for n, s_id in enumerate(world["streets"]):
        worker_of[s_id] = world["workers"][len(world["communities"]) + n]
    busyness = {c_id: rng.choice([0.2, 0.6, 1.0, 1.0, 1.4, 1.8]) for c_id in worker_of}
    weights = [busyness[place] for _room, place in rooms]
    slots = (DAYS_BACK + DAYS_AHEAD) * len(SLOTS)
    share = world["size"].bookings_per_room * len(rooms) / sum(weights)
    # Each room's bookings are spread over the year's slots (morning, afternoon, evening of each day) from
    # a starting point of its own: distinct slots, so two bookings of a room never overlap.
    plan = [(room_id, worker_of[place], min(slots, max(0, round(weight * share + rng.uniform(-2, 2)))), rng.random())
            for (room_id, place), weight in zip(rooms, weights, strict=True)]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE province_rooms (room_id bigint, booker bigint, wanted int, jitter float8)")
    with connection.connection.cursor() as raw, raw.copy("COPY province_rooms FROM STDIN") as copying:
        for row in plan:
            copying.write_row(row)
    first = timezone.localdate() - timedelta(days=DAYS_BACK)
    hours = [f"{hour:02d}:{minute:02d}" for hour, minute in SLOTS]
    titles = ["居民议事会", "党员学习", "书法班", "合唱排练", "健康讲座", "亲子阅读", "志愿者培训", "老年舞蹈"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [rng.random() * 2 - 1])
        cursor.execute(f"""
            INSERT INTO "{Booking._meta.db_table}" (room_id, title, kind, starts_at, ends_at, blocked_until, attendees, status,
                booker_id, purpose, decision_note, cancel_reason, no_show, origin, created_at, checked_in_at, checked_in_by_id,
                cancelled_at)
            SELECT r.room_id, (%(titles)s::text[])[1 + s.slot %% 8], 'meeting', t.starts, t.starts + interval '2 hours',
                   t.starts + interval '2 hours', 12, t.status, r.booker, '', '', '', t.status = 'released', '',
                   t.starts - interval '3 days',
                   CASE WHEN t.status = 'checked_in' THEN t.starts + interval '5 minutes' END,
                   CASE WHEN t.status = 'checked_in' THEN r.booker END,
                   CASE WHEN t.status = 'cancelled' THEN t.starts - interval '1 day' END
            FROM province_rooms r
            CROSS JOIN LATERAL generate_series(0, r.wanted - 1) AS k
            CROSS JOIN LATERAL (SELECT floor((k + r.jitter) * %(slots)s / r.wanted)::int AS slot) AS s
            CROSS JOIN LATERAL (SELECT ((%(first)s::date + s.slot / 3) + (%(hours)s::time[])[1 + s.slot %% 3])
                                       AT TIME ZONE %(zone)s AS starts, random() AS draw) AS d
            CROSS JOIN LATERAL (SELECT d.starts, CASE
                WHEN d.starts + interval '2 hours' > now() THEN 'confirmed'
                WHEN d.draw < 0.72 THEN 'checked_in' WHEN d.draw < 0.82 THEN 'released'
                WHEN d.draw < 0.9 THEN 'cancelled' ELSE 'confirmed' END AS status) AS t""",
                       {"titles": titles, "slots": slots, "first": first, "hours": hours, "zone": settings.TIME_ZONE})
        counts["bookings"] = cursor.rowcount
        cursor.execute("DROP TABLE province_rooms")
    load.say(f"bookings: {counts['bookings']:,} rows in {time.perf_counter() - started:.0f} s")


def _funds(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """Community funds at the city's charity in seven communities of ten, with a year of income in the ledger."""
    from funds.models import DonorKind, Fund, Income, IncomeKind
    from ledger.models import Account, AccountKind, Leg, MonthTotal, Transaction

    today = timezone.localdate()
    with_fund = [c for c in world["communities"] if rng.random() < FUND_SHARE]
    accounts = load.ids(Account, 2 * len(with_fund))
    fund_ids = load.ids(Fund, len(with_fund))
    code_of = dict(_codes(world))

    def account_rows():
        for n, (c_id, _s, _d) in enumerate(with_fund):
            code = code_of[c_id]
            yield (accounts[2 * n], f"fund:{code}", f"社区基金{code}", AccountKind.FUND, c_id, world["charity"].pk, False)
            yield (accounts[2 * n + 1], f"external:donors:{code}", f"社区基金{code} · 捐赠人及缴款方", AccountKind.EXTERNAL, c_id,
                   None, True)
    load.copy(Account, ("id", "code", "name", "kind", "division_id", "organisation_id", "allow_negative"), account_rows(),
              label="ledger accounts")
    load.copy(Fund, ("id", "division_id", "host_id", "account_id", "name", "founded_on", "led_by", "founding_document",
                     "purpose", "rules"),
              ((fund_ids[n], c_id, world["charity"].pk, accounts[2 * n], f"社区发展基金{code_of[c_id]}",
                today - timedelta(days=rng.randint(400, 1500)), "社区党组织", f"基金设立{n + 1}号", "社区公益", "基金章程")
               for n, (c_id, _s, _d) in enumerate(with_fund)), label="funds")
    kinds = [IncomeKind.PUBLIC_DONATION] * 5 + [IncomeKind.MARKET, IncomeKind.MICRO_BUSINESS, IncomeKind.OPERATOR_SHARE]
    total = len(with_fund) * INCOMES_PER_FUND
    transactions = load.ids(Transaction, total)
    plan = []  # (transaction, fund index, kind, amount, day)
    for n in range(len(with_fund)):
        for _ in range(INCOMES_PER_FUND):
            plan.append((n, rng.choice(kinds), Decimal(rng.randint(50, 20000)), today - timedelta(days=rng.randint(0, DAYS_BACK))))
    load.copy(Transaction, ("id", "kind", "memo", "source_document", "occurred_on", "actor_name", "division_id"),
              ((transactions[i], kind, "捐赠人", f"R{transactions[i]}", day, "基金管理员", with_fund[n][0])
               for i, (n, kind, _amount, day) in enumerate(plan)), label="ledger transactions")
    load.copy(Leg, ("transaction_id", "account_id", "amount"),
              (leg for i, (n, _kind, amount, _day) in enumerate(plan)
               for leg in ((transactions[i], accounts[2 * n + 1], -amount), (transactions[i], accounts[2 * n], amount))),
              label="ledger legs")
    load.copy(Income, ("fund_id", "kind", "donor_name", "donor_kind", "purpose", "amount", "received_on", "receipt_no",
                       "transaction_id"),
              ((fund_ids[n], kind, "爱心人士", DonorKind.INDIVIDUAL, "", amount, day,
                f"R{transactions[i]}" if kind == IncomeKind.PUBLIC_DONATION else "", transactions[i])
               for i, (n, kind, amount, day) in enumerate(plan)), label="income")
    # The ledger's kept figures, as ``ledger.services._post`` keeps them: balances and monthly totals by kind.
    first, last = accounts[0], accounts[-1]
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO "{MonthTotal._meta.db_table}" (account_id, kind, month, amount)
            SELECT l.account_id, t.kind, date_trunc('month', t.occurred_on)::date, sum(l.amount)
            FROM "{Leg._meta.db_table}" l JOIN "{Transaction._meta.db_table}" t ON t.id = l.transaction_id
            WHERE l.account_id BETWEEN %s AND %s GROUP BY 1, 2, 3""", [first, last])
        cursor.execute(f"""
            UPDATE "{Account._meta.db_table}" a SET balance = s.total
            FROM (SELECT account_id, sum(amount) AS total FROM "{Leg._meta.db_table}" WHERE account_id BETWEEN %s AND %s
                  GROUP BY 1) s WHERE a.id = s.account_id""", [first, last])
    counts.update(funds=len(with_fund), transactions=total, legs=2 * total)


def _codes(world: dict) -> Iterable[tuple[int, str]]:
    from org.models import Division

    return Division.objects.filter(path__startswith=world["city"].path).values_list("pk", "code").iterator(chunk_size=20000)


def _operations(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """Operators admitted by every district, agreements in three communities of ten, and the breaches found on some."""
    from operations.models import Admission, Agreement, Finding

    today = timezone.localdate()
    admission_of = {}
    admissions = load.ids(Admission, len(world["districts"]) * 4)
    rows = []
    for n, d_id in enumerate(world["districts"]):
        for k in range(4):
            operator = world["operators"][(n * 4 + k) % len(world["operators"])]
            pk = admissions[n * 4 + k]
            admission_of[(d_id, k)] = (pk, operator)
            rows.append((pk, operator, d_id, "admitted", world["workers"][0], load.now - timedelta(days=500),
                         today - timedelta(days=500), today + timedelta(days=700)))
    load.copy(Admission, ("id", "operator_id", "division_id", "status", "applied_by_id", "applied_at", "valid_from",
                          "valid_until"), iter(rows), label="admissions")
    agreements = []
    for c_id, _s, d_id in world["communities"]:
        if rng.random() < AGREEMENT_SHARE:
            admission, operator = admission_of[(d_id, rng.randrange(4))]
            starts = today - timedelta(days=rng.randint(30, 700))
            agreements.append((c_id, operator, admission, starts))
    ids = load.ids(Agreement, len(agreements))
    load.copy(Agreement, ("id", "division_id", "operator_id", "admission_id", "number", "title", "mode", "status", "starts_on",
                          "ends_on", "operator_renovation_cost", "operator_running_cost", "basis_kind", "basis_number",
                          "revenue_distribution", "collective_resolution", "valuation_report_no", "authorised_by",
                          "authorisation_document", "drafted_by_id", "decision_note", "termination_reason", "note"),
              ((ids[n], c_id, operator, admission, f"JH-{ids[n]}", "党群服务中心合作运营协议", "co_operated", "active", starts,
                starts + timedelta(days=1095), Decimal(rng.randint(0, 200000)), Decimal(rng.randint(20000, 120000)),
                "street_decision", f"街道决定{ids[n]}", "", "", "", "", "", world["workers"][0], "", "", "")
               for n, (c_id, operator, admission, starts) in enumerate(agreements)), label="agreements")
    breaches = [(pk, load.now - timedelta(days=rng.randint(1, 300))) for pk in ids if rng.random() < 0.08]
    load.copy(Finding, ("agreement_id", "rule_key", "title", "source", "severity", "figure", "requirement", "message",
                        "found_at", "resolved_at"),
              ((pk, "operations.public_benefit_share", "公益服务时长不足", "report", "breach", "42%", "≥60%",
                "公益服务时长低于协议约定", found, found + timedelta(days=20) if rng.random() < 0.5 else None)
               for pk, found in breaches), label="findings")
    counts.update(agreements=len(agreements), breaches=len(breaches))


def _activities(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """A year of activities in every community, twenty residents registered for each, most of them checked in."""
    from neighbourhood.models import Activity, ActivitySession, Attendance, Registration

    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    communities = world["communities"]
    total = len(communities) * ACTIVITIES_PER_COMMUNITY
    activities = load.ids(Activity, total)
    sessions = load.ids(ActivitySession, total)
    registrations = load.ids(Registration, total * REGISTRATIONS_PER_ACTIVITY)
    categories = ["elderly_child", "living_environment", "food_recreation", "medical_wellness", "employment_business"]
    titles = ["健康义诊", "长者读书会", "亲子手工", "垃圾分类宣讲", "社区电影夜", "就业技能培训", "合唱团排练", "防诈骗讲座"]
    plan = []  # (activity, community index, starts)
    for n in range(len(communities)):
        for k in range(ACTIVITIES_PER_COMMUNITY):
            day = today - timedelta(days=rng.randint(-DAYS_AHEAD, DAYS_BACK - 30))
            plan.append((activities[n * ACTIVITIES_PER_COMMUNITY + k], n, datetime(day.year, day.month, day.day, 15, 0, tzinfo=tz)))
    load.copy(Activity, ("id", "community_id", "title", "description", "category", "capacity", "place", "registration_closes_at",
                         "registered_places", "attendance_code", "starts_at", "ends_at", "created_by_id", "cancel_reason"),
              ((pk, communities[n][0], titles[pk % len(titles)], "社区活动", categories[pk % len(categories)], 30, "党群服务中心",
                starts - timedelta(hours=2), REGISTRATIONS_PER_ACTIVITY, f"{pk % 100000000:08d}", starts,
                starts + timedelta(hours=2), world["workers"][n], "")
               for pk, n, starts in plan), label="activities")
    load.copy(ActivitySession, ("id", "activity_id", "number", "starts_at", "ends_at"),
              ((sessions[i], pk, 1, starts, starts + timedelta(hours=2)) for i, (pk, _n, starts) in enumerate(plan)),
              label="activity sessions")
    # Twenty of the community's thirty residents registered for each activity (a stride prime to thirty picks
    # twenty different ones), and seven in ten of them checked in at the sessions already held.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO "{Registration._meta.db_table}" (id, activity_id, user_id, places, status, created_at, ticket)
            SELECT %(r0)s + (a.id - %(a0)s) * %(per)s + k, a.id,
                   %(p0)s + ((a.id - %(a0)s) / %(activities)s) * %(residents)s + (k * 7 + a.id) %% %(residents)s,
                   1, 'registered', a.starts_at - interval '3 days',
                   'T' || lpad((%(r0)s + (a.id - %(a0)s) * %(per)s + k)::text, 12, '0')
            FROM "{Activity._meta.db_table}" a CROSS JOIN generate_series(0, %(per)s - 1) AS k
            WHERE a.id BETWEEN %(a0)s AND %(a1)s""",
                       {"r0": registrations[0], "a0": activities[0], "a1": activities[-1], "per": REGISTRATIONS_PER_ACTIVITY,
                        "p0": world["residents"][0], "activities": ACTIVITIES_PER_COMMUNITY, "residents": RESIDENTS_PER_COMMUNITY})
        counts["registrations"] = cursor.rowcount
        load.settle(Registration)
        load.say(f"registrations: {cursor.rowcount:,} rows in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        cursor.execute(f"""
            INSERT INTO "{Attendance._meta.db_table}" (session_id, registration_id, people, method, checked_in_at, checked_in_by_id)
            SELECT s.id, r.id, 1, 'qr', s.starts_at + floor(random() * 20) * interval '1 minute', a.created_by_id
            FROM "{Registration._meta.db_table}" r
            JOIN "{ActivitySession._meta.db_table}" s ON s.activity_id = r.activity_id
            JOIN "{Activity._meta.db_table}" a ON a.id = r.activity_id
            WHERE r.id BETWEEN %s AND %s AND s.ends_at < now() AND random() < 0.7""", [registrations[0], registrations[-1]])
        counts["check-ins"] = cursor.rowcount
        load.say(f"check-ins: {cursor.rowcount:,} rows in {time.perf_counter() - started:.0f} s")
    counts["activities"] = total


def _needs_and_feedback(load: Loader, rng: random.Random, world: dict, counts: dict) -> None:
    """Needs residents raised and feedback they sent over the year, most of them closed, some late, with their stars."""
    from neighbourhood.models import FeedbackRequest, Need, NeedKind

    kinds = list(NeedKind.objects.filter(is_active=True).values_list("pk", "category"))
    if not kinds:
        kinds = [(NeedKind.objects.create(code="p-elderly-meals", category="elderly_child", name="老年助餐", keywords="助餐").pk,
                  "elderly_child")]
    today_start = load.now
    needs, feedback = [], []
    for n, (c_id, s_id, _d) in enumerate(world["communities"]):
        worker = world["workers"][n]
        for _ in range(NEEDS_PER_COMMUNITY):
            created = today_start - timedelta(days=rng.randint(1, DAYS_BACK - 30))
            kind, category = rng.choice(kinds)
            status = rng.choice(["met", "met", "met", "declined", "open", "planned"])
            decided = created + timedelta(days=rng.randint(3, 30)) if status in ("met", "declined") else None
            if decided and decided > today_start:
                decided = today_start
            needs.append((c_id, category, kind, "居民需求", "", "free", "", worker, status, "",
                          worker if decided else None, decided, created))
        for _ in range(FEEDBACK_PER_COMMUNITY):
            created = today_start - timedelta(days=rng.randint(1, DAYS_BACK - 30))
            due = created + timedelta(days=7)
            closed = created + timedelta(days=rng.randint(1, 12)) if rng.random() < 0.85 else None
            if closed and closed > today_start:
                closed = None
            rated = closed + timedelta(days=1) if closed and rng.random() < 0.6 and closed + timedelta(days=1) < today_start else None
            feedback.append((c_id, s_id, "environment", "环境卫生", "楼道堆物", "", "", world["residents"][n * RESIDENTS_PER_COMMUNITY],
                             "", "", "resolved" if closed else "accepted", "", due, created, created, closed,
                             rng.choice([3, 4, 5, 5]) if rated else None, rated, ""))
    load.copy(Need, ("community_id", "category", "kind_id", "title", "description", "preferred_tier", "on_behalf_of",
                     "recorded_by_id", "status", "status_note", "decided_by_id", "decided_at", "created_at"), iter(needs),
              label="needs")
    load.copy(FeedbackRequest, ("community_id", "routed_to_id", "category", "category_name", "description", "photo", "address",
                                "submitted_by_id", "contact_name", "contact_phone", "status", "public_note", "due_at",
                                "created_at", "updated_at", "closed_at", "satisfaction", "rated_at", "satisfaction_comment"),
              iter(feedback), label="feedback")
    counts.update(needs=len(needs), feedback=len(feedback))


def _snapshots(city, say: Callable[[str], None]) -> int:
    """Every month of the last year taken (the closed ones closed), as the clock takes them."""
    from core.measures import Month
    from supervision.services import snapshot_take

    running = Month.of(timezone.localdate())
    months = [running]
    for _ in range(11):
        months.append(months[-1].previous())
    rows = 0
    for month in reversed(months):
        started = time.perf_counter()
        rows += snapshot_take(city=city, month=month, actor="demo")
        say(f"  {month}: taken in {time.perf_counter() - started:.1f} s")
    return rows

