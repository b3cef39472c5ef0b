"""The demo city's administrative tree and organisations.

泉溪市 is made up, but built the way a real prefecture-level city is: six districts and a county
with their own character (an old core of historic blocks, old estates south of it, an
industrial north bank, a new port district, a district of villages-in-city, and a rural
county of towns and villages), about forty streets and towns, about four hundred communities
and villages with codes in the national scheme, populations that fit their type, grids, and
the operators, charities and departments that work there. The same seed gives the same city.
"""

from decimal import Decimal

from demo.context import ACTOR, DemoContext

from . import services
from .models import CommunityType, Division, OperatorKind, OrganisationKind

CITY = ("359900000000", "泉溪市")

# (code, name, community types with weights, street names, is county)
DISTRICTS = [
    ("359902000000", "鹭湖区", {"historic": 3, "old_estate": 5, "new_estate": 2},
     ["中山", "鼓楼", "开元", "文昌", "滨海", "梧村", "筼筜"], False),
    ("359903000000", "城南区", {"old_estate": 5, "new_estate": 3, "urban_village": 2},
     ["莲前", "嘉莲", "湖光", "金山", "后埔", "松柏"], False),
    ("359905000000", "江北区", {"industrial": 4, "old_estate": 2, "new_estate": 2, "urban_village": 2},
     ["江头", "禾山", "殿前", "高殿", "东渡", "海天"], False),
    ("359906000000", "新港区", {"new_estate": 7, "urban_village": 1, "industrial": 2},
     ["五缘", "钟宅", "观音山", "湖明", "前埔", "岭兜"], False),
    ("359911000000", "东山区", {"urban_village": 4, "new_estate": 3, "old_estate": 3},
     ["园山", "洪文", "黄厝", "吕厝", "蔡塘", "枋湖", "仙岳"], False),
    ("359921000000", "云溪县", {"village": 7, "new_estate": 1, "old_estate": 2},
     ["云溪", "石门", "桐林", "汤岸", "龙潭", "凤山", "溪口", "马坪"], True),
]

COMMUNITY_FIRST = "金银安和康福民新东西南北中华光明文兴富乐平顺春龙凤湖江海松柏桂兰梅竹荷丽祥瑞鹤"
COMMUNITY_SECOND = "安和平华兴园苑林湖港泰福盛丰源禧祥庭岸景阳坊里桥湾亭塘洲"
VILLAGE_FIRST = "上下前后东西南北大小新旧高"
VILLAGE_SECOND = "坑厝林洋头埔田岭溪山塘垵店洲湖"

# Residents per community by type: (least, most) [Quanzhou distinguishes these types].
POPULATION = {
    "historic": (3000, 8000),
    "old_estate": (5000, 12000),
    "new_estate": (6000, 20000),
    "industrial": (2000, 8000),
    "urban_village": (8000, 24000),
    "village": (1000, 4500),
}

CITY_BOX = (Decimal("117.90"), Decimal("24.35"), Decimal("118.40"), Decimal("24.75"))  # west, south, east, north

GRID_NUMERALS = "一二三四五六七八九十"

OPERATOR_NAMES = {
    OperatorKind.SOCIAL_WORK_AGENCY: (["开心", "同行", "启明", "和美", "暖阳", "乐群", "携手", "春晖", "心桥", "邻聚"], "社会工作服务中心"),
    OperatorKind.ENTERPRISE: (["中康颐养", "齐学汇教育", "淄江家政", "乐活托育", "安心助餐", "悦读书吧", "康桥医养", "小禾托管", "便民维修", "邻家咖啡"], "有限公司"),
    OperatorKind.STATE_OWNED: (["城投邻里", "国资社区服务", "城建物业"], "运营有限公司"),
    OperatorKind.SOCIAL_ORGANISATION: (["夕阳红志愿者", "青少年成长", "巾帼家政", "银龄互助"], "协会"),
}


def _split(box, n: int) -> list[tuple]:
    """Tile a box into n cells, row by row, the last row's cells widened to fill it."""
    west, south, east, north = box
    cols = max(1, round((n * float(east - west) / float(north - south)) ** 0.5))
    cols = min(cols, n)
    rows = -(-n // cols)
    cells = []
    height = (north - south) / rows
    for r in range(rows):
        in_row = cols if r < rows - 1 else n - cols * (rows - 1)
        width = (east - west) / in_row
        top = north - height * r
        for c in range(in_row):
            left = west + width * c
            cells.append((left, top - height, left + width, top))
    return cells


def _polygon(box) -> dict:
    west, south, east, north = (float(round(v, 6)) for v in box)
    return {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]}


def _centre(box) -> tuple[Decimal, Decimal]:
    west, south, east, north = box
    return ((south + north) / 2).quantize(Decimal("0.000001")), ((west + east) / 2).quantize(Decimal("0.000001"))


