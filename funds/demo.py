"""The demo city's funds: a year of community development funds at 泉溪市慈善总会.

About half of the communities have a fund [Zibo: "约55%的社区"], each led by its party
committee, with a committee of three, donations from residents and firms (some anonymous,
some targeted), operators' revenue shares and market proceeds over the past twelve months, and
the district's seed money matching eligible donations by the rule pack [Xishan]. Projects go
through every stage; 中山街道's first community (where `shequ`, `jijin` and `cishan` work) has
one at each, so every role finds something waiting.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from demo.context import DemoContext, demo_user

from . import services
from .models import DonorKind, IncomeKind

SHARE_WITH_FUND = 0.55
FIRMS = ["泉溪银行", "海丰物业", "闽南食品", "东湖建设", "鑫源超市", "安康医药", "星光教育", "恒达物流"]
PEOPLE = ["陈先生", "林女士", "黄阿姨", "张大爷", "吴先生", "郑女士", "王老师", "刘师傅", "蔡女士", "许先生"]
PROJECTS = [
    ("老旧小区车棚修缮", "micro_renovation", "3号楼至8号楼居民", 260, "修缮车棚顶棚，加装电动车充电桩。", "12000.00"),
    ("重阳节走访慰问", "visits", "80岁以上独居老人", 45, "走访并送慰问品，登记需求。", "6000.00"),
    ("四点半课堂服务", "services", "双职工家庭小学生", 60, "购买社工机构课后托管服务一学期。", "18000.00"),
    ("邻里文化节", "events", "全体居民", 800, "文艺汇演、睦邻集市与亲子游园。", "8000.00"),
    ("困难家庭助学", "hardship", "低保与低边家庭学生", 12, "每人每学期助学金。", "9600.00"),
    ("楼道照明改造", "micro_renovation", "2号楼居民", 48, "更换声控灯，修复线路。", "3500.00"),
    ("春节困难户慰问", "visits", "低保家庭", 30, "送年货与慰问金。", "7500.00"),
    ("长者助餐补贴", "hardship", "70岁以上老人", 90, "社区食堂每餐补贴2元。", "10800.00"),
    ("社区花园微更新", "micro_renovation", "全体居民", 600, "闲置角落改造为共享花园。", "15000.00"),
]


def _income_year(ctx: DemoContext, fund, today: date) -> None:
    rng = ctx.rng
    for month_back in range(12, 0, -2):  # every other month, to keep the demo build short
        day = today - timedelta(days=30 * month_back - rng.randint(0, 20))
        for _ in range(rng.choice([0, 1, 1])):
            anonymous = rng.random() < 0.3
            services.income_record(actor="demo", fund=fund, kind=IncomeKind.PUBLIC_DONATION, donor_kind=DonorKind.INDIVIDUAL,
                                   amount=Decimal(rng.choice([100, 200, 200, 500, 500, 1000, 2000])), donor_name=rng.choice(PEOPLE),
                                   anonymous=anonymous, received_on=day, receipt_no=f"闽慈票{day:%Y%m}{rng.randint(10000, 99999)}")
        if rng.random() < 0.2:
            services.income_record(actor="demo", fund=fund, kind=IncomeKind.TARGETED_DONATION, donor_kind=DonorKind.ENTERPRISE,
                                   amount=Decimal(rng.choice([5000, 10000, 20000])), donor_name=rng.choice(FIRMS),
                                   purpose=rng.choice(["助老助餐", "困难家庭帮扶", "儿童课后服务", "小区微改造"]), received_on=day,
                                   receipt_no=f"闽慈票{day:%Y%m}{rng.randint(10000, 99999)}")
        if rng.random() < 0.5:
            services.income_record(actor="demo", fund=fund, kind=IncomeKind.OPERATOR_SHARE, donor_kind=DonorKind.ORGANISATION,
                                   amount=Decimal(rng.randint(1600, 12000)), donor_name="社区运营机构双月反哺",
                                   received_on=day, source_document=f"运营月报-{day:%Y-%m}")
        if rng.random() < 0.2:
            services.income_record(actor="demo", fund=fund, kind=rng.choice([IncomeKind.MARKET, IncomeKind.MICRO_BUSINESS]),
                                   donor_kind=DonorKind.ORGANISATION, amount=Decimal(rng.randint(300, 3000)),
                                   donor_name=rng.choice(["睦邻集市", "社区微业·便民洗衣", "社区微业·裁缝铺"]), received_on=day)


def _project(fund, worker, members, charity_staff, spec, stage: str):
    """A project taken as far as ``stage``."""
    title, kind, beneficiaries, count, plan, budget = spec
    project = services.project_propose(actor=worker, fund=fund, title=title, kind=kind, budget=budget, beneficiaries=beneficiaries,
                                       beneficiary_count=count, plan=plan)
    if stage == "review":
        services.project_vote(actor=members[1], project=project, choice="yes", comment="需求明确，同意。")
        return project
    if stage == "withdrawn":
        return services.project_withdraw(actor=worker, project=project, reason="已由街道项目覆盖")
    rejected = stage == "rejected"
    for n, member in enumerate(members):
        choice = "recused" if member == worker else "no" if rejected and n else "yes"
        comment = {"recused": "本人为提案人，回避。", "no": "预算偏高，建议压缩。"}.get(choice, "同意。")
        services.project_vote(actor=member, project=project, choice=choice, comment=comment)
    if stage in ("rejected", "endorsed"):
        return project
    services.project_apply(actor=worker, project=project)
    if stage == "applied":
        return project
    approve = stage != "returned"
    services.project_decide(actor=charity_staff, project=project, approve=approve, note="同意拨付。" if approve else "请补充三家报价单。")
    if stage in ("returned", "approved"):
        return project
    half = (project.budget / 2).quantize(Decimal("0.01"))
    services.project_disburse(actor=charity_staff, project=project, amount=half, payee="承接单位", document=f"付-{project.pk}-1")
    services.evidence_add(actor=worker, project=project, description="第一期支出", amount=half, invoice_no=f"发票-{project.pk}-1")
    if stage == "disbursing":
        return project
    services.project_disburse(actor=charity_staff, project=project, amount=project.budget - half, payee="承接单位",
                              document=f"付-{project.pk}-2")
    services.evidence_add(actor=worker, project=project, description="第二期支出", amount=project.budget - half,
                          invoice_no=f"发票-{project.pk}-2")
    return services.project_complete(actor=worker, project=project, report="项目按计划完成，受益居民满意度调查良好，照片与票据已归档。")


def build_funds(ctx: DemoContext) -> None:
    from accounts.models import RoleAssignment
    from org.models import Organisation

    today = timezone.localdate()
    host = Organisation.objects.get(name="泉溪市慈善总会")
    charity_staff = User.objects.get(username="cishan")
    for district in ctx.districts:
        fund = services.fund_create(actor="demo", division=district, host=host, name=f"{district.name}社会治理基金",
                                    led_by=f"{district.name}委社会工作部", founding_document=f"{district.name}民发〔2025〕12号",
                                    founded_on=today - timedelta(days=400))
        services.income_record(actor="demo", fund=fund, kind=IncomeKind.APPROPRIATION, donor_kind=DonorKind.GOVERNMENT,
                               amount=Decimal("1500000.00"), donor_name=f"{district.name}财政局", received_on=today - timedelta(days=380),
                               source_document=f"{district.name}财预〔2025〕88号")
    first = ctx.communities[0]
    chosen = [c for c in ctx.communities if c == first or ctx.rng.random() < SHARE_WITH_FUND]
    stages = ["completed", "completed", "disbursing", "approved", "applied", "review", "rejected", "returned", "withdrawn"]
    for number, community in enumerate(chosen, start=1):
        fund = services.fund_create(actor="demo", division=community, host=host, led_by=f"{community.name}党委",
                                    founding_document=f"泉慈基〔2025〕{number}号", founded_on=today - timedelta(days=370),
                                    purpose="取之于社区、用之于社区：修缮改造、走访慰问、购买服务、活动筹办与困难帮扶。")
        if community == first:
            members = [User.objects.get(username="jijin"), demo_user("weiyuan_1", "许秀兰"), demo_user("weiyuan_2", "蔡明辉")]
            worker = User.objects.get(username="shequ")
        else:
            members = [demo_user(f"wy{community.code}_{n}", f"{community.name}委员{n + 1}") for n in range(3)]
            worker = next((a.user for a in RoleAssignment.objects.filter(division=community, role="community_worker")
                           .select_related("user")[:1]), members[0])
        for n, member in enumerate(members):
            services.member_add(actor="demo", fund=fund, user=member, side=["party", "residents", "donors"][n], is_chair=n == 0)
        _income_year(ctx, fund, today)
        if community == first:
            # This fund pays out for three of its projects: a donation for them keeps the build from
            # depending on how much the random year brought in (a lean year left 858 yuan for 3000).
            needed = sum(Decimal(spec[-1]) for spec, stage in zip(PROJECTS, stages, strict=True) if stage in ("completed", "disbursing"))
            services.income_record(actor="demo", fund=fund, kind=IncomeKind.TARGETED_DONATION, donor_kind=DonorKind.ENTERPRISE,
                                   amount=needed, donor_name=FIRMS[0], purpose="小区微改造", received_on=today - timedelta(days=200),
                                   receipt_no=f"闽慈票{today - timedelta(days=200):%Y%m}00001")
            for spec, stage in zip(PROJECTS, stages, strict=True):
                _project(fund, worker, members, charity_staff, spec, stage)
        elif community.parent_id == first.parent_id or ctx.rng.random() < 0.15:
            for _ in range(ctx.rng.choice([1, 2])):
                spec, stage = ctx.rng.choice(PROJECTS[:6]), ctx.rng.choice(["completed", "disbursing", "review"])
                fund.account.refresh_from_db(fields=["balance"])
                if stage != "review" and fund.account.balance < Decimal(spec[-1]):
                    stage = "review"  # a lean year: the committee has not the money to pay it yet
                _project(fund, worker, members, charity_staff, spec, stage)
        ctx.progress("funds", number, len(chosen))
    ctx.say(f"funds: {len(chosen)} of {len(ctx.communities)} communities have a fund, {len(ctx.districts)} district funds")
