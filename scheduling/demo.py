"""The demo city's schedule: ten weeks of bookings in 中山街道's rooms, as they really go.

Evenings and weekends are busy in activity rooms, offices fill on weekdays, some rooms are
hardly used (they show up as idle); most people check in, a few do not (their slots are
released). Courses run as weekly series, the "two representatives one member" rooms rotate
among district departments, a couple of rooms need approval and have requests waiting, and
someone is on a waitlist. History is written as it happened (the services run with the clock
set to each booking's time); what lies ahead is booked through the same services.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import User
from core.errors import Conflict, PermissionDenied, ValidationFailed
from demo.context import DemoContext
from org.models import Organisation, OrganisationKind
from registry.models import Room, RoomUse

from . import services
from .models import Booker, BookingKind

WEEKS_BACK, WEEKS_AHEAD = 6, 4
ACTIVITIES = ["书法班", "银发学堂", "亲子绘本", "太极拳", "合唱团排练", "志愿者例会", "居民议事会", "舞蹈队", "手工坊", "健康讲座", "象棋比赛", "读书会"]
MEETINGS = ["党员大会", "网格员例会", "调解会", "社工督导", "物业协调会", "两委会"]
# Busy in the evening and at weekends; (hour, weight).
EVENING = [(9, 2), (10, 2), (14, 2), (15, 2), (18, 5), (19, 6), (20, 3)]
WEEKEND = [(9, 4), (10, 5), (14, 5), (15, 5), (16, 3), (19, 3)]
OFFICE = [(9, 5), (10, 5), (14, 4), (15, 4), (16, 2)]


def _moment(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def build_schedule(ctx: DemoContext) -> None:
    rng = ctx.rng
    street = ctx.streets[0]
    worker = User.objects.get(username="shequ")
    jiedao = User.objects.get(username="jiedao")
    resident = User.objects.get(username="jumin")
    operator_user = User.objects.get(username="yunying")
    rooms = list(Room.objects.filter(site__division__path__startswith=street.path, closed_on__isnull=True)
                 .select_related("site__division").order_by("site__code", "name"))
    today = timezone.localdate()
    start_day = today - timedelta(weeks=WEEKS_BACK)
    # A quarter of the rooms are barely used (idle); offices are for staff.
    quiet = {room.pk for room in rooms if rng.random() < 0.25 and room.use == RoomUse.SERVICE}
    made = 0
    for room in rooms:
        policy = services.policy_for(room)
        office = room.use == RoomUse.OFFICE
        # The community's own worker books its rooms, the street's admin the others'; residents
        # and the operator book where the room's rules let them.
        staff = worker if Booker.STAFF in services.booker_kinds(worker, room, None) else jiedao
        others = [u for u in (resident, operator_user) if services.booker_kinds(u, room, None) & set(policy.bookers)]
        for offset in range((WEEKS_BACK + WEEKS_AHEAD) * 7):
            day = start_day + timedelta(days=offset)
            weekend = day.isoweekday() >= 6
            if office and weekend:
                continue
            wanted = 0.05 if room.pk in quiet else (0.9 if office else (1.6 if weekend else 1.1))
            for _ in range(int(wanted) + (rng.random() < wanted - int(wanted))):
                hour = rng.choices(*zip(*(OFFICE if office else WEEKEND if weekend else EVENING), strict=True))[0]
                start = _moment(day, hour)
                end = start + timedelta(hours=rng.choice([1, 1, 1.5, 2]))
                booker = staff if office or not others or rng.random() < 0.5 else rng.choice(others)
                title = rng.choice(MEETINGS if office else ACTIVITIES)
                booked_at = min(start - timedelta(hours=rng.randint(2, 72)), timezone.now())
                made += _book_and_attend(rng, actor=booker, room=room, start=start, end=end, title=title,
                                         attendees=max(1, min(room.capacity, rng.randint(4, 30))), booked_at=booked_at,
                                         kind=BookingKind.MEETING if office else BookingKind.ACTIVITY, shows=0.88)
    ctx.say(f"bookings: {made} in {len(rooms)} rooms of {street.name}")
    _regular_groups(ctx, [room for room in rooms if room.pk not in quiet], worker, jiedao, start_day)
    _series_rotations_requests(ctx, rooms, worker, jiedao, resident, operator_user)


def _book_and_attend(rng, *, actor, room, start, end, title, attendees, booked_at, kind, shows: float) -> int:
    """Book as people do (a slot taken, or not bookable then, is given up: they pick another), and for
    a past booking check in, or in the few other cases let it be released as a no-show. 1 if booked."""
    try:
        booking = services.booking_create(actor=actor, room=room, start=start, end=end, title=title,
                                          attendees=attendees, now=booked_at, kind=kind)
    except (ValidationFailed, Conflict):
        return 0
    if end < timezone.now():
        if rng.random() < shows:
            services.booking_check_in(actor=actor, booking=booking, now=start + timedelta(minutes=rng.randint(-10, 10)))
        else:
            services.no_shows_release(now=start + timedelta(minutes=20))
    return 1


# What keeps a used room used: its regular groups, the same hours every week.
REGULAR = {"service": [(range(1, 6), "16:30", "18:30", "四点半课堂"), (range(1, 6), "14:30", "17:00", "老年大学"),
                       (range(6, 8), "09:00", "11:30", "亲子活动")],
           "office": [(range(1, 6), "14:00", "16:30", "工作例会")]}


def _regular_groups(ctx, rooms, worker, jiedao, start_day) -> None:
    """The regular groups of the rooms in use, booked week after week (drawn from a generator of their
    own, so the rest of the city comes out as before): a used room is booked well above the idle share."""
    import random

    rng = random.Random(ctx.seed * 1000 + 14)
    made = 0
    for room in rooms:
        staff = worker if Booker.STAFF in services.booker_kinds(worker, room, None) else jiedao
        slots = REGULAR["office" if room.use == RoomUse.OFFICE else "service"]
        weekdays, start_text, end_text, title = slots[0] if room.use == RoomUse.OFFICE else rng.choice(slots[:2])
        chosen = [(weekdays, start_text, end_text, title)] + ([slots[2]] if room.use != RoomUse.OFFICE and rng.random() < 0.6 else [])
        for offset in range((WEEKS_BACK + WEEKS_AHEAD) * 7):
            day = start_day + timedelta(days=offset)
            for days, start_at, end_at, name in chosen:
                if day.isoweekday() not in days:
                    continue
                start = datetime.combine(day, time.fromisoformat(start_at), tzinfo=timezone.get_current_timezone())
                end = datetime.combine(day, time.fromisoformat(end_at), tzinfo=timezone.get_current_timezone())
                made += _book_and_attend(rng, actor=staff, room=room, start=start, end=end, title=name,
                                         attendees=max(1, min(room.capacity, 20)), booked_at=min(start - timedelta(days=7), timezone.now()),
                                         kind=BookingKind.MEETING if room.use == RoomUse.OFFICE else BookingKind.ACTIVITY, shows=0.93)
    ctx.say(f"regular groups: {made} bookings")


def _series_rotations_requests(ctx, rooms, worker, jiedao, resident, operator_user) -> None:
    rng = ctx.rng
    community = ctx.communities[0]
    own_rooms = [r for r in rooms if r.site.division_id == community.pk and r.use == RoomUse.SERVICE]
    next_monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
    course_room = next((r for r in own_rooms if "多功能" in r.name), own_rooms[0])
    services.series_create(actor=worker, room=course_room, title="银发学堂·智能手机课", dtstart=_moment(next_monday + timedelta(days=2), 9),
                           duration_minutes=90, rrule="FREQ=WEEKLY;COUNT=7", skip_conflicts=True, attendees=20,
                           kind=BookingKind.ACTIVITY)
    # The "two representatives one member" room rotates among the district's departments [Quanzhou].
    departments = list(Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, home_division=community.parent.parent)
                       .order_by("name")[:3])
    for room in [r for r in rooms if "两代表一委员" in r.name][:4]:
        services.rotation_create(actor=worker if room.site.division_id == community.pk else jiedao, room=room,
                                 name="“两代表一委员”工作室轮值", departments=departments,
                                 slots=[{"weekday": 2, "start": "09:00", "end": "11:30"}, {"weekday": 4, "start": "14:30", "end": "17:00"}],
                                 starts_on=next_monday, ends_on=next_monday + timedelta(weeks=8))
    # The two biggest rooms need approval, and have requests waiting.
    for room in sorted(own_rooms, key=lambda r: -r.capacity)[:2]:
        services.policy_update(actor=worker, room=room, data={"approval_required": True})
        for days in (3, 5):
            for hour in (19, 15, 10):
                start = _moment(timezone.localdate() + timedelta(days=days), hour)
                try:
                    services.booking_create(actor=rng.choice([resident, operator_user]), room=room, start=start,
                                            end=start + timedelta(hours=2), title="广场舞队排练", attendees=min(15, room.capacity))
                    break
                except (ValidationFailed, Conflict, PermissionDenied):
                    continue
    # Someone waits for a busy evening.
    busy = services.overlapping
    for room in own_rooms:
        start = _moment(timezone.localdate() + timedelta(days=2), 19)
        if busy(room, start, start + timedelta(hours=1)).exists():
            try:
                services.waitlist_join(actor=resident, room=room, start=start, end=start + timedelta(hours=1), title="邻里茶话会")
                break
            except (ValidationFailed, Conflict):
                continue
    ctx.say("series, rotations, requests and a waitlist")


# Units' open resources (驻区单位开放资源) [Xishan]: a school's sports ground, a company's car park and an
# agency's meeting room in 中山街道, opened to the residents of their communities, with requests
# over the past weeks and the coming ones — most approved by the unit, one refused, some waiting.
OPEN_UNITS = [
    # (unit, username of its staff, staff name, resource, category, hours, capacity, area, rules)
    ("实验小学", "danwei", "郑老师", "运动场", "sports", "周六、周日 08:00-18:00；周一至周五 18:00-21:00", 200, "6000",
     "运动场在课余时间向本社区居民开放。请穿运动鞋，不得带宠物入场，不得吸烟；未成年人须由家长陪同。"),
    ("信达科技有限公司", "danwei2", "孙经理", "地面停车场", "parking", "每天 00:00-08:00、19:00-24:00", 40, "1200",
     "夜间及节假日向居民开放车位，早上八点前驶离。请按指定车位停放，凭预约信息入场。"),
    ("区市场监督管理局", "danwei3", "何科长", "三楼会议室", "meeting", "周一至周五 14:00-17:00；周六 09:00-12:00", 40, "80",
     "可用于居民议事会、业委会会议等公益活动，不得用于商业活动；使用后请恢复桌椅。"),
]
OPEN_REQUESTS = ["亲子足球", "广场舞排练", "业委会会议", "楼栋议事会", "羽毛球友谊赛", "夜间停车", "居民议事会", "篮球队训练"]


def build_open_resources(ctx: DemoContext) -> None:
    from decimal import Decimal

    from accounts import services as account_services
    from accounts.demo import _account
    from accounts.models import Role
    from demo.context import demo_user
    from org import services as org_services
    from registry.hours import parse_hours

    rng = ctx.rng
    street = ctx.streets[0]
    communities = [c for c in ctx.communities if c.parent_id == street.pk][:3]
    resident = User.objects.get(username="jumin")
    today = timezone.localdate()
    units, resources = [], []
    for index, (name, username, person, resource_name, category, hours, capacity, area, rules) in enumerate(OPEN_UNITS):
        community = communities[index % len(communities)]
        unit = org_services.organisation_create(actor="demo", name=name, kind=OrganisationKind.UNIT, home_division=street,
                                                served_divisions=[community], address=f"{community.name}{rng.randint(1, 99)}号")
        staff = (_account(ctx, username, person, Role.UNIT_STAFF, organisation=unit) if index == 0 else demo_user(username, person))
        if index:
            account_services.role_assign(actor="demo", user=staff, role=Role.UNIT_STAFF, organisation=unit)
        units.append(unit)
        resource = services.open_resource_register(
            actor=staff, unit=unit, community=community, name=resource_name, category=category,
            opening_hours=parse_hours(hours), rules=rules, capacity=capacity, area=Decimal(area),
            max_minutes=12 * 60 if category == "parking" else 240, today=today - timedelta(days=42))
        resources.append((resource, staff))
    ctx.organisations["unit"] = units

    residents = {communities[0].pk: [resident]}
    for community in communities:
        people = residents.setdefault(community.pk, [])
        for n in range(3 - len(people)):
            person = demo_user(f"jm{community.code}{n}", f"{community.name}居民{n + 1}")
            account_services.role_assign(actor="demo", user=person, role=Role.RESIDENT, division=community)
            people.append(person)

    made = approved = 0
    for resource, staff in resources:
        people = residents[resource.room.site.division_id]
        week = services.weekly_hours(resource.room, services.policy_for(resource.room))
        for offset in range(-21, 14):
            day = today + timedelta(days=offset)
            ranges = week.get(str(day.isoweekday()), [])
            if not ranges or rng.random() > 0.35:
                continue
            begin, end = ranges[-1]
            first, last = int(begin[:2]), (int(end[:2]) if end != "24:00" else 24)
            if last - first < 1:
                continue
            hour = rng.randint(first, last - 1)
            start = _moment(day, hour)
            asked = start - timedelta(days=rng.randint(1, 3)) if offset < 0 else timezone.now()
            try:
                booking = services.open_resource_book(actor=rng.choice(people), resource=resource, start=start,
                                                      end=start + timedelta(hours=1), title=rng.choice(OPEN_REQUESTS),
                                                      attendees=rng.randint(1, min(20, resource.room.capacity)), now=asked)
            except (Conflict, PermissionDenied, ValidationFailed):
                continue
            made += 1
            if offset >= 0 and rng.random() < 0.4:
                continue  # waits for the unit
            refuse = rng.random() < 0.1
            services.booking_decide(actor=staff, booking=booking, approve=not refuse, now=min(asked + timedelta(hours=3), start),
                                    note="当天场地另有安排，请改约其他时间。" if refuse else "")
            approved += not refuse
    ctx.say(f"units' open resources: {len(resources)}, requests {made}, approved {approved}")
