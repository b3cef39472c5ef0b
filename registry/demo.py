"""The demo city's register of community service rooms.

Every community gets a party-mass service centre and, depending on its type, an elderly
canteen, a childcare point, a service station, a health station; old estates lean to elderly
care, new estates to childcare. About half meet the area standard, some fall short of the
centre's 800 m², some lack a street entrance or required functions, and a fair number of
rooms are leased or borrowed — a few of them ending within the next three months. Most
streets have a neighbourhood centre. The register goes in through the same bulk import the
Excel page uses, then the street of the demo accounts files it twice (with a change between),
and a handful of new residential projects stand at every stage of their sign-off.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from demo.context import ACTOR, DemoContext, demo_user
from excel.registers import one_workbook
from org.models import CommunityType, DivisionLevel
from rulepack.services import rulepack_ensure

from . import services
from .hours import parse_hours
from .models import (
    ProvisionMethod,
    Room,
    RoomSuggestion,
    Sign,
    SignOffParty,
    Site,
    SiteKind,
    SuggestionKind,
    SuggestionStatus,
)
from .registers import import_costs, import_rooms, import_sites

WEEKDAY_HOURS = ["周一至周五 08:30-12:00、14:00-17:30；周六 09:00-12:00", "周一至周日 08:30-20:30",
                 "周一至周五 08:30-17:30", "周一至周六 08:00-21:00；周日 09:00-17:00"]

# (room name, share of the site's floor area, capacity per m², use, functions, equipment)
CENTRE_ROOMS = [
    ("党群服务大厅", 0.16, 0.3, "service", ["party_hall", "service_window"], ["叫号机", "自助终端"]),
    ("党员活动室", 0.08, 0.6, "service", ["party_members_room"], ["投影仪"]),
    ("居民会客厅", 0.10, 0.5, "service", ["residents_lounge"], ["茶水台"]),
    ("调解室", 0.04, 0.3, "service", ["mediation_room"], []),
    ("图书阅览室", 0.07, 0.4, "service", ["reading_room", "study_room"], ["电子借阅机"]),
    ("多功能活动室", 0.12, 0.8, "service", ["sports_room"], ["投影仪", "音响", "钢琴"]),
    ("“两代表一委员”工作室", 0.04, 0.4, "service", ["deputies_room", "veteran_party_room"], []),
    ("社工站", 0.05, 0.3, "service", ["social_work_station"], ["电脑"]),
    ("办公室", 0.10, 0.2, "office", ["office"], ["电脑", "打印机"]),
    ("会议室", 0.06, 0.8, "office", [], ["投影仪", "视频会议"]),
]
KIND_ROOMS = {
    SiteKind.ELDERLY_CANTEEN: [("长者食堂", 0.6, 0.8, "service", ["elderly_canteen"], ["厨房设备"]),
                               ("老年活动室", 0.25, 0.5, "service", ["elderly_activity"], ["棋牌桌"])],
    SiteKind.ELDERLY_CARE: [("日间照料室", 0.45, 0.3, "service", ["elderly_care", "home_care_station"], ["护理床"]),
                            ("康复理疗室", 0.3, 0.2, "service", ["health_self_test"], ["康复器械"])],
    SiteKind.CHILDCARE: [("托育室", 0.5, 0.3, "service", ["childcare"], ["儿童床"]),
                         ("亲子活动区", 0.3, 0.5, "service", ["parent_child", "after_school"], ["绘本架"])],
    SiteKind.HEALTH_STATION: [("智慧健康站", 0.7, 0.2, "service", ["health_station", "family_doctor", "health_self_test"], ["健康一体机"])],
    SiteKind.WOMEN_CHILDREN: [("妇女儿童驿站", 0.8, 0.4, "service", ["women_children_station"], ["母婴室设备"])],
    SiteKind.SERVICE_STATION: [("便民服务站", 0.5, 0.3, "service", ["service_window"], ["自助终端"]),
                               ("生鲜便利点", 0.3, 0.3, "service", ["fresh_store"], [])],
    SiteKind.NEIGHBOURHOOD_CENTRE: [("综合服务大厅", 0.15, 0.3, "service", ["party_hall", "service_window"], ["自助终端"]),
                                    ("长者食堂", 0.15, 0.8, "service", ["elderly_canteen"], ["厨房设备"]),
                                    ("托育中心", 0.15, 0.3, "service", ["childcare"], []),
                                    ("智慧健康站", 0.08, 0.2, "service", ["health_station", "family_doctor"], ["健康一体机"]),
                                    ("文体活动中心", 0.2, 0.8, "service", ["sports_room", "reading_room"], ["音响", "投影仪"]),
                                    ("生鲜超市", 0.12, 0.3, "service", ["fresh_store"], [])],
}
# Extra sites by community type, with their chance.
EXTRA_SITES = {
    CommunityType.HISTORIC_BLOCK: [(SiteKind.ELDERLY_CANTEEN, 0.7), (SiteKind.HEALTH_STATION, 0.4), (SiteKind.SERVICE_STATION, 0.5)],
    CommunityType.OLD_ESTATE: [(SiteKind.ELDERLY_CANTEEN, 0.8), (SiteKind.ELDERLY_CARE, 0.5), (SiteKind.HEALTH_STATION, 0.4)],
    CommunityType.INDUSTRIAL: [(SiteKind.SERVICE_STATION, 0.7), (SiteKind.CHILDCARE, 0.3), (SiteKind.HEALTH_STATION, 0.3)],
    CommunityType.NEW_ESTATE: [(SiteKind.CHILDCARE, 0.8), (SiteKind.WOMEN_CHILDREN, 0.5), (SiteKind.HEALTH_STATION, 0.5)],
    CommunityType.URBAN_VILLAGE: [(SiteKind.SERVICE_STATION, 0.6), (SiteKind.ELDERLY_CANTEEN, 0.4), (SiteKind.CHILDCARE, 0.4)],
    CommunityType.VILLAGE: [(SiteKind.ELDERLY_CANTEEN, 0.5), (SiteKind.HEALTH_STATION, 0.3)],
}
OWNERS = ["鹭江建设集团", "市城建置业公司", "区机关事务中心", "区教育局（学校）", "社区股份经济合作社", "某物业服务公司"]


def _point(rng, division) -> tuple[float, float]:
    ring = division.boundary["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return round(rng.uniform(min(ys), max(ys)), 6), round(rng.uniform(min(xs), max(xs)), 6)


def _property(rng, community, today: date) -> dict:
    village = community.community_type == CommunityType.VILLAGE
    mixed_area = community.community_type == CommunityType.URBAN_VILLAGE
    source = rng.choices(["street_owned", "leased", "borrowed", "mixed"], weights=[21, 13, 11, 14])[0]  # Huli's 59 offices
    klass = "village_collective" if village else ("mixed" if mixed_area and rng.random() < 0.5 else "state_admin")
    if source == "mixed":
        klass = "mixed"
    data = {"property_class": klass, "property_source": source, "certificate_no": f"泉不动产权第{rng.randint(1000000, 9999999)}号"}
    if klass == "mixed":
        share = Decimal(rng.choice([30, 40, 50, 60, 70]))
        data.update(state_share=share, collective_share=Decimal(100) - share)
    if source in ("leased", "borrowed"):
        start = today - timedelta(days=rng.randint(200, 2500))
        # About one lease in eight ends within the warning period; a few have already ended.
        roll = rng.random()
        end = today + timedelta(days=rng.randint(5, 85)) if roll < 0.12 else (
            today - timedelta(days=rng.randint(5, 60)) if roll < 0.16 else today + timedelta(days=rng.randint(120, 1500)))
        data.update(owner_name=rng.choice(OWNERS), lease_start=start, lease_end=end,
                    annual_rent=Decimal(rng.randint(30, 400) * 1000) if source == "leased" else None)
    return data


def _site_row(rng, ctx_today, *, division, community, kind, area: Decimal, code: str, name: str, full: bool = False) -> dict:
    latitude, longitude = _point(rng, division)
    shares = [0.5, 0.6, 0.7, 1.0] if full else ([0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 1.0] if kind != SiteKind.PARTY_MASS_CENTRE else [0.35, 0.45, 0.5, 0.6, 0.7])
    ground_share = Decimal(str(rng.choice(shares)))
    return {
        "code": code, "division": division.code, "name": name, "kind": kind,
        "address": f"{division.parent.name if division.level == DivisionLevel.COMMUNITY else division.name}{division.name}{rng.randint(1, 300)}号",
        "latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude)),
        "floors": rng.randint(1, 4), "floor_area": area, "ground_floor_area": (area * ground_share).quantize(Decimal("0.01")),
        "independent_entrance": full or rng.random() < 0.85, "parking_spaces": rng.randint(0, 40),
        "square_area": Decimal(rng.choice([0, 0, 200, 400, 800])), "opening_hours": parse_hours(rng.choice(WEEKDAY_HOURS)),
        **_property(rng, community, ctx_today),
    }


def _rooms(rng, site: dict, templates, full: bool = False, office_heavy: bool = False) -> list[dict]:
    rooms = []
    for name, share, per_m2, use, functions, equipment in templates:
        if office_heavy:
            share = share * 3 if use == "office" else share * 0.5
        if not full and rng.random() < 0.12 and name not in ("党群服务大厅", "办公室"):
            continue  # not every centre has every room
        area = (site["floor_area"] * Decimal(str(share))).quantize(Decimal("0.01"))
        if area < 8:
            continue
        rooms.append({"site_code": site["code"], "name": name, "floor": 1 if rng.random() < 0.6 else rng.randint(1, site["floors"]),
                      "area": area, "capacity": int(float(area) * per_m2), "use": use,
                      "functions": [f for f in functions if full or rng.random() < 0.9], "equipment": equipment,
                      "opening_hours": {}})
    return rooms


def _numbered(rows: list[dict]):
    return ((number, row, []) for number, row in enumerate(rows, start=2))


def build_register(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    rulepack_ensure(city=ctx.city)
    admin = User.objects.get(username="admin")
    sites, rooms, costs = [], [], []
    for community in ctx.communities:
        # About a third of the communities meet every standard (with the full "一老一小" set);
        # the others fall short somewhere: area, the centre, the ground floor, an entrance, functions.
        full = rng.random() < 0.35 or community == ctx.communities[1]  # shequ2's community does, for monetisation
        compliant = full or rng.random() < 0.3
        centre_area = Decimal(rng.choice([520, 640, 760, 820, 900, 1000, 1100, 1200, 1400] if not compliant else [820, 900, 1000, 1100, 1200]))
        centre = _site_row(rng, today, division=community, community=community, kind=SiteKind.PARTY_MASS_CENTRE,
                           area=centre_area, code=f"{community.code}-S01", name=f"{community.name}党群服务中心", full=full)
        sites.append(centre)
        # Some centres are still mostly offices ("办公最小化" not yet achieved) [Huli, Haining].
        office_heavy = not full and rng.random() < 0.2
        rooms += _rooms(rng, centre, CENTRE_ROOMS, full=full, office_heavy=office_heavy)
        total, number = centre_area, 2
        extra = ([(k, 1.0) for k in (SiteKind.ELDERLY_CARE, SiteKind.ELDERLY_CANTEEN, SiteKind.CHILDCARE, SiteKind.HEALTH_STATION,
                                     SiteKind.WOMEN_CHILDREN)] if full else EXTRA_SITES[community.community_type])
        for kind, chance in extra:
            if rng.random() > chance:
                continue
            area = Decimal(rng.randint(150, 350) if full else rng.randint(120, 450))
            site = _site_row(rng, today, division=community, community=community, kind=kind, area=area,
                             code=f"{community.code}-S{number:02d}", name=f"{community.name}{SiteKind(kind).label}", full=full)
            sites.append(site)
            rooms += _rooms(rng, site, KIND_ROOMS[kind], full=full)
            total += area
            number += 1
        if compliant and total < 1500:
            area = Decimal(1500) - total + rng.randint(0, 300)
            site = _site_row(rng, today, division=community, community=community, kind=SiteKind.SERVICE_STATION, area=area,
                             code=f"{community.code}-S{number:02d}", name=f"{community.name}社区服务站", full=full)
            sites.append(site)
            rooms += _rooms(rng, site, KIND_ROOMS[SiteKind.SERVICE_STATION])
        for site in [s for s in sites if s["division"] == community.code]:
            for year in (today.year - 1, today.year):
                costs.append({"site_code": site["code"], "year": year, "category": "utilities",
                              "amount": Decimal(int(site["floor_area"] * rng.randint(20, 45))), "paid_by": rng.choice(["street", "community"])})
                costs.append({"site_code": site["code"], "year": year, "category": "maintenance",
                              "amount": Decimal(rng.randint(5, 60) * 1000), "paid_by": "street"})
                if site.get("annual_rent"):
                    costs.append({"site_code": site["code"], "year": year, "category": "rent", "amount": site["annual_rent"], "paid_by": "street"})
            if rng.random() < 0.15:
                costs.append({"site_code": site["code"], "year": today.year - 1, "category": "renovation",
                              "amount": Decimal(rng.randint(10, 80) * 10000), "paid_by": rng.choice(["street", "operator"])})
    # Neighbourhood centres (邻里中心): most streets have one; a few still do not [Haining].
    for street in ctx.streets:
        if rng.random() < 0.75:
            community = next(c for c in ctx.communities if c.parent_id == street.pk)
            site = _site_row(rng, today, division=street, community=community, kind=SiteKind.NEIGHBOURHOOD_CENTRE,
                             area=Decimal(rng.randint(2000, 6000)), code=f"{street.code}-S01", name=f"{street.name}邻里中心")
            site["independent_entrance"] = True
            sites.append(site)
            rooms += _rooms(rng, site, KIND_ROOMS[SiteKind.NEIGHBOURHOOD_CENTRE])
    ctx.say(f"register: {len(sites)} sites, {len(rooms)} rooms, {len(costs)} costs")
    with one_workbook():  # the rooms and costs name their sites by the keys the sites were given
        import_sites(actor=admin, rows=_numbered(sites), params={}, progress=lambda n: None)
        import_rooms(actor=admin, rows=_numbered(rooms), params={}, progress=lambda n: None)
        import_costs(actor=admin, rows=_numbered(costs), params={}, progress=lambda n: None)
    rated = Site.objects.filter(kind__in=[SiteKind.NEIGHBOURHOOD_CENTRE, SiteKind.PARTY_MASS_CENTRE])
    first_rated = timezone.now() - timedelta(days=365)  # the centres were first rated a year ago
    for site in rated.select_related("division"):
        services.star_rating_recompute(site=site, now=first_rated)
    ctx.say(f"star ratings: {rated.count()} centres rated")
    _filings_and_projects(ctx, today)


def _filings_and_projects(ctx: DemoContext, today: date) -> None:
    rng = ctx.rng
    street, community = ctx.streets[0], ctx.communities[0]
    jiedao = User.objects.get(username="jiedao")
    minzheng = User.objects.get(username="minzheng_qu")
    shequ = User.objects.get(username="shequ")
    services.registry_file(actor=jiedao, street=street, note="2026年第一季度管理清册")
    centre = Site.objects.get(code=f"{community.code}-S01")
    services.site_update(actor=jiedao, site=centre, data={"independent_entrance": True, "opening_hours": parse_hours("周一至周日 08:30-20:30")})
    services.room_create(actor=jiedao, site=Site.objects.get(code=f"{community.code}-S01"), name="共享自习室", floor=2,
                         area=Decimal("40"), capacity=20, functions=["study_room"])
    services.registry_file(actor=jiedao, street=street, note="新增共享自习室，调整开放时间")
    services.registry_file(actor=User.objects.get(username="jiedao2"), street=ctx.streets[1], note="管理清册年度备案")

    # New residential projects at every stage [Haining].
    neighbour = ctx.communities[1]
    workers = {community: shequ, neighbour: User.objects.get(username="shequ2")}
    plans = [("鹭湖·云璟府", 1200, ProvisionMethod.PROVIDE, 0), ("中山·和鸣苑", 800, ProvisionMethod.PROVIDE, 2),
             ("梅阳·金茂悦", 2600, ProvisionMethod.PROVIDE, 4)]
    if services.community_meets_area_standard(neighbour):
        plans += [("开元·滨江壹号", 900, ProvisionMethod.MONETISE, 4), ("文昌·春风里", 640, ProvisionMethod.MONETISE, 4)]
    for index, (name, households, method, stages_done) in enumerate(plans):
        # Monetisation only where the community already meets the standard [Haining].
        target = neighbour if method == ProvisionMethod.MONETISE else community
        parties = {SignOffParty.CIVIL_AFFAIRS: minzheng, SignOffParty.STREET: jiedao, SignOffParty.COMMUNITY: workers[target]}
        project = services.provision_project_create(
            actor=jiedao, community=target, name=name, developer=rng.choice(["泉溪置业有限公司", "海湾地产集团", "鹭江城建开发公司"]),
            land_parcel=f"2026P{index + 11:02d}", households=households, method=method,
            presale_price=Decimal(rng.choice([18500, 23800, 27600])) if method == ProvisionMethod.MONETISE else None)
        for stage_number in range(stages_done):
            for party, actor in parties.items():
                services.provision_sign_off(actor=actor, project=project, party=party,
                                            document_no=f"{['民', '街', '社'][list(parties).index(party)]}意〔2026〕{stage_number * 3 + index + 1}号",
                                            signed_on=today - timedelta(days=200 - stage_number * 40), signer=actor.label)
        if stages_done == 4 and method == ProvisionMethod.PROVIDE:
            services.provision_delivery_file(actor=jiedao, project=project, delivery_filed_on=today - timedelta(days=20),
                                             provided_area=project.required_area + 20, agreement_no=f"配建协议〔2026〕{index}号")
        elif stages_done == 4:
            filed = today - timedelta(days=45 if name.startswith("开元") else 10)
            services.provision_delivery_file(actor=jiedao, project=project, delivery_filed_on=filed, agreement_no=f"货币化协议〔2026〕{index}号")
            if name.startswith("文昌"):
                services.provision_payment_record(actor=jiedao, project=project, paid_on=today - timedelta(days=3),
                                                  amount=project.monetisation_amount, document_no="缴款凭证2026-118")
    services.earmarked_rent_record(actor=jiedao, street=street, amount=Decimal("36000.00"), received_on=today - timedelta(days=30),
                                   document_no="租金收据2026-07", payer="泉溪市中山便民维修有限公司")
    ctx.say(f"filings and {len(plans)} new residential projects")


SURVEYED_SHARE = 0.25  # of the centres: the bureau's survey of residents' satisfaction where residents rate little online
SHOWCASE_FUNCTIONS = ["elderly_care", "childcare", "women_children_station", "health_station", "elderly_canteen"]


def build_online_services(ctx: DemoContext) -> None:
    """The year of star ratings, after the smart neighbourhood: the bureau surveys residents' satisfaction at a quarter
    of the centres, two of 中山街道's centres opened their "一老一小" rooms four months ago, and today every centre
    is rated again with the stars residents gave; the streets switch online services on at most of the centres rated
    at the city's gate, and 中山街道 (where `jiedao` works) at its neighbourhood centre and 梅阳社区's centre (where
    `jumin` lives), the two fitted out with "一老一小" rooms four months ago."""
    from .models import OnlineServices, StarRating

    rng, now = ctx.rng, timezone.now()
    today = timezone.localdate()
    minzheng = User.objects.get(username="minzheng")
    centres = list(Site.objects.filter(kind__in=[SiteKind.NEIGHBOURHOOD_CENTRE, SiteKind.PARTY_MASS_CENTRE], closed_on__isnull=True)
                   .select_related("division").order_by("code"))
    for site in rng.sample(centres, k=int(len(centres) * SURVEYED_SHARE)):
        services.star_evidence_record(actor=minzheng, site=site, criterion="resident_satisfaction",
                                      score=Decimal(rng.choice(["0.72", "0.80", "0.86", "0.90", "0.94"])),
                                      evidence="民政局随机入户调查居民30户满意度", assessed_on=today - timedelta(days=60))
    street = ctx.streets[0]
    showcases = [site for site in (Site.objects.filter(division=street, kind=SiteKind.NEIGHBOURHOOD_CENTRE).first(),
                                   Site.objects.filter(division=ctx.communities[0], kind=SiteKind.PARTY_MASS_CENTRE).first())
                 if site is not None]
    jiedao = User.objects.get(username="jiedao")
    for site in showcases:  # extended and fitted out four months ago: rated again then, before most residents' ratings
        services.site_update(actor=jiedao, site=site, data={"floor_area": site.floor_area + 320,
                                                            "ground_floor_area": site.ground_floor_area + 320})
        services.room_create(actor=jiedao, site=site, name="一老一小服务区", floor=1, area=Decimal("320"), capacity=60,
                             functions=SHOWCASE_FUNCTIONS)
        services.star_rating_recompute(site=site, now=now - timedelta(days=120))
    for site in centres:
        services.star_rating_recompute(site=site, now=now)
    gate = services.online_gate(street)
    eligible = list(StarRating.objects.filter(is_current=True, stars__gte=gate).select_related("site__division__parent")
                    .order_by("site__code"))
    switched = 0
    for rating in eligible:
        site = rating.site
        if site not in showcases and rng.random() > 0.6:
            continue  # eligible, not switched on yet: the supervisor sees these too
        street_of = site.division if site.division.level == "street" else site.division.parent
        clerk = jiedao if street_of.pk == street.pk else demo_user(f"jd{street_of.code}",
                                                                                                f"{street_of.name}审核员")
        services.online_services_switch(actor=clerk, site=site, on=True, now=now - timedelta(days=rng.randint(3, 40)))
        switched += 1
    ctx.say(f"online services: {switched} of {len(eligible)} centres rated {gate} stars or more switched on "
            f"({OnlineServices.objects.filter(is_on=True).count()} on)")


# Signs and plaques, and suggestions to merge or swap rooms [Huli, Haining].

ALLOWED_SIGNS = ["中国共产党{name}委员会", "{name}居民委员会", "{name}党群服务中心"]
REDUNDANT_SIGNS = [("{name}老年人协会", "民政局"), ("{name}禁毒工作站", "司法局"), ("{name}关心下一代工作委员会", None),
                   ("{name}科普活动室", "文化和旅游局"), ("{name}人口学校", "卫生健康局"), ("{name}法律援助工作站", "司法局"),
                   ("{name}就业服务站", "人力资源和社会保障局"), ("{name}妇女之家", "妇女联合会"), ("{name}市民学校", None)]


def _demo_photo(colour=(150, 120, 90)):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile("sign.jpg", buffer.getvalue(), content_type="image/jpeg")


def build_signs_and_suggestions(ctx: DemoContext) -> None:
    """Signs at the centres of the first district's communities, before and after the first street's
    clean-up (two in three redundant signs taken down, each with its photo); the platform's merge and swap
    suggestions, one accepted by the street and one dismissed with its reason."""
    from org.models import Organisation, OrganisationKind

    rng = ctx.rng
    today = timezone.localdate()
    street, district = ctx.streets[0], ctx.districts[0]
    jiedao, shequ = User.objects.get(username="jiedao"), User.objects.get(username="shequ")
    departments = {o.name.removeprefix(district.name): o for o in Organisation.objects.filter(
        kind=OrganisationKind.DEPARTMENT, home_division=district)}
    centres = {s.division_id: s for s in Site.objects.filter(code__endswith="-S01", division__parent__parent=district)}
    signs = 0
    for community in [c for c in ctx.communities if c.parent.parent_id == district.pk and c.pk in centres]:
        site = centres[community.pk]
        hung = today - timedelta(days=rng.randint(400, 2000))
        for text in ALLOWED_SIGNS:
            services.sign_record(actor=ACTOR, site=site, text=text.format(name=community.name), hung_on=hung)
            signs += 1
        for text, department in rng.sample(REDUNDANT_SIGNS, rng.randint(4, 7)):
            services.sign_record(actor=ACTOR, site=site, text=text.format(name=community.name), hung_on=hung,
                                 department=departments.get(department),
                                 department_name="" if department else "区关工委", photo=_demo_photo() if rng.random() < 0.3 else None)
            signs += 1
    cleanup = services.sign_cleanup_start(actor=jiedao, division=street, title=f"{street.name}精简规范社区挂牌",
                                          today=today - timedelta(days=60), note="对照全市保留牌子清单，逐社区摘除冗余标牌")
    removed = 0
    for sign in Sign.objects.filter(site__division__parent=street, allowed=False, removed_on__isnull=True).select_related(
            "site__division").order_by("pk"):
        if rng.random() < 0.67:
            who = shequ if sign.site.division_id == ctx.communities[0].pk else jiedao
            services.sign_remove(actor=who, sign=sign, photo=_demo_photo((90, 90, 90)), removed_on=today - timedelta(days=rng.randint(1, 55)),
                                 note="已摘除并拍照存档")
            removed += 1
    ctx.say(f"signs: {signs} at {len(centres)} centres, {removed} removed in {cleanup.title}")

    made = services.room_suggestions_generate(actor=ACTOR, within=ctx.city, today=today)
    open_ = RoomSuggestion.objects.filter(street=street, status=SuggestionStatus.OPEN)
    if not open_.filter(kind=SuggestionKind.SWAP).exists():  # a care room upstairs without a lift [Haining]
        site = Site.objects.filter(division=ctx.communities[0], has_lift=False).order_by("code").first()
        services.room_create(actor=ACTOR, site=site, name="二楼日间照料室", area=Decimal("20"), floor=2,
                             functions=["elderly_care"])
        made["swap"] += services.room_suggestions_generate(actor=ACTOR, within=street, today=today)["swap"]
    if not open_.filter(kind=SuggestionKind.MERGE).exists():  # two rooms of one function, proposed by the street
        rooms = list(Room.objects.filter(site__division__parent=street, closed_on__isnull=True,
                                         functions__code="reading_room").order_by("pk")[:2])
        if len(rooms) == 2:
            services.room_merge_propose(actor=jiedao, room=rooms[0], keep=rooms[1])
            made["merge"] += 1
    merge = open_.filter(kind=SuggestionKind.MERGE).order_by("pk").first()
    swap = open_.filter(kind=SuggestionKind.SWAP).order_by("pk").first()
    if merge:
        services.room_suggestion_accept(actor=jiedao, suggestion=merge, note="街道办事处主任办公会研究同意合并")
    if swap:
        services.room_suggestion_dismiss(actor=jiedao, suggestion=swap, reason="已列入明年加装电梯计划，暂不置换")
    ctx.say(f"room suggestions: {made['merge']} merges, {made['swap']} swaps; one accepted, one dismissed")
