"""The governance step of the demo city: each district's community affairs admission list of 60 affairs
(hosted and assisted by communities, with legal bases and responsible departments, after Huli's 60),
departments' applications admitted and refused, tasks communities refused citing the list, and
五社联动 projects in several communities (most with all five parties; the first community's elderly
meal deliveries are recruited on the platform for its project, so their confirmed hours count there)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from demo.context import DemoContext, demo_user
from org import services as org_services
from org.models import Organisation, OrganisationKind

from . import services
from .services import AffairRow, Contribution

ACTOR = "demo"

# (affair, H = hosted / A = assisted by the community, department, legal basis)
AFFAIRS = [
    ("社区党组织建设和党员教育管理", "H", "民政局", "《中国共产党支部工作条例（试行）》"),
    ("居民委员会换届选举组织实施", "H", "民政局", "《中华人民共和国城市居民委员会组织法》第八条"),
    ("居民会议、居民代表会议组织召开", "H", "民政局", "《中华人民共和国城市居民委员会组织法》第十条"),
    ("居务公开和民主协商议事", "H", "民政局", "《关于加强城乡社区协商的意见》"),
    ("居民公约修订和执行监督", "H", "民政局", "《中华人民共和国城市居民委员会组织法》第十五条"),
    ("最低生活保障申请受理和入户调查", "H", "民政局", "《社会救助暂行办法》第十一条"),
    ("特困人员供养申请受理", "H", "民政局", "《社会救助暂行办法》第十五条"),
    ("临时救助申请受理和急难对象发现报告", "H", "民政局", "《社会救助暂行办法》第四十八条"),
    ("高龄津贴申领初审", "H", "民政局", "《中华人民共和国老年人权益保障法》第三十三条"),
    ("独居、空巢老年人定期探访", "H", "民政局", "《关于建立健全特殊困难老年人探访关爱服务制度的指导意见》"),
    ("困境儿童和留守儿童关爱保护", "H", "民政局", "《中华人民共和国未成年人保护法》第八十二条"),
    ("社区社会组织培育和备案", "H", "民政局", "《关于大力培育发展社区社会组织的意见》"),
    ("社区志愿服务组织和记录", "H", "民政局", "《志愿服务条例》第十四条"),
    ("社区人民调解委员会日常调解", "H", "司法局", "《中华人民共和国人民调解法》第八条"),
    ("社区法律顾问服务对接和普法宣传", "H", "司法局", "《关于推进公共法律服务体系建设的意见》"),
    ("社区矫正对象日常走访协助", "A", "司法局", "《中华人民共和国社区矫正法》第十三条"),
    ("刑满释放人员安置帮教", "A", "司法局", "《关于加强刑满释放人员救助管理工作的意见》"),
    ("残疾人两项补贴申请受理", "H", "残疾人联合会", "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》"),
    ("残疾人证办理咨询和需求调查", "A", "残疾人联合会", "《中华人民共和国残疾人保障法》第九条"),
    ("就业困难人员认定初审和就业援助", "A", "人力资源和社会保障局", "《中华人民共和国就业促进法》第五十二条"),
    ("城乡居民基本养老保险参保登记", "A", "人力资源和社会保障局", "《国务院关于建立统一的城乡居民基本养老保险制度的意见》"),
    ("领取养老金人员资格认证协助", "A", "人力资源和社会保障局", "《社会保险经办条例》"),
    ("城乡居民基本医疗保险参保缴费动员", "A", "医疗保障局", "《中华人民共和国社会保险法》第二十五条"),
    ("医疗救助申请受理", "A", "医疗保障局", "《社会救助暂行办法》第二十九条"),
    ("家庭医生签约服务宣传", "A", "卫生健康局", "《关于推进家庭医生签约服务的指导意见》"),
    ("计划生育特殊家庭联系人制度落实", "A", "卫生健康局", "《关于进一步做好计划生育特殊家庭扶助关怀工作的通知》"),
    ("爱国卫生运动和病媒生物防制", "A", "卫生健康局", "《国务院关于深入开展爱国卫生运动的意见》"),
    ("突发公共卫生事件信息报告协助", "A", "卫生健康局", "《突发公共卫生事件应急条例》第四十条"),
    ("严重精神障碍患者关爱帮扶", "A", "卫生健康局", "《中华人民共和国精神卫生法》第五十五条"),
    ("适龄儿童预防接种通知", "A", "卫生健康局", "《中华人民共和国疫苗管理法》第四十七条"),
    ("退役军人信息采集和走访慰问", "A", "退役军人事务局", "《中华人民共和国退役军人保障法》第七十四条"),
    ("优待证申领初审", "A", "退役军人事务局", "《退役军人、其他优抚对象优待证管理办法》"),
    ("兵役登记和征兵宣传", "A", "人民武装部", "《中华人民共和国兵役法》第十五条"),
    ("流动人口和出租房屋信息采集", "A", "公安分局", "《居住证暂行条例》"),
    ("社区治安防范和群防群治", "A", "公安分局", "《企业事业单位内部治安保卫条例》；《中华人民共和国城市居民委员会组织法》第三条"),
    ("禁毒宣传和吸毒人员社区康复协助", "A", "公安分局", "《中华人民共和国禁毒法》第三十三条"),
    ("反电信网络诈骗宣传", "A", "公安分局", "《中华人民共和国反电信网络诈骗法》第八条"),
    ("矛盾纠纷排查化解和信访代办", "H", "信访局", "《信访工作条例》第十四条"),
    ("网格化服务管理和网格事件上报", "H", "社会工作部", "《关于加强和完善城乡社区治理的意见》"),
    ("应急避难场所管理和疏散演练", "A", "应急管理局", "《中华人民共和国突发事件应对法》第二十九条"),
    ("防灾减灾宣传和灾情信息报告", "A", "应急管理局", "《自然灾害救助条例》第十五条"),
    ("消防安全宣传和隐患排查", "A", "消防救援大队", "《中华人民共和国消防法》第三十二条"),
    ("防汛防台人员转移协助", "A", "应急管理局", "《中华人民共和国防洪法》"),
    ("燃气安全入户宣传", "A", "住房和城乡建设局", "《城镇燃气管理条例》第十五条"),
    ("老旧小区改造意见征集", "A", "住房和城乡建设局", "《国务院办公厅关于全面推进城镇老旧小区改造工作的指导意见》"),
    ("物业服务监督和业主委员会组建指导", "H", "住房和城乡建设局", "《物业管理条例》第十条、第二十条"),
    ("生活垃圾分类宣传督导", "A", "城市管理局", "《中华人民共和国固体废物污染环境防治法》第四十九条"),
    ("违法建设发现和报告", "A", "城市管理局", "《中华人民共和国城乡规划法》第六十四条"),
    ("文明城市创建和移风易俗宣传", "A", "文明办", "《关于进一步推进移风易俗建设文明乡风的指导意见》"),
    ("社区文化体育活动组织", "H", "文化和旅游局", "《中华人民共和国公共文化服务保障法》第三十五条"),
    ("全民阅读和社区书屋管理", "H", "文化和旅游局", "《全民阅读促进条例》"),
    ("妇女儿童权益维护和家庭教育指导", "H", "妇女联合会", "《中华人民共和国妇女权益保障法》；《中华人民共和国家庭教育促进法》第三十七条"),
    ("反家庭暴力告诫协助和庇护转介", "A", "妇女联合会", "《中华人民共和国反家庭暴力法》第十四条"),
    ("青少年课外活动和关爱服务", "A", "共青团区委", "《中华人民共和国未成年人保护法》第四十四条"),
    ("人口普查和经济普查入户登记协助", "A", "统计局", "《全国人口普查条例》第十三条"),
    ("食品安全宣传和隐患信息报告", "A", "市场监督管理局", "《中华人民共和国食品安全法》第十条"),
    ("居家养老服务需求评估协助", "H", "民政局", "《中华人民共和国老年人权益保障法》第三十七条"),
    ("社区服务设施日常管理和开放", "H", "民政局", "《“十四五”城乡社区服务体系建设规划》"),
    ("居民自治组织出具的证明事项", "H", "民政局", "《关于改进社区公共服务的指导意见》；社区依法出具证明事项清单"),
    ("社区慈善和社区发展基金募集动员", "H", "民政局", "《中华人民共和国慈善法》第九十六条"),
]
assert len(AFFAIRS) == 60

EXTRA_DEPARTMENTS = ("残疾人联合会", "医疗保障局", "退役军人事务局", "人民武装部", "公安分局", "信访局", "社会工作部",
                     "应急管理局", "消防救援大队", "住房和城乡建设局", "城市管理局", "文明办", "共青团区委", "统计局",
                     "市场监督管理局")

# Tasks departments asked to hand communities: (task, department, admitted?, reasons or note)
APPLICATIONS = [
    ("电动自行车充电设施安全巡查", "消防救援大队", True, "经区委社会工作部会同司法局审核，纳入协办事项。"),
    ("辖区企业经营数据统计报送", "统计局", False, "属于部门法定职责，不得转嫁社区；请通过“一表通”共享数据。"),
    ("商户门前三包责任书签订", "城市管理局", False, "属于行政执法部门职责，社区无执法权，不予准入。"),
    ("社区创建考核台账填报", "文明办", False, "重复填报，已通过平台共享数据，不予准入。"),
    ("老年人防诈骗专题讲座", "公安分局", None, ""),
]
# Tasks communities refused, citing the list: (task, department)
REFUSED_TASKS = [
    ("为辖区企业办理安全生产许可初审", "应急管理局"),
    ("收取居民有线电视费", "文化和旅游局"),
    ("出具居民无犯罪记录证明", "公安分局"),
    ("开展辖区商户营业执照年检", "市场监督管理局"),
    ("为施工单位出具扰民协调证明", "住房和城乡建设局"),
    ("上门核查企业社保缴费基数", "人力资源和社会保障局"),
    ("填报第二套创建台账", "文明办"),
]
PROJECTS = [
    ("一老一小暖心食堂", "社区长者助餐和“四点半课堂”共建"),
    ("楼道微更新", "老旧小区楼道清理、扶手加装和居民议事"),
    ("邻里守望互助", "独居老人结对探访和应急呼叫"),
    ("社区融合图书角", "共建共享图书角和亲子阅读"),
    ("四点半课堂", "双职工家庭儿童课后托管"),
    ("睦邻市集", "社区市集收益反哺社区基金"),
]


def _departments(ctx: DemoContext, district) -> dict[str, Organisation]:
    found = {}
    for name in EXTRA_DEPARTMENTS:
        full = f"{district.name}{name}"
        organisation = Organisation.objects.filter(name=full).first() or org_services.organisation_create(
            actor=ACTOR, name=full, kind=OrganisationKind.DEPARTMENT, home_division=district, served_divisions=[district])
        found[name] = organisation
    for organisation in Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, home_division=district):
        found.setdefault(organisation.name.removeprefix(district.name), organisation)
    return found


def build_governance(ctx: DemoContext) -> None:
    today = timezone.localdate()
    clerk = demo_user("demo_minzheng_qu", "区民政局科员")
    for index, district in enumerate(ctx.districts):
        departments = _departments(ctx, district)
        rows = [AffairRow(title, "host" if role == "H" else "assist", basis, departments[dept])
                for title, role, dept, basis in AFFAIRS]
        published = today - timedelta(days=380 if index else 200)
        services.affair_list_replace(actor=ACTOR, district=district, rows=rows, effective_on=published,
                                     note=f"{district.name}社区工作事项准入清单（{published.year}年版）")
        if index:
            continue  # the first district shows the workflow; the others have their list, due for review
        for n, (title, dept, admit, words) in enumerate(APPLICATIONS):
            application = services.application_file(
                actor=clerk, district=district, department=departments[dept], title=title, role="assist",
                legal_basis="《中华人民共和国城市居民委员会组织法》第三条", reason="请社区配合开展。",
                now=timezone.now() - timedelta(days=90 - n * 15))
            if admit is True:
                services.application_admit(actor=clerk, application=application, effective_on=published + timedelta(days=60),
                                           note=words)
            elif admit is False:
                services.application_refuse(actor=clerk, application=application, reasons=words)
        communities = [c for c in ctx.communities if c.path.startswith(district.path)]
        for n, (title, dept) in enumerate(REFUSED_TASKS):
            community = communities[n % len(communities)]
            services.task_refuse(actor=demo_user(f"demo_shequ_{community.code}", f"{community.name}社区工作者"),
                                 community=community, department=departments[dept], title=title,
                                 details="该事项不在区社区工作事项准入清单内，依清单退回。",
                                 now=timezone.now() - timedelta(days=40 - n * 5))
    _projects(ctx, today)
    ctx.say("governance: admission lists of 60 affairs, applications, refused tasks and five-party projects")


def _projects(ctx: DemoContext, today) -> None:
    from funds.models import Fund

    rng = ctx.rng
    for n, community in enumerate(ctx.communities[:12]):
        operators = list(Organisation.objects.serving(community).filter(kind=OrganisationKind.OPERATOR).order_by("pk")[:3])
        agencies = [o for o in operators if o.operator_kind == "social_work"]
        charity = Organisation.objects.serving(community).filter(kind=OrganisationKind.CHARITY).order_by("pk").first()
        fund = Fund.objects.filter(division=community).first()
        title, description = PROJECTS[n % len(PROJECTS)]
        parties = [Contribution("community", people=f"{community.name}党委、居委会", hours=Decimal(rng.randint(20, 80)),
                                in_kind="活动场地")]
        if operators:
            parties.append(Contribution("social_org", organisation=operators[0], money=Decimal(rng.randint(2, 20) * 500),
                                        hours=Decimal(rng.randint(30, 120))))
        parties.append(Contribution("social_worker", organisation=agencies[0] if agencies else None,
                                    people="" if agencies else "驻站社工2名", hours=Decimal(rng.randint(40, 160))))
        parties.append(Contribution("volunteers", headcount=rng.randint(8, 40), hours=Decimal(rng.randint(60, 400))))
        if n % 4 != 3:  # every fourth project has not found its charitable resources yet
            if fund is not None:
                parties.append(Contribution("charity", fund=fund, money=Decimal(rng.randint(4, 40) * 1000)))
            elif charity is not None:
                parties.append(Contribution("charity", organisation=charity, money=Decimal(rng.randint(4, 40) * 1000)))
            else:
                parties.append(Contribution("charity", money=Decimal("5000"), note="辖区企业定向捐赠"))
        project = services.project_create(actor=ACTOR, community=community, title=f"{community.name}{title}", description=description,
                                          starts_on=today - timedelta(days=rng.randint(30, 300)), contributions=parties)
        if n == 0:
            _volunteer_opportunities(ctx, project)


def _volunteer_opportunities(ctx: DemoContext, project) -> None:
    """The volunteers' step ran before: the first community's elderly meal deliveries since the project
    began (their hours confirmed, and the next one still recruiting) were recruited for its 一老一小
    project, so its page shows hours recorded on the platform beside those typed by hand. The season's
    history was written in bulk; so is this tie."""
    from volunteers.models import Opportunity

    from .selectors import project_figures

    start = datetime.combine(project.starts_on, time.min, tzinfo=timezone.get_current_timezone())
    linked = Opportunity.objects.filter(community=project.community, title="长者助餐送餐", starts_at__gte=start).update(project=project)
    figures = project_figures([project.pk])[project.pk]
    ctx.say(f"governance: {linked} volunteer opportunities recruited for {project.title}: {figures.recorded_hours} hours recorded, "
            f"{figures.typed_hours} typed")
