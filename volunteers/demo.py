"""The demo city's volunteers, in 中山街道's first community (where `shequ` works and `jumin` lives):
a season of weekly opportunities (elderly meals, waste sorting, safety patrols, the phone class) with
applications and confirmed hours, two teams (the community's 红马甲 and 心桥's), building heads and
grid volunteers, and this week's opportunities with hours awaiting confirmation and one `jumin` is
accepted for. The season's history is written in bulk with the time banks and month totals computed
from it (as ``services.record_confirm`` keeps them); what is happening now goes through the services.
"""

import secrets
from datetime import datetime, time, timedelta

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from demo.context import DemoContext
from neighbourhood.services import operator_of
from org.models import Division, DivisionLevel

from . import services
from .models import (
    AGREEMENT_VERSION,
    Application,
    ApplicationStatus,
    HoursMonthTotal,
    Opportunity,
    RecordStatus,
    ServiceRecord,
    Skill,
    TeamMembership,
    Volunteer,
)

POSTS = [
    ("长者助餐送餐", ["elderly_care", "driving"], "社区长者食堂", 11, 90, 4),
    ("垃圾分类桶边督导", ["environment"], "各小区投放点", 7, 120, 6),
    ("平安巡逻", ["safety"], "社区北门集合", 19, 120, 5),
    ("银发学堂智能手机助教", ["digital", "elderly_care"], "党群服务中心二楼", 14, 90, 3),
]
SKILL_CHOICES = Skill.values


def _moment(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=timezone.get_current_timezone())