def _weighted(rng, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _create(parent, code: str, name: str, box, **figures) -> Division:
    latitude, longitude = _centre(box)
    return services.division_create(
        actor=ACTOR, parent=parent, code=code, name=name, latitude=latitude, longitude=longitude,
        boundary=_polygon(box), **figures,
    )


def build_tree(ctx: DemoContext) -> None:
    rng = ctx.rng
    ctx.city = _create(None, CITY[0], CITY[1], CITY_BOX)
    used_names: set[str] = set()
    district_boxes = _split(CITY_BOX, len(DISTRICTS))
    total_streets = sum(len(d[3]) for d in DISTRICTS)
    for (code, name, types, street_names, county), district_box in zip(DISTRICTS, district_boxes, strict=True):
        district = _create(ctx.city, code, name, district_box)
        ctx.districts.append(district)
        for index, (street_name, street_box) in enumerate(zip(street_names, _split(district_box, len(street_names)), strict=True)):
            street_code = f"{code[:6]}{(100 + index) if county else (index + 1):03d}000"
            street = _create(district, street_code, f"{street_name}{'镇' if county else '街道'}", street_box)
            ctx.streets.append(street)
            ctx.progress("streets", len(ctx.streets), total_streets)
            count = rng.randint(8, 12)
            for k, community_box in enumerate(_split(street_box, count)):
                kind = _weighted(rng, types)
                village = kind == CommunityType.VILLAGE
                while True:
                    first, second = (VILLAGE_FIRST, VILLAGE_SECOND) if village else (COMMUNITY_FIRST, COMMUNITY_SECOND)
                    base = rng.choice(first) + rng.choice(second)
                    if base[0] != base[1] and base not in used_names:
                        used_names.add(base)
                        break
                low, high = POPULATION[kind]
                population = rng.randint(low, high) // 10 * 10
                households = int(population / rng.uniform(2.4, 3.0))
                community_code = f"{street_code[:9]}{(200 + k) if village else (k + 1):03d}"
                community = _create(
                    street, community_code, f"{base}{'村' if village else '社区'}", community_box,
                    population=population, households=households, community_type=kind,
                )
                ctx.communities.append(community)
    ctx.say(f"tree: 1 city, {len(ctx.districts)} districts, {len(ctx.streets)} streets, {len(ctx.communities)} communities")
    _build_grids(ctx)
    _sum_upwards(ctx)


def _build_grids(ctx: DemoContext) -> None:
    """Each community is cut into grids (网格) of roughly 300 households."""
    grids = 0
    for community in ctx.communities:
        count = max(2, min(10, community.households // 300))
        grids += len(services.grids_create(actor=ACTOR, community=community, names=[f"第{GRID_NUMERALS[i]}网格" for i in range(count)],
                                           population=community.population, households=community.households))
    ctx.say(f"grids: {grids}")


def _sum_upwards(ctx: DemoContext) -> None:
    """Streets, districts and the city carry the totals of their communities, as statistics do."""
    for level_nodes in (ctx.streets, ctx.districts, [ctx.city]):
        for node in level_nodes:
            communities = Division.objects.subtree(node).communities()
            people = sum(c.population for c in communities)
            homes = sum(c.households for c in communities)
            services.division_update(actor=ACTOR, division=node, data={"population": people, "households": homes})


def _credit_code(rng, authority: str, division_code: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(rng.choice(alphabet) for _ in range(7))
    prefix = "MJ" if authority.startswith("5") else "MA"
    return services.credit_code_with_check(f"{authority}{division_code[:6]}{prefix}{body}")


def build_organisations(ctx: DemoContext) -> None:
    rng = ctx.rng
    made = {"operator": [], "charity": [], "department": []}

    def create(name, kind, home, served, **extra):
        organisation = services.organisation_create(
            actor=ACTOR, name=name, kind=kind, home_division=home, served_divisions=served,
            contact_name=rng.choice("王李张刘陈杨黄赵吴周") + rng.choice(["老师", "经理", "主任", "女士", "先生"]),
            contact_phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}", **extra,
        )
        made[kind].append(organisation)
        return organisation

    create("泉溪市慈善总会", OrganisationKind.CHARITY, ctx.city, [ctx.city], public_fundraising=True,
           credit_code=_credit_code(rng, "53", ctx.city.code), address="泉溪市鹭湖区中山路88号")
    create("泉溪市社区发展基金会", OrganisationKind.CHARITY, ctx.city, [ctx.city], public_fundraising=True,
           credit_code=_credit_code(rng, "53", ctx.city.code))
    create("泉溪市民政局", OrganisationKind.DEPARTMENT, ctx.city, [ctx.city])
    for district in ctx.districts:
        create(f"{district.name}慈善会", OrganisationKind.CHARITY, district, [district], public_fundraising=True,
               credit_code=_credit_code(rng, "53", district.code))
        for department in ("民政局", "卫生健康局", "司法局", "文化和旅游局", "人力资源和社会保障局"):
            create(f"{district.name}{department}", OrganisationKind.DEPARTMENT, district, [district])
        create(f"{district.name}妇女联合会", OrganisationKind.DEPARTMENT, district, [district])

    operator_count = 0
    for street in ctx.streets:
        for _ in range(rng.randint(1, 3)):
            kind = rng.choices(list(OPERATOR_NAMES), weights=[4, 5, 1, 2])[0]
            prefixes, suffix = OPERATOR_NAMES[kind]
            district = street.parent
            name = f"泉溪市{street.name.removesuffix('街道').removesuffix('镇')}{rng.choice(prefixes)}{suffix}"
            if any(o.name == name for o in made["operator"]):
                continue
            communities = [c for c in ctx.communities if c.parent_id == street.pk]
            served = rng.sample(communities, k=min(len(communities), rng.randint(1, 4)))
            if street == ctx.streets[0] and ctx.communities[0] not in served:
                served.append(ctx.communities[0])  # the demo operator account works in the demo community
            authority = "91" if kind in (OperatorKind.ENTERPRISE, OperatorKind.STATE_OWNED) else "52"
            create(name, OrganisationKind.OPERATOR, district, served, operator_kind=kind,
                   credit_code=_credit_code(rng, authority, district.code),
                   address=f"{district.name}{street.name}{rng.randint(1, 300)}号")
            operator_count += 1
    ctx.organisations = made
    ctx.say(f"organisations: {operator_count} operators, {len(made['charity'])} charities, {len(made['department'])} departments")
