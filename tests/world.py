"""A small symmetric world for tests: every node has a sibling, every role has a user.

    甲市 ─ 甲市一区 ─ 甲市一区一街 ─ 甲市一区一街一社 (+ grid 一格)
                                  └ 甲市一区一街二社
                     └ 甲市一区二街 ─ …
          └ 甲市二区 ─ …
    乙市 ─ … (the same again)

The users of ``World.users`` all hold their role in the 甲市一区一街一社 branch (the supervisor of
a city at 甲市, of a district at 甲市一区, and so on); ``sibling(node)`` is the node next to a
node, whose subtree is "another node's data" for a user at that node.
"""

from dataclasses import dataclass, field

from accounts import services as account_services
from accounts.models import Role, User
from org import services as org_services
from org.models import Division, OperatorKind, Organisation, OrganisationKind

ACTOR = "test-world"
PASSWORD = "correct-horse-battery-staple"
NUMERALS = "一二"
CITY_CODES = {"甲": "350100000000", "乙": "350200000000"}


@dataclass
class World:
    divisions: dict[str, Division] = field(default_factory=dict)  # by name
    users: dict[str, User] = field(default_factory=dict)  # by role, plus "outsider" variants
    organisations: dict[str, Organisation] = field(default_factory=dict)  # by name

    def node(self, name: str) -> Division:
        return self.divisions[name]

    def sibling(self, division: Division) -> Division:
        """The node beside ``division`` (二 for 一; 乙市 for 甲市)."""
        if division.level == "city":
            return self.divisions["乙市" if division.name == "甲市" else "甲市"]
        last = "一" if division.name[-2] == "二" else "二"
        if division.level == "grid":
            return self.divisions[division.parent.name.replace("一社", "二社") + "一格"]
        return self.divisions[division.name[:-2] + last + division.name[-1]]

    def names_below(self, division: Division) -> list[str]:
        """Names of the division and everything below it: none may show up for its neighbours."""
        return [name for name, d in self.divisions.items() if d.path.startswith(division.path)]


def _code(parent: Division | None, level: str, index: int, city: str) -> str:
    if level == "city":
        return CITY_CODES[city]
    if level == "district":
        return f"{parent.code[:4]}{index + 1:02d}000000"
    if level == "street":
        return f"{parent.code[:6]}{index + 1:03d}000"
    if level == "community":
        return f"{parent.code[:9]}{index + 1:03d}"
    return f"{parent.code}-{index + 1:02d}"


def build_world() -> World:
    world = World()
    for city_char in "甲乙":
        city = org_services.division_create(actor=ACTOR, parent=None, code=_code(None, "city", 0, city_char), name=f"{city_char}市")
        world.divisions[city.name] = city
        for d in range(2):
            district = org_services.division_create(
                actor=ACTOR, parent=city, code=_code(city, "district", d, city_char), name=f"{city.name}{NUMERALS[d]}区"
            )
            world.divisions[district.name] = district
            for s in range(2):
                street = org_services.division_create(
                    actor=ACTOR, parent=district, code=_code(district, "street", s, city_char),
                    name=f"{district.name}{NUMERALS[s]}街",
                )
                world.divisions[street.name] = street
                for c in range(2):
                    community = org_services.division_create(
                        actor=ACTOR, parent=street, code=_code(street, "community", c, city_char),
                        name=f"{street.name}{NUMERALS[c]}社", population=1000 * (c + 1), households=400 * (c + 1),
                        community_type="old_estate" if c == 0 else "new_estate",
                        latitude=24.5 + c / 100, longitude=118.1 + s / 100,
                    )
                    world.divisions[community.name] = community
                    grid = org_services.division_create(
                        actor=ACTOR, parent=community, code=_code(community, "grid", 0, city_char),
                        name=f"{community.name}一格", population=500, households=200,
                    )
                    world.divisions[grid.name] = grid
                    operator = org_services.organisation_create(
                        actor=ACTOR, name=f"{community.name}服务中心", kind=OrganisationKind.OPERATOR,
                        operator_kind=OperatorKind.SOCIAL_WORK_AGENCY, home_division=street, served_divisions=[community],
                    )
                    world.organisations[operator.name] = operator
            charity = org_services.organisation_create(
                actor=ACTOR, name=f"{district.name}慈善会", kind=OrganisationKind.CHARITY, public_fundraising=True,
                home_division=district, served_divisions=[district],
            )
            world.organisations[charity.name] = charity

    home = world.divisions
    # A unit in the area (驻区单位) that opens its resources to the residents of 一社.
    unit = org_services.organisation_create(
        actor=ACTOR, name="甲市一区一街一社实验小学", kind=OrganisationKind.UNIT, home_division=home["甲市一区一街"],
        served_divisions=[home["甲市一区一街一社"]])
    world.organisations[unit.name] = unit
    placements = {
        Role.SUPERVISOR: {"division": home["甲市一区"]},
        Role.STREET_ADMIN: {"division": home["甲市一区一街"]},
        Role.COMMUNITY_WORKER: {"division": home["甲市一区一街一社"]},
        Role.FUND_COMMITTEE: {"division": home["甲市一区一街一社"]},
        Role.RESIDENT: {"division": home["甲市一区一街一社"]},
        Role.OPERATOR_STAFF: {"organisation": world.organisations["甲市一区一街一社服务中心"]},
        Role.CHARITY_STAFF: {"organisation": world.organisations["甲市一区慈善会"]},
        Role.UNIT_STAFF: {"organisation": unit},
    }
    for role, place in placements.items():
        world.users[role] = make_user(f"{role}_a", role=role, **place)
    world.users["city_supervisor"] = make_user("city_supervisor_a", role=Role.SUPERVISOR, division=home["甲市"])
    world.users["resident_b"] = make_user("resident_b", role=Role.RESIDENT, division=home["甲市一区一街二社"])
    return world


def make_user(username: str, *, role: str | None = None, division=None, organisation=None, phone=None) -> User:
    user = account_services.user_create(
        actor=ACTOR, username=username, password=PASSWORD, display_name=username, phone=phone, check_password=False
    )
    if role:
        account_services.role_assign(actor=ACTOR, user=user, role=role, division=division, organisation=organisation)
    return user


# Where each role of ``World.users`` sits, for finding its neighbour.
def home_node(world: World, role: str) -> Division:
    user = world.users[role]
    assignment = user.role_assignments.select_related("division", "organisation").first()
    if assignment.division_id:
        return assignment.division
    # Organisation roles: the node their organisation serves.
    return assignment.organisation.served_divisions.first()