def build_volunteers(ctx: DemoContext) -> None:
    rng = ctx.rng
    community = ctx.communities[0]
    worker, jumin, operator_user = (User.objects.get(username=name) for name in ("shequ", "jumin", "yunying"))
    now = timezone.now()
    residents = list(User.objects.filter(role_assignments__division=community, role_assignments__role=Role.RESIDENT,
                                         role_assignments__revoked_at__isnull=True).exclude(pk=jumin.pk).distinct().order_by("pk")[:45])
    # jumin signs up on her phone; her neighbours signed up over the past months.
    services.volunteer_register(actor=jumin, community=community, real_name=jumin.display_name or "居民", phone="13900000001",
                                skills=["elderly_care", "digital"], availability=["2:morning", "6:morning", "6:afternoon"], consent=True,
                                now=now - timedelta(days=120))
    people = Volunteer.objects.bulk_create([Volunteer(
        user=u, community=community, real_name=u.display_name or u.username, phone=f"139{rng.randint(10_000_000, 99_999_999)}",
        skills=sorted(rng.sample(SKILL_CHOICES, k=rng.randint(1, 3)), key=SKILL_CHOICES.index),
        availability=sorted({f"{rng.randint(1, 7)}:{rng.choice(['morning', 'afternoon', 'evening'])}" for _ in range(3)}),
        agreement_version=AGREEMENT_VERSION, consented_at=now - timedelta(days=rng.randint(100, 200)),
        created_at=now - timedelta(days=rng.randint(100, 200))) for u in residents])
    everyone = [Volunteer.objects.get(user=jumin), *people]
    # Teams: the community's own, and the operator's.
    red = services.team_create(actor=worker, community=community, name="红马甲志愿服务队", leader=worker,
                               description="社区党员和热心居民组成，负责助老、巡逻和垃圾分类督导。", now=now - timedelta(days=110))
    operator = next((o for o in operator_of(operator_user) if services.organises_for(operator_user, community, o)), None)
    teams = [red]
    if operator is not None:
        teams.append(services.team_create(actor=operator_user, community=community, organisation=operator, name=f"{operator.name}志愿服务队",
                                          description="机构社工带领的助老志愿者。", now=now - timedelta(days=100)))
    TeamMembership.objects.bulk_create([TeamMembership(team=rng.choice(teams) if v is not everyone[0] else red, volunteer=v,
                                                       joined_at=now - timedelta(days=90)) for v in everyone])
    # Building heads and grid volunteers at the community's grids.
    grids = list(Division.objects.filter(parent=community, level=DivisionLevel.GRID).order_by("code"))
    for index, grid in enumerate(grids[:4]):
        services.grid_role_assign(actor=worker, volunteer=everyone[1 + index * 2], grid=grid, role="building_head",
                                  building=f"{index * 3 + 1}号楼", now=now - timedelta(days=80))
        services.grid_role_assign(actor=worker, volunteer=everyone[2 + index * 2], grid=grid, role="grid_volunteer", now=now - timedelta(days=80))
    # The season: twelve weeks of weekly opportunities, each filled and its hours confirmed a day later.
    today = timezone.localdate()
    opportunities, applications, records = [], [], []
    for week in range(12, 0, -1):
        for index, (title, skills, place, hour, minutes, places) in enumerate(POSTS):
            day = today - timedelta(days=week * 7 - index)
            starts = _moment(day, hour)
            organiser = operator if index == 3 and operator is not None else None
            opportunities.append(Opportunity(
                community=community, organiser=organiser, team=teams[-1] if organiser else red, title=title, skills=skills, places=places,
                accepted_count=0, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), place=place, code_secret=secrets.token_hex(16),
                created_by=operator_user if organiser else worker, created_at=starts - timedelta(days=5)))
    opportunities = Opportunity.objects.bulk_create(opportunities)
    for item in opportunities:
        chosen = rng.sample(everyone, k=min(len(everyone), rng.randint(2, item.places)))
        item.accepted_count = len(chosen)
        confirmer = operator_user if item.organiser_id else worker
        for v in chosen:
            applications.append(Application(opportunity=item, volunteer=v, status=ApplicationStatus.ACCEPTED,
                                             applied_at=item.created_at + timedelta(hours=rng.randint(1, 48)), decided_by=confirmer,
                                             decided_at=item.created_at + timedelta(days=2)))
            signed_in = item.starts_at - timedelta(minutes=rng.randint(0, 15))
            signed_out = item.ends_at + timedelta(minutes=rng.randint(-10, 10))
            minutes = int((signed_out - signed_in).total_seconds() // 60)
            records.append(ServiceRecord(volunteer=v, opportunity=item, community=community, signed_in_at=signed_in, signed_out_at=signed_out,
                                         minutes=minutes, status=RecordStatus.CONFIRMED, confirmed_by=confirmer,
                                         confirmed_at=item.ends_at + timedelta(days=1)))
    Opportunity.objects.bulk_update(opportunities, ["accepted_count"])
    Application.objects.bulk_create(applications)
    ServiceRecord.objects.bulk_create(records, batch_size=2000)
    # The kept totals, computed from the records as record_confirm keeps them.
    for volunteer_id, minutes in (ServiceRecord.objects.filter(status=RecordStatus.CONFIRMED).values_list("volunteer_id")
                                  .annotate(m=Sum("minutes")).order_by()):
        Volunteer.objects.filter(pk=volunteer_id).update(confirmed_minutes=minutes)
    months: dict = {}
    for record in records:
        key = timezone.localtime(record.signed_in_at).date().replace(day=1)
        months[key] = months.get(key, 0) + record.minutes
    HoursMonthTotal.objects.bulk_create([HoursMonthTotal(community=community, month=m, minutes=v) for m, v in sorted(months.items())])
    # This week, through the services: yesterday's patrol awaits confirmation; jumin is accepted for the next meal delivery.
    patrol = services.opportunity_publish(actor=worker, community=community, team=red, title="平安巡逻", skills=["safety"], places=4,
                                          starts_at=now - timedelta(hours=26), ends_at=now - timedelta(hours=24), place="社区北门集合",
                                          auto_accept=True, now=now - timedelta(days=3))
    for v in people[:3]:
        services.application_submit(actor=v.user, opportunity=patrol, now=now - timedelta(days=2))
        services.sign_in(actor=v.user, opportunity=patrol, code=services.sign_code(patrol, patrol.starts_at), now=patrol.starts_at)
        services.sign_out(actor=v.user, opportunity=patrol, code=services.sign_code(patrol, patrol.ends_at), now=patrol.ends_at)
    meals = services.opportunity_publish(actor=worker, community=community, team=red, title="长者助餐送餐", skills=["elderly_care"], places=4,
                                         starts_at=_moment(today + timedelta(days=2), 11),
                                         ends_at=_moment(today + timedelta(days=2), 11) + timedelta(minutes=90), place="社区长者食堂",
                                         description="为辖区独居老人送午餐，每人约6户。", now=now)
    application = services.application_submit(actor=jumin, opportunity=meals, now=now)
    services.application_decide(actor=worker, application=application, accept=True, now=now)
    services.opportunity_publish(actor=worker, community=community, title="社区义诊引导", skills=["medical"], places=6,
                                 starts_at=_moment(today + timedelta(days=5), 9), ends_at=_moment(today + timedelta(days=5), 11),
                                 place="党群服务中心", auto_accept=True, now=now)
    total = sum(r.minutes for r in records) / 60
    ctx.say(f"volunteers: {len(everyone)} in {community.name}, {len(teams)} teams, {len(opportunities) + 3} opportunities, "
            f"{len(records)} records, {total:.0f} hours confirmed")
