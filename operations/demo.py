"""The demo city's space for service: a few hundred operators, their admission, agreements of every
mode and tier with their monthly reports (a year of them in 中山街道, the last two months elsewhere, to
keep the build short), public funding and idle rooms offered for partnership.

Every record goes through the services, so the rooms are held at the agreed hours, the shares are
posted to the communities' funds and the rules of each property class are applied. Most agreements
keep the rules; a handful do not, so the street's and the bureau's pages have breaches to show:
中山街道 (where `jiedao`, `shequ` and `yunying` work) has one of each kind, and its first community
has the agreement of the Zibo example (¥600,000 of renovation once, ¥200,000 a year of running
costs borne by the operator).
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone, translation

from accounts.models import User
from core.errors import ApplicationError
from demo.context import DemoContext, demo_user
from org import services as org_services
from org.demo import _credit_code
from org.models import OperatorKind, Organisation, OrganisationKind
from registry.models import PropertyClass, Room, RoomUse, SiteKind

from . import services
from .models import (
    Agreement,
    AgreementStatus,
    FundingKind,
    ServiceCategory,
    ServiceTier,
    month_after,
)
from .selectors import months_between

MORE_OPERATORS = 230
AGREEMENT_SHARE = 0.3  # of the communities, one or two agreements each
NAME_PARTS = {
    OperatorKind.SOCIAL_WORK_AGENCY: (["益众", "同心", "善邻", "和乐", "阳光", "守望", "融爱", "正心", "睦邻", "博爱", "友邻", "暖心"],
                                      "社会工作服务中心"),
    OperatorKind.ENTERPRISE: (["颐康养老", "童趣托育", "邻里食堂", "康复理疗", "家政帮", "书香书吧", "乐龄学堂", "便民修", "鲜邻超市",
                               "小橙托管", "悦动健身", "安居物业", "巧手家政", "慢时光咖啡", "艺术培训"], "有限公司"),
    OperatorKind.STATE_OWNED: (["城发邻里", "国投社区服务", "安居运营"], "运营有限公司"),
    OperatorKind.SOCIAL_ORGANISATION: (["银龄互助", "志愿者联合", "社区营造", "青年创业"], "促进会"),
}
# (name, category, tier, price, unit, market price, places, for whom)
CATALOGUE = [
    ("长者助餐", "food_recreation", "low_cost", "12", "meal", "25", 60, "60岁以上老人"),
    ("四点半课堂", "elderly_child", "free", "0", "session", None, 30, "小学生"),
    ("日间照料", "elderly_child", "low_cost", "40", "session", "90", 20, "失能半失能老人"),
    ("托育托管", "elderly_child", "market", "1800", "month", None, 25, "3岁以下婴幼儿"),
    ("少儿美术", "elderly_child", "market", "120", "session", None, 15, "5-12岁儿童"),
    ("银发学堂", "elderly_child", "free", "0", "session", None, 40, "老年人"),
    ("社区书吧", "food_recreation", "free", "0", "session", None, 40, "全体居民"),
    ("邻里咖啡", "food_recreation", "low_cost", "15", "session", "28", 30, "全体居民"),
    ("健身操", "food_recreation", "low_cost", "10", "session", "30", 40, "中青年居民"),
    ("康复理疗", "medical_wellness", "low_cost", "35", "session", "80", 10, "慢病与术后居民"),
    ("健康讲座", "medical_wellness", "free", "0", "session", None, 60, "全体居民"),
    ("中医推拿", "medical_wellness", "market", "98", "session", None, 8, "全体居民"),
    ("便民维修", "living_environment", "low_cost", "10", "session", "30", 20, "全体居民"),
    ("家政保洁", "living_environment", "market", "50", "hour", None, 10, "全体居民"),
    ("旧衣回收与环保课堂", "living_environment", "free", "0", "session", None, 50, "全体居民"),
    ("就业技能培训", "employment_business", "free", "0", "session", None, 30, "待业居民"),
    ("直播电商培训", "employment_business", "low_cost", "30", "session", "120", 25, "创业居民"),
    ("创业指导", "employment_business", "free", "0", "session", None, 15, "创业居民"),
]
SLOTS = [("09:00", "12:00"), ("14:00", "17:00"), ("08:30", "11:30"), ("15:00", "18:00"), ("18:30", "20:30")]
MODES = {OperatorKind.STATE_OWNED: "entrusted", OperatorKind.SOCIAL_WORK_AGENCY: "co_operated",
         OperatorKind.ENTERPRISE: "co_operated", OperatorKind.SOCIAL_ORGANISATION: "self_run"}


def _category_names(categories: list[str]) -> str:
    """The categories as a person writes them in an application (养老托幼、餐饮娱乐)."""
    with translation.override("zh-hans"):
        return "、".join(str(ServiceCategory(code).label) for code in categories)

def _checklist(division) -> dict:
    return {item["code"]: {"met": True, "note": ""} for item in services.checklist_items(division)}


def _operators(ctx: DemoContext) -> list[Organisation]:
    """The organisation step's operators and a few hundred more, each with its licence on file."""
    rng = ctx.rng
    operators = list(Organisation.objects.filter(kind=OrganisationKind.OPERATOR).prefetch_related("served_divisions"))
    names = {o.name for o in operators}
    while len(operators) < len(ctx.organisations.get("operator", [])) + MORE_OPERATORS:
        kind = rng.choices(list(NAME_PARTS), weights=[4, 6, 1, 1])[0]
        street = rng.choice(ctx.streets)
        parts, suffix = NAME_PARTS[kind]
        name = f"泉溪{street.name[:2]}{rng.choice(parts)}{suffix}"
        if name in names:
            continue
        names.add(name)
        authority = "91" if kind in (OperatorKind.ENTERPRISE, OperatorKind.STATE_OWNED) else "52"
        operators.append(org_services.organisation_create(
            actor="demo", name=name, kind=OrganisationKind.OPERATOR, operator_kind=kind, home_division=street.parent,
            served_divisions=[], credit_code=_credit_code(rng, authority, street.parent.code),
            contact_phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}", address=f"{street.parent.name}{street.name}"))
    for operator in operators:
        services.qualification_add(actor="demo", operator=operator,
                                   kind="business_licence" if operator.credit_code and operator.credit_code.startswith("91")
                                   else "registration", number=operator.credit_code or f"民证字{operator.pk:06d}号",
                                   issued_by="泉溪市市场监督管理局", valid_until=ctx.extra["today"] + timedelta(days=rng.randint(400, 2000)))
    return operators


def _admit(ctx: DemoContext, operators: list[Organisation], reviewers: dict) -> dict:
    """Each operator admitted by one or two streets of its district (and those it already serves); returns the
    operators admitted by each street."""
    rng, today = ctx.rng, ctx.extra["today"]
    by_street: dict[int, list[Organisation]] = {street.pk: [] for street in ctx.streets}
    streets_of_district = {d.pk: [s for s in ctx.streets if s.parent_id == d.pk] for d in ctx.districts}
    for number, operator in enumerate(operators, start=1):
        served_streets = {d.parent_id for d in operator.served_divisions.all() if d.parent_id in by_street}
        home_streets = streets_of_district[operator.home_division_id] or ctx.streets
        places = {s.pk: s for s in ctx.streets if s.pk in served_streets}
        for street in rng.sample(home_streets, k=min(len(home_streets), rng.randint(1, 2))):
            places.setdefault(street.pk, street)
        categories = sorted({c for c in rng.sample(["elderly_child", "living_environment", "food_recreation",
                                                    "medical_wellness", "employment_business"], k=rng.randint(2, 4))})
        for street in places.values():
            admission = services.admission_apply(actor=reviewers["operator"], operator=operator, division=street, categories=categories,
                                                 scope_description=f"{operator.name}：社区{_category_names(categories)}类服务",
                                                 references="在本市其他社区有同类服务经验。", now=ctx.extra["now"])
            services.admission_review(actor=reviewers[street.pk], admission=admission, admit=True, checklist=_checklist(street),
                                      note="资质齐全，准予准入。", valid_from=today - timedelta(days=rng.randint(420, 720)))
            by_street[street.pk].append(operator)
        ctx.progress("operators admitted", number, len(operators))
    return by_street


def _services(rng, count: int, *, market: bool | None) -> list[dict]:
    """``count`` services of the catalogue, at least one free; market-priced ones only where ``market`` is not
    False (and at least one where it is True)."""
    chosen = rng.sample([item for item in CATALOGUE if market is not False or item[2] != "market"], k=count)
    if not any(item[2] == "free" for item in chosen):
        chosen[0] = next(item for item in CATALOGUE if item[2] == "free")
    if market and not any(item[2] == "market" for item in chosen):
        chosen[-1] = rng.choice([item for item in CATALOGUE if item[2] == "market"])
    return [{"name": name, "category": category, "tier": tier, "price": price, "price_unit": unit, "market_price": market_price,
             "capacity": places, "audience": audience} for name, category, tier, price, unit, market_price, places, audience in chosen]


def _terms(rng, room, operator, number: str, starts_on: date, **overrides) -> dict:
    site = room.site
    terms = {
        "title": f"{site.name}{room.name}：{operator.name}", "number": number,
        "mode": MODES.get(operator.operator_kind, "co_operated"), "starts_on": starts_on,
        "ends_on": starts_on.replace(year=starts_on.year + rng.choice([2, 3])) - timedelta(days=1),
        "operator_renovation_cost": Decimal(rng.choice([0, 0, 30000, 80000, 150000, 260000])),
        "operator_running_cost": Decimal(rng.choice([24000, 36000, 60000, 96000, 120000])),
        "annual_rent": Decimal(rng.choice([0, 6000, 12000, 24000])), "non_profit_purpose": True,
        "public_benefit_share": Decimal(rng.choice(["0.6", "0.65", "0.7", "0.8"])),
        "basis_kind": "joint_meeting", "basis_number": f"{site.division.parent.name}联席〔{starts_on.year}〕{rng.randint(1, 40)}号",
        "basis_date": starts_on - timedelta(days=rng.randint(10, 40)),
        "revenue_distribution": "低偿服务收入按约定比例、市场服务收入按约定比例注入社区发展基金，其余用于维持运营。",
        "valuation_report_no": f"泉评报字〔{starts_on.year}〕{rng.randint(100, 999)}号", "authorised_by": "区机关事务服务中心",
        "authorisation_document": f"区机事〔{starts_on.year}〕{rng.randint(10, 99)}号",
    }
    if site.property_class in (PropertyClass.VILLAGE_COLLECTIVE, PropertyClass.MIXED):
        terms["collective_resolution"] = f"{site.division.name}村民代表会议决议〔{starts_on.year}〕{rng.randint(1, 9)}号"
    if site.property_class == PropertyClass.VILLAGE_COLLECTIVE:
        terms.update(basis_kind="collective_meeting", valuation_report_no="", authorised_by="", authorisation_document="")
    return {**terms, **overrides}


def _shares(rng) -> list[dict]:
    if rng.random() < 0.15:
        return [{"tier": ServiceTier.MARKET, "fixed_monthly": Decimal(rng.choice([300, 500, 800]))}]
    return [{"tier": ServiceTier.LOW_COST, "percent": Decimal(rng.choice([3, 5]))},
            {"tier": ServiceTier.MARKET, "percent": Decimal(rng.choice([8, 10, 12, 15]))}]


def _hours(rng) -> list[dict]:
    days = rng.sample(range(1, 8), k=rng.randint(2, 4))
    start, end = rng.choice(SLOTS)
    return [{"weekday": day, "start": start, "end": end} for day in sorted(days)]


def _make(ctx, actor, approver, community, operator, rooms, *, number: str, overrides=None, market=None, status="active",
          insist: bool = False):
    """One agreement through the services, as far as ``status``; None when its rooms are taken then.
    With ``insist`` (an example the demo must show), hours the rooms are free for the whole term are
    looked for one by one when random ones keep clashing with the rooms' bookings."""
    rng, today = ctx.rng, ctx.extra["today"]
    room = rooms[0]
    starts_on = (overrides or {}).pop("starts_on", None) or today - timedelta(days=rng.randint(60, 420))
    terms = _terms(rng, room, operator, number, starts_on, **(overrides or {}))
    for attempt in range(7 if insist else 6):
        if attempt < 6:
            spaces = [{"room": r.pk, "hours": _hours(rng)} for r in rooms]
        else:
            spaces = [{"room": r.pk, "hours": _free_hours(r, terms)} for r in rooms]
            if not all(space["hours"] for space in spaces):
                return None
        if any(_taken(room, space["hours"], terms) for room, space in zip(rooms, spaces, strict=True)):
            continue  # booked or given at those hours: try others
        try:
            agreement = services.agreement_draft(
                actor=actor, division=community, operator=operator, terms=terms, spaces=spaces,
                services=_services(rng, rng.randint(2, 4), market=market if market is not None else
                                   (None if terms["annual_rent"] > 0 else False)),
                shares=_shares(rng))
            if status == "draft":
                return agreement
            # One still waiting for the street was sent a fortnight before its term was to begin, months ago.
            sent = min(ctx.extra["now"], ctx.extra["now"] - (today - terms["starts_on"]) - timedelta(days=14)) \
                if status == "submitted" else ctx.extra["now"]
            services.agreement_submit(actor=actor, agreement=agreement, now=sent)
            if status == "submitted":
                return agreement
            # Approved on its first day (before the platform's "today" for the older ones), so the rooms are held at the
            # agreed hours for the whole term and the months reported have their bookings.
            return services.agreement_approve(actor=approver, agreement=agreement, note="经街道联席会议研究同意。",
                                              now=min(ctx.extra["now"], _first_moment(terms["starts_on"])))
        except ApplicationError:
            continue  # given to another agreement at those hours: try others
    return None


def _free_hours(room, terms: dict, limit: int = 3) -> list[dict]:
    """Up to ``limit`` weekly slots, none overlapping another, at which the room is free for the whole term."""
    free = []
    for start, end in SLOTS:
        for day in range(1, 8):
            slot = {"weekday": day, "start": start, "end": end}
            if any(f["weekday"] == day and f["start"] < end and start < f["end"] for f in free):
                continue  # an agreement's weekly hours may not overlap one another
            if not _taken(room, [slot], terms):
                free.append(slot)
                if len(free) == limit:
                    return free
    return free


def _first_moment(day: date):
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _taken(room, hours: list[dict], terms: dict) -> bool:
    """Whether the room is booked at any of these weekly hours over the term (what approval on its first day would refuse)."""
    from scheduling.services import weekly_clashes, weekly_occurrences

    since = min(timezone.now(), _first_moment(terms["starts_on"]))
    occurrences = [o for o in weekly_occurrences(hours, terms["starts_on"], terms["ends_on"]) if o[0] >= since]
    return bool(weekly_clashes(room, occurrences, now=since))


def _months(agreement, today: date) -> list[date]:
    first = max(agreement.starts_on.replace(day=1), (today.replace(day=1) - timedelta(days=365)).replace(day=1))
    return months_between(first, today.replace(day=1) - timedelta(days=1))


def _figures(rng, agreement, month: date, *, over_cost: bool = False) -> dict:
    """A month's figures: about one session a booked slot (fewer in a month the agreement ran only part of)."""
    weekly = sum(len(s.hours) for s in agreement.spaces.all())
    last_day = month_after(month) - timedelta(days=1)
    ran = (min(last_day, agreement.last_day) - max(month, agreement.starts_on)).days + 1
    sessions = max(1, int(weekly * 4.3 * ran / last_day.day * rng.uniform(0.8, 1.05)))
    market = int(sessions * rng.uniform(0.1, 0.3))
    low = int((sessions - market) * rng.uniform(0.25, 0.45))
    free = sessions - market - low
    cost = (agreement.operator_running_cost / 12 * Decimal(str(round(rng.uniform(0.85, 1.2), 2)))).quantize(Decimal("1"))
    paid = (cost * Decimal(str(round(rng.uniform(1.2, 1.5) if over_cost else rng.uniform(0.5, 0.92), 2)))).quantize(Decimal("1"))
    low_revenue = (paid * Decimal(str(round(rng.uniform(0.35, 0.6), 2)))).quantize(Decimal("1"))
    return {"revenue_low_cost": low_revenue, "revenue_market": paid - low_revenue, "operating_cost": cost,
            "sessions_free": free, "sessions_low_cost": low, "sessions_market": market,
            "people_free": free * rng.randint(12, 30), "people_low_cost": low * rng.randint(8, 20),
            "people_market": market * rng.randint(4, 12)}


def _report_year(ctx, agreement, operator_user, confirmer, *, showcase: bool) -> int:
    """A monthly report for each month of the agreement in the past year, confirmed by the community
    (the last one still waiting in 中山街道)."""
    rng, today = ctx.rng, ctx.extra["today"]
    months = _months(agreement, today)
    if not showcase:
        months = months[-2:]  # the rest of the city: the last two months, to keep the demo build short
    for index, month in enumerate(months):
        report = services.report_submit(actor=operator_user, agreement=agreement, month=month, figures=_figures(rng, agreement, month),
                                        now=ctx.extra["now"])
        if not (showcase and index == len(months) - 1):
            services.report_confirm(actor=confirmer, report=report, now=ctx.extra["now"])
    return len(months)


def build_operations(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = timezone.localdate()
    ctx.extra.update(today=today, now=timezone.now())
    street, first = ctx.streets[0], ctx.communities[0]
    jiedao, shequ, yunying = (User.objects.get(username=n) for n in ("jiedao", "shequ", "yunying"))
    minzheng = User.objects.get(username="minzheng")
    reviewers = {s.pk: (jiedao if s == street else demo_user(f"jd{s.code}", f"{s.name}审核员")) for s in ctx.streets}
    reviewers["operator"] = demo_user("operator-desk", "经营主体申报窗口")
    demo_operator = yunying.role_assignments.get().organisation

    operators = _operators(ctx)
    admitted = _admit(ctx, operators, reviewers)
    if demo_operator not in admitted[street.pk]:
        admitted[street.pk].append(demo_operator)

    rooms_of: dict[int, list[Room]] = {}
    for room in Room.objects.filter(closed_on__isnull=True, use=RoomUse.SERVICE).exclude(
            site__kind=SiteKind.SHARED_EXTERNAL).select_related("site__division").order_by("site__code", "pk"):
        rooms_of.setdefault(room.site.division_id, []).append(room)
    workers = {c.pk: demo_user(f"sq{c.code}", f"{c.name}社区工作者") for c in ctx.communities}
    workers[first.pk] = shequ
    agreements, reports = [], 0
    number = 0
    for visited, community in enumerate(ctx.communities, start=1):
        ctx.progress("communities looked at for agreements", visited, len(ctx.communities))
        showcase = community.parent_id == street.pk
        if community != first and not showcase and rng.random() > AGREEMENT_SHARE:
            continue
        candidates = [o for o in admitted.get(community.parent_id, [])]
        rooms = rooms_of.get(community.pk, [])
        if not candidates or not rooms:
            continue
        for _ in range(rng.choice([1, 1, 2])):
            number += 1
            operator = demo_operator if community == first and not agreements else rng.choice(candidates)
            room_pick = rng.sample(rooms, k=min(len(rooms), rng.choice([1, 1, 2])))
            overrides = {}
            if community == first and not agreements:  # the Zibo example [Zibo: 城南社区]
                overrides = {"operator_renovation_cost": Decimal("600000"), "operator_running_cost": Decimal("200000"),
                             "mode": "entrusted", "title": f"{community.name}便民服务综合体委托运营"}
            agreement = _make(ctx, workers[community.pk], reviewers[community.parent_id], community, operator, room_pick,
                              number=f"泉溪协〔{today.year}〕{number:03d}号", overrides=overrides, insist=bool(overrides))
            if agreement is None:
                continue
            agreements.append(agreement)
            reports += _report_year(ctx, agreement, yunying if operator == demo_operator else reviewers["operator"],
                                    workers[community.pk], showcase=showcase)

    _showcase(ctx, street, first, admitted[street.pk], rooms_of, workers, jiedao, yunying, demo_operator)
    _funding(ctx, minzheng, operators)
    _offers(ctx, street, first, shequ, yunying, demo_operator)
    ctx.say(f"space for service: {len(operators)} operators, {len(agreements)} agreements in force, {reports} monthly reports")


def _showcase(ctx, street, first, operators, rooms_of, workers, jiedao, yunying, demo_operator) -> None:
    """中山街道: a breach of each kind, an agreement waiting for the street, one drafted, one terminated,
    a report returned to the operator, two operators waiting for admission, one suspended, one blacklisted."""
    rng, today = ctx.rng, ctx.extra["today"]
    communities = [c for c in ctx.communities if c.parent_id == street.pk]
    state_rooms = [(c, r) for c in communities for r in rooms_of.get(c.pk, [])
                   if r.site.property_class == PropertyClass.STATE_ADMINISTRATIVE]
    breaches = [
        {"annual_rent": Decimal("0")},  # free use, with a market-priced service
        {"public_benefit_share": Decimal("0.4")},  # below the public-benefit share
        {"valuation_report_no": "", "authorised_by": "", "authorisation_document": ""},  # no valuation, no authorisation
    ]
    for n, overrides in enumerate(breaches):
        community, room = state_rooms[(n * 5 + 3) % len(state_rooms)]
        agreement = _make(ctx, workers[community.pk], jiedao, community, rng.choice(operators), [room], number=f"中山协-示例{n + 1}",
                          overrides=overrides, market=True)
        if agreement is not None:
            _report_year(ctx, agreement, yunying, workers[community.pk], showcase=True)
    # A month whose paid income is above the cost of running the service.
    mine = list(Agreement.objects.filter(operator=demo_operator, status=AgreementStatus.ACTIVE, division__path__startswith=street.path))
    if mine:
        agreement = mine[0]
        latest = agreement.reports.order_by("-month").first()
        if latest is not None and latest.status == "submitted":
            services.report_return(actor=workers[agreement.division_id], report=latest, note="有偿收入高于运营成本，请核对收入明细后重报。")
            services.report_submit(actor=yunying, agreement=agreement, month=latest.month, now=ctx.extra["now"],
                                   figures=_figures(rng, agreement, latest.month, over_cost=True))
    # A month claiming seven times the sessions booked, more than the booked hours can hold (three hours at most a booking).
    for agreement in Agreement.objects.filter(status=AgreementStatus.ACTIVE, division__path__startswith=street.path).exclude(
            pk__in=[a.pk for a in mine[:1]]).order_by("pk"):
        latest = agreement.reports.order_by("-month").first()
        if latest is None or latest.status != "submitted":
            continue
        figures = _figures(rng, agreement, latest.month)
        figures["sessions_free"] += 6 * (figures["sessions_free"] + figures["sessions_low_cost"] + figures["sessions_market"])
        operator_user = yunying if agreement.operator == demo_operator else demo_user("operator-desk", "经营主体申报窗口")
        services.report_return(actor=workers[agreement.division_id], report=latest, note="请按实际开展场次重报。")
        services.report_submit(actor=operator_user, agreement=agreement, month=latest.month, now=ctx.extra["now"], figures=figures)
        break
    for community in communities[1:3]:
        rooms = rooms_of.get(community.pk, [])
        if rooms:
            _make(ctx, workers[community.pk], jiedao, community, rng.choice(operators), [rooms[-1]],
                  number=f"中山协-待批{community.code[-3:]}", status="submitted")
    if rooms_of.get(first.pk):
        _make(ctx, workers[first.pk], jiedao, first, demo_operator, [rooms_of[first.pk][-1]], number="中山协-草稿", status="draft")
    ending = Agreement.objects.filter(division__in=communities, status=AgreementStatus.ACTIVE).exclude(operator=demo_operator).last()
    if ending is not None:
        services.agreement_terminate(actor=jiedao, agreement=ending, on=max(ending.starts_on, today - timedelta(days=10)),
                                     reason="经营主体经营调整，双方协商一致提前终止。", now=ctx.extra["now"])
    # Admission: two waiting, one suspended, one blacklisted.
    newcomers = Organisation.objects.filter(kind=OrganisationKind.OPERATOR).exclude(admissions__division=street).order_by("pk")[:4]
    for n, operator in enumerate(newcomers):
        admission = services.admission_apply(actor=demo_user("operator-desk", "经营主体申报窗口"), operator=operator, division=street,
                                             categories=["elderly_child", "medical_wellness"], scope_description="长者助餐、康复理疗",
                                             references="已在鹭湖区三个社区运营长者食堂。", now=ctx.extra["now"])
        if n >= 2:
            services.admission_review(actor=jiedao, admission=admission, admit=True, checklist=_checklist(street),
                                      valid_from=today - timedelta(days=200), note="准予准入。")
            if n == 2:
                services.admission_suspend(actor=jiedao, admission=admission, reason="居民投诉助餐卫生问题，暂停准入待整改复查。")
            else:
                services.admission_blacklist(actor=jiedao, admission=admission, reason="虚报服务人次、套取补贴，列入黑名单。")


def _funding(ctx, minzheng, operators) -> None:
    """Purchased social-work services, service-station subsidies and rewards, at every stage."""
    from registry.models import Site

    rng, today = ctx.rng, ctx.extra["today"]
    for n, district in enumerate(ctx.districts):
        street = next(s for s in ctx.streets if s.parent_id == district.pk)
        provider = next((o for o in operators if o.operator_kind == OperatorKind.SOCIAL_WORK_AGENCY and
                         o.home_division_id == district.pk), None)
        if provider is not None:
            funding = services.funding_create(
                actor=minzheng, kind=FundingKind.PURCHASE, title=f"{street.name}社工站服务项目（{today.year}年度）",
                number=f"{district.name}民购〔{today.year}〕{n + 1}号", funder=district, division=street, recipient=provider,
                amount=Decimal(rng.choice([280000, 350000, 420000])), starts_on=today - timedelta(days=200),
                ends_on=today + timedelta(days=165), conditions="驻站社工不少于3名；每月服务不少于300人次；按季度提交服务报告。",
                milestones=[{"title": "签约与驻站", "due_on": today - timedelta(days=190), "amount": "100000"},
                            {"title": "中期评估", "due_on": today - timedelta(days=20), "amount": "100000"},
                            {"title": "终期评估", "due_on": today + timedelta(days=160), "amount": "80000"}])
            milestones = list(funding.milestones.all())
            services.milestone_decide(actor=minzheng, milestone=milestones[0], met=True, evidence="驻站协议及社工名单已备案。")
            services.funding_pay(actor=minzheng, funding=funding, amount="100000", paid_on=today - timedelta(days=185),
                                 document=f"{district.name}国库支付{rng.randint(1000, 9999)}", milestone=milestones[0])
            if n % 2 == 0:
                services.milestone_decide(actor=minzheng, milestone=milestones[1], met=True, evidence="第三方中期评估良好。")
    stations = Site.objects.filter(kind=SiteKind.SERVICE_STATION).select_related("division__parent__parent").order_by("code")[:15]
    for n, site in enumerate(stations):
        district = site.division.parent.parent
        funding = services.funding_create(
            actor=minzheng, kind=FundingKind.CONSTRUCTION_SUBSIDY, title=f"{site.name}建设提升补助", funder=district,
            division=site.division, site=site, starts_on=today - timedelta(days=150), ends_on=today + timedelta(days=200),
            number=f"泉民〔{today.year}〕{30 + n}号", conditions="完成功能布局改造并通过验收后全额拨付。",
            milestones=[{"title": "通过验收", "due_on": today - timedelta(days=30) if n % 3 else today + timedelta(days=90),
                         "amount": "100000"}])
        if n % 3:
            milestone = funding.milestones.get()
            services.milestone_decide(actor=minzheng, milestone=milestone, met=True, evidence="验收合格（附验收单与照片）。")
            services.funding_pay(actor=minzheng, funding=funding, amount=funding.amount, paid_on=today - timedelta(days=20),
                                 document=f"泉财拨{rng.randint(1000, 9999)}", milestone=milestone)
            services.funding_close(actor=minzheng, funding=funding, completed=True, note="补助已全额拨付。")
    for community in ctx.communities[:40:8]:
        services.funding_create(actor=minzheng, kind=FundingKind.REWARD, title=f"{community.name}邻里中心以奖代补",
                                funder=community.parent.parent, division=community,
                                amount=Decimal(rng.choice([50000, 80000, 120000])), starts_on=today - timedelta(days=60),
                                ends_on=today + timedelta(days=300), conditions="星级评定达到四星及以上。",
                                milestones=[{"title": "星级评定", "due_on": today + timedelta(days=120), "amount": "0"}])


def _offers(ctx, street, first, shequ, yunying, demo_operator) -> None:
    """中山街道's idle rooms on offer: one open with two proposals, one already given to a partner."""
    from .selectors import idle_rooms_to_offer

    today = ctx.extra["today"]
    idle = [item.room for item in idle_rooms_to_offer(user=User.objects.get(username="jiedao"), within=street, today=today)]
    hours = [{"weekday": 6, "start": "09:00", "end": "12:00"}, {"weekday": 7, "start": "09:00", "end": "12:00"}]
    others = [o for o in Organisation.objects.filter(kind=OrganisationKind.OPERATOR, admissions__division=street,
                                                      admissions__status="admitted").exclude(pk=demo_operator.pk).distinct()[:2]]
    for n, room in enumerate(idle[:2]):
        worker = shequ if room.site.division_id == first.pk else demo_user(f"sq{room.site.division.code}", "社区工作者")
        try:
            offer = services.offer_publish(actor=worker, room=room, title=f"{room.site.name}{room.name}诚邀合作伙伴",
                                           description="该房间周末基本闲置，希望引入面向儿童和老人的公益、低偿服务，运营方承担简单装修。",
                                           categories=["elderly_child", "food_recreation"], hours=hours,
                                           closes_on=today + timedelta(days=30), now=ctx.extra["now"])
        except ApplicationError:
            continue
        proposers = [(demo_operator, yunying), *[(o, demo_user("operator-desk", "经营主体申报窗口")) for o in others]]
        interests = []
        for operator, user in proposers:
            try:
                interests.append(services.interest_submit(
                    actor=user, offer=offer, operator=operator, proposal="周末开设亲子阅读和长者手工课堂，公益为主、材料费低偿。",
                    renovation_cost=Decimal("30000"), now=ctx.extra["now"],
                    services=[{"name": "亲子阅读", "category": "elderly_child", "tier": "free", "price": "0"},
                              {"name": "长者手工", "category": "food_recreation", "tier": "low_cost", "price": "10",
                               "market_price": "30"}]))
            except ApplicationError:
                continue
        if n == 1 and interests:
            services.offer_award(actor=worker, offer=offer, interest=interests[-1], shares=[{"tier": "low_cost", "percent": "3"}],
                                 terms={"mode": "co_operated", "starts_on": today + timedelta(days=14),
                                        "ends_on": today + timedelta(days=14 + 729), "basis_kind": "joint_meeting",
                                        "basis_number": f"{street.name}联席〔{today.year}〕21号", "basis_date": today,
                                        "revenue_distribution": "低偿收入3%注入社区发展基金。"})
