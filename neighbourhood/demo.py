"""The demo city's smart neighbourhood, in 中山街道's first communities (where `shequ` works and
`jumin` lives): residents with their households, a needs list of every category with support
and some needs planned or met, a season of activities — ten-week courses and one-off events,
past and coming, booked in the rooms — with registrations, waitlists and check-ins (so
person-times add up), service orders at every step, and feedback in every state, some overdue.

History is written as it happened: the services run with the clock set to each moment.
Residents other than `jumin` are made in bulk without passwords (they never sign in).
"""

import io
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Role, RoleAssignment, User
from core.errors import ApplicationError
from demo.context import DemoContext
from registry.models import Room, RoomUse

from . import selectors, services
from .models import NeedStatus, Registration, RegistrationStatus
from .textmatch import similarity

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔"
GIVEN = ["秀英", "桂英", "建国", "志强", "丽娟", "海燕", "国平", "玉兰", "明", "静", "伟", "芳", "敏", "强", "磊", "洋", "艳", "勇", "军", "杰"]
COURSES = [
    ("银发学堂·智能手机课", "elderly_child", "elderly", "free", "0", 20, 2, "教老人用微信、挂号、扫码乘车，防范电信诈骗。"),
    ("少儿书画班", "elderly_child", "children", "low_cost", "20.00", 16, 2, "开心社工机构老师授课，作品年底展出。"),
    ("太极拳与八段锦", "medical_wellness", "elderly", "free", "0", 30, 1, "社区卫生服务中心康复师带练。"),
    ("家政技能培训（育婴员）", "employment_business", "job_seekers", "free", "0", 25, 1, "结业可报考育婴员证书，推荐上岗。"),
]
EVENTS = [
    ("中秋手工月饼", "food_recreation", "families", "low_cost", "15.00", 24, "亲子一起做月饼，材料费15元。"),
    ("老年人健康体检", "medical_wellness", "elderly", "free", "0", 60, "家庭医生团队现场体检、测血压血糖。"),
    ("急救知识培训（AED）", "medical_wellness", "adults", "free", "0", 40, "学会心肺复苏与使用AED。"),
    ("睦邻集市", "food_recreation", "everyone", "free", "0", 200, "二手交换、手工义卖，部分收入注入社区基金。"),
    ("防诈骗讲座", "elderly_child", "elderly", "free", "0", 50, "派出所民警讲解常见骗局。"),
    ("亲子绘本故事会", "elderly_child", "families", "free", "0", 20, "周末上午，适合3–8岁儿童和家长。"),
    ("社区招聘会", "employment_business", "job_seekers", "free", "0", 80, "20家企业现场招聘，提供简历指导。"),
    ("垃圾分类宣传活动", "living_environment", "everyone", "free", "0", 40, "学分类、领积分、换礼品。"),
]
NEEDS = [
    ("elderly_meals", "小区附近想要老年助餐点", 38), ("after_school", "双职工家庭需要四点半课堂", 31),
    ("elevator_installation", "6号楼想加装电梯", 27), ("bike_shed", "电动车充电桩不够，楼道飞线充电危险", 24),
    ("family_doctor", "希望家庭医生每周来坐诊", 19), ("smartphone_help", "教老人用智能手机", 17),
    ("infant_care", "附近缺少托育机构", 15), ("fitness_facilities", "健身器材老化需要更新", 12),
    ("skills_training", "想参加技能培训找工作", 11), ("square_dance", "晚上跳舞的场地不够", 9),
    ("rehabilitation", "康复理疗服务", 8), ("reading_room", "希望图书室周末开放", 7), ("parking_spaces", "停车难", 6),
    ("home_repair", "便民维修点", 6), ("mental_health", "独居老人心理疏导", 5), ("startup_advice", "想开网店，需要指导", 4),
    ("garbage_sorting", "垃圾分类督导", 4), ("holiday_care", "暑期托管", 3), ("community_canteen", "社区食堂", 3),
    ("job_fair", "在家门口办招聘会", 2),
]
FEEDBACK = [
    ("environment_sanitation", "3号楼门口垃圾两天没有清运，气味很大。", "3号楼门口"),
    ("public_facilities", "中心广场健身器材扶手断了，老人容易摔倒。", "中心广场"),
    ("noise", "楼上装修每天到晚上九点多还在敲。", "5号楼2单元"),
    ("parking", "消防通道被私家车长期占用。", "北门消防通道"),
    ("greening", "树枝伸到窗户边，台风天担心砸窗。", "8号楼东侧"),
    ("road_drainage", "路口一下雨就积水，没法过。", "幸福路与中山路口"),
    ("illegal_construction", "一楼住户私自搭建阳光房占用公共绿地。", "2号楼一楼"),
    ("property_management", "电梯经常停运，物业维修很慢。", "6号楼"),
    ("safety_hazard", "楼道电线老化裸露。", "4号楼3单元"),
    ("street_vending", "小区门口流动摊贩占道，早上堵车。", "南门"),
    ("neighbour_dispute", "楼上漏水到我家，协商不成。", "7号楼"),
    ("activity_service", "希望书画班增加周末班。", ""),
]


def _moment(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _residents(ctx: DemoContext, community, count: int, start: int) -> list[User]:
    rng = ctx.rng
    password = make_password(None)
    users = User.objects.bulk_create([
        User(username=f"jumin_{community.code[-6:]}_{start + i:03d}", password=password,
             display_name=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}") for i in range(count)])
    RoleAssignment.objects.bulk_create([RoleAssignment(user=u, role=Role.RESIDENT, division=community, granted_at=timezone.now())
                                        for u in users])
    return users


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 140, 110)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def build_neighbourhood(ctx: DemoContext) -> None:
    rng = ctx.rng
    community, neighbour = ctx.communities[0], ctx.communities[1]
    worker, jumin = User.objects.get(username="shequ"), User.objects.get(username="jumin")
    operator_user = User.objects.get(username="yunying")
    people = _residents(ctx, community, 80, 0)
    _residents(ctx, neighbour, 20, 0)
    everyone = [jumin, *people]
    # Households: jumin lives with her grandson; most residents say who lives with them.
    services.household_save(actor=jumin, address="3-2-501", members=3, tags=["elderly", "child"], consent=True)
    for person in people[:40]:
        tags = rng.sample(["elderly", "elderly", "elderly_alone", "child", "infant", "job_seeker", "disabled"], k=rng.choice([0, 1, 1, 2]))
        services.household_save(actor=person, address=f"{rng.randint(1, 12)}-{rng.randint(1, 3)}-{rng.randint(1, 6)}0{rng.randint(1, 4)}",
                                members=rng.randint(1, 5), tags=tags, consent=bool(tags))
    ctx.say(f"residents: {len(everyone)} in {community.name}, 20 in {neighbour.name}; {min(41, len(everyone))} households")
    needs = _needs(ctx, community, worker, jumin, everyone)
    activities = _activities(ctx, community, worker, operator_user, everyone)
    _orders(ctx, community, worker, operator_user, jumin, everyone, needs)
    _feedback(ctx, community, worker, jumin, everyone)
    _ratings(ctx, community, activities)
    # The community invites 心桥 (found by matching) to run a canteen for older people; it has not answered yet.
    operator = next(o for o in services.operators_in_scope(community) if o in services.operator_of(operator_user))
    services.invitation_send(actor=worker, need=needs["elderly_meals"], operator=operator, service_name="长者助餐点",
                             message="居民支持度最高的需求，社区可提供一楼活动室做助餐点，请来商谈。")
    if activities:
        services.need_mark(actor=worker, need=needs["smartphone_help"], status=NeedStatus.MET, activity=activities[0],
                           note="银发学堂开设智能手机课")


def _needs(ctx, community, worker, jumin, everyone) -> dict:
    rng = ctx.rng
    kinds = {k.code: k for k in selectors.need_kinds().filter(code__in=[code for code, _t, _n in NEEDS])}
    made = {}
    for index, (code, title, supporters) in enumerate(NEEDS):
        recorder = jumin if code in ("elderly_meals", "smartphone_help") else worker if index % 4 == 3 else everyone[index + 1]
        need = services.need_record(actor=recorder, community=community, kind=kinds[code], title=title,
                                    on_behalf_of=f"{rng.randint(1, 12)}号楼居民" if recorder == worker else "")
        for person in rng.sample([p for p in everyone if p != recorder], k=min(supporters, len(everyone) - 1)):
            services.need_support(actor=person, need=need)
        made[code] = need
    services.need_mark(actor=worker, need=made["after_school"], status=NeedStatus.PLANNED, note="与开心社工机构商谈，下学期开班")
    services.need_mark(actor=worker, need=made["fitness_facilities"], status=NeedStatus.MET, note="社区基金微改造项目已更换器材")
    services.need_mark(actor=worker, need=made["parking_spaces"], status=NeedStatus.DECLINED, note="小区内无可用空地，已协调周边单位错时停车")
    ctx.say(f"needs: {len(made)} with {sum(n for _c, _t, n in NEEDS)} supports")
    return made


def _free_room(rooms, start, end):
    from scheduling.models import HOLDING, Booking

    for room in rooms:
        if not Booking.objects.filter(room=room, status__in=HOLDING, starts_at__lt=end, blocked_until__gt=start).exists():
            return room
    return None


def _activities(ctx, community, worker, operator_user, everyone) -> list:
    from scheduling import services as scheduling

    rng = ctx.rng
    street_admin = User.objects.get(username="jiedao")
    rooms = list(Room.objects.filter(site__division=community, use=RoomUse.SERVICE, closed_on__isnull=True, capacity__gte=16)
                 .select_related("site__division").order_by("-capacity"))
    for room in rooms:
        scheduling.policy_update(actor=worker, room=room, data={"horizon_days": 120, "approval_required": False})
    today = timezone.localdate()
    made, check_ins = [], 0
    # Courses: ten weeks, started six weeks ago (morning slots on weekdays).
    for index, (title, category, audience, tier, price, capacity, weekday, description) in enumerate(COURSES):
        first = today - timedelta(weeks=6) + timedelta(days=(weekday + index - (today - timedelta(weeks=6)).isoweekday()) % 7)
        start = _moment(first, 9 + (index % 2) * 5, 0)
        published_at = start - timedelta(days=10)
        room = _free_room([r for r in rooms if r.capacity >= capacity], start, start + timedelta(minutes=90))
        by_operator = index == 1
        try:
            activity = services.activity_publish(
                actor=operator_user if by_operator else worker, community=community, title=title, category=category, audience=audience,
                tier=tier, price=price, capacity=capacity, room=room, place="" if room else "社区广场", starts_at=start,
                ends_at=start + timedelta(minutes=90), rrule="FREQ=WEEKLY;COUNT=10", description=description, now=published_at)
        except ApplicationError:
            activity = services.activity_publish(
                actor=operator_user if by_operator else worker, community=community, title=title, category=category, audience=audience,
                tier=tier, price=price, capacity=capacity, place="社区活动中心二楼", starts_at=start, ends_at=start + timedelta(minutes=90),
                rrule="FREQ=WEEKLY;COUNT=10", description=description, now=published_at)
        made.append(activity)
        check_ins += _fill(ctx, activity, everyone, published_at, courses=True)
    # One-off events over the season: past ones with check-ins, coming ones open for registration.
    for index, (title, category, audience, tier, price, capacity, description) in enumerate(EVENTS):
        day = today + timedelta(days=-40 + index * 9 + rng.randint(0, 3))
        start = _moment(day, rng.choice([9, 10, 15, 19]), 0)
        published_at = min(start - timedelta(days=7), timezone.now())
        room = _free_room([r for r in rooms if r.capacity >= min(capacity, 40)], start, start + timedelta(hours=2)) if capacity <= 60 else None
        capacity = min(capacity, room.capacity) if room and room.capacity else capacity
        street_wide = title == "社区招聘会"  # the street's, for all its communities
        values = {"actor": street_admin if street_wide else worker, "community": community.parent if street_wide else community,
                  "title": title, "category": category, "audience": audience, "tier": tier, "price": price, "capacity": capacity,
                  "starts_at": start, "ends_at": start + timedelta(hours=2), "description": description, "now": published_at,
                  "places_per_registration": 2 if audience == "families" else 1, "waitlist": title != "睦邻集市"}
        try:
            activity = services.activity_publish(room=room, place="" if room else "社区中心广场", **values)
        except ApplicationError:  # the room was taken after all: out in the square
            activity = services.activity_publish(room=None, place="社区中心广场", **values)
        made.append(activity)
        check_ins += _fill(ctx, activity, everyone, published_at, courses=False)
    ctx.say(f"activities: {len(made)} ({len(COURSES)} ten-week courses), {check_ins} check-ins")
    return made


def _fill(ctx, activity, everyone, published_at, *, courses: bool) -> int:
    """Registrations as people made them, a cancellation that moves the waitlist up, check-ins at past sessions."""
    rng = ctx.rng
    jumin = everyone[0]
    wanted = min(len(everyone), activity.capacity + (4 if activity.waitlist else 0))
    people = rng.sample(everyone[1:], k=wanted - 1)
    if activity.title == "亲子绘本故事会":
        people.append(jumin)  # she asked late: the waitlist
    elif activity.audience in ("elderly", "families", "everyone") and activity.title != "家政技能培训（育婴员）":
        people.insert(rng.randint(0, 3), jumin)
    moment = published_at + timedelta(hours=1)
    for person in people:
        moment += timedelta(minutes=rng.randint(3, 90))
        if moment > activity.registration_closes_at:
            break
        places = 2 if activity.places_per_registration > 1 and rng.random() < 0.5 else 1
        try:
            services.registration_create(actor=person, activity=activity, places=places, now=min(moment, timezone.now()))
        except ApplicationError:
            continue
    registered = list(Registration.objects.filter(activity=activity, status=RegistrationStatus.REGISTERED).exclude(user=jumin))
    if registered and activity.waitlisted_places:
        services.registration_cancel(actor=registered[-1].user, registration=registered[-1],
                                     now=min(moment, activity.starts_at - timedelta(days=1), timezone.now()))
    count = 0
    now = timezone.now()
    staff = activity.created_by
    for session in activity.sessions.filter(ends_at__lt=now):
        for registration in Registration.objects.filter(activity=activity, status=RegistrationStatus.REGISTERED):
            if rng.random() > (0.85 if courses else 0.9):
                continue
            at = session.starts_at + timedelta(minutes=rng.randint(-15, 10))
            if rng.random() < 0.6:
                services.check_in_with_code(actor=registration.user, activity=activity, code=activity.attendance_code,
                                            method="qr", now=at)
            else:
                services.check_in(actor=staff, session=session, registration=registration, now=at)
            count += 1
    return count


def _orders(ctx, community, worker, operator_user, jumin, everyone, needs) -> None:
    rng = ctx.rng
    operators = list(services.operators_in_scope(community))
    operator = next(o for o in operators if operator_user.role_assignments.filter(organisation=o).exists())
    offered = list(services.services_in_scope(community))
    rooms = list(Room.objects.filter(site__division=community, use=RoomUse.SERVICE, closed_on__isnull=True).select_related("site__division"))
    plans = [
        (jumin, "elderly_child", "母亲需要每周助浴一次", "rated"), (everyone[3], "living_environment", "厨房水管漏水，请师傅上门", "rated"),
        (everyone[4], "medical_wellness", "上门测血压，楼里几位老人一起", "delivered"), (everyone[5], "elderly_child", "孩子暑期托管", "scheduled"),
        (everyone[6], "food_recreation", "想组织一次邻里百家宴", "accepted"), (jumin, "medical_wellness", "康复理疗（膝关节）", "placed"),
        (everyone[7], "employment_business", "简历修改和面试辅导", "cancelled"), (everyone[8], "living_environment", "换锁", "declined"),
        (everyone[9], "elderly_child", "老人陪诊", "placed"),
    ]
    now = timezone.now()
    for index, (person, category, title, target) in enumerate(plans):
        start = now - timedelta(days=20 - index * 2)
        # An agreed service when one is what the resident asks for; otherwise an order of the category.
        service = next((s for s in offered if s.category == category and similarity(title, f"{s.name} {s.description}") > 0.2), None)
        chosen = None if target == "placed" and index % 2 else operator
        order = services.order_place(actor=person, service=service, operator=None if service else chosen, category=category,
                                     title="" if service else title, details=title, preferred_time="工作日上午",
                                     pooled=index == 2, need=needs.get("elderly_meals") if index == 0 and not service else None, now=start)
        if index == 2:
            for other in everyone[20:24]:
                services.order_join(actor=other, order=order, now=start + timedelta(hours=2))
        if target == "cancelled":
            services.order_cancel(actor=person, order=order, reason="已自行解决", now=start + timedelta(hours=5))
            continue
        if target == "placed":
            continue
        if target == "declined":
            services.order_decline(actor=operator_user, order=order, reason="本机构暂无开锁资质，请联系公安备案的开锁公司", now=start + timedelta(hours=3))
            continue
        if order.operator is not None and order.operator not in services.operator_of(operator_user):
            continue  # another operator's agreed service: it waits for them
        services.order_accept(actor=operator_user, order=order, operator=order.operator or operator, now=start + timedelta(hours=3))
        if target == "accepted":
            continue
        if target == "scheduled" or category in ("medical_wellness", "food_recreation"):
            day = (now + timedelta(days=3)) if target == "scheduled" else (start + timedelta(days=2))
            for hour in (9, 10, 14, 15, 16):
                begin = _moment(timezone.localtime(day).date(), hour)
                room = _free_room(rooms, begin, begin + timedelta(hours=1))
                if room is None:
                    continue
                try:
                    services.order_schedule(actor=worker, order=order, room=room, start=begin, end=begin + timedelta(hours=1),
                                            now=min(begin - timedelta(hours=20), now))
                    break
                except ApplicationError:
                    continue
        if target == "scheduled":
            continue
        done = start + timedelta(days=3)
        services.order_deliver(actor=operator_user, order=order, people_served=order.participants, note="已完成", now=done)
        if target == "rated":
            services.order_rate(actor=person, order=order, rating=rng.choice([4, 5, 5]), comment="师傅很耐心", now=done + timedelta(hours=6))
    ctx.say(f"service orders: {len(plans)} at every step")


COMMENTS = {5: ["老师很耐心，下次还来", "组织得很好", "很实用"], 4: ["挺好的，时间再长一点就好了", "不错"],
            3: ["一般，场地有点挤"], 2: ["报名了但临时改时间，没通知到"]}


def _ratings(ctx, community, activities) -> None:
    """Residents rate what they took part in, a few days after, and how their closed feedback was handled."""
    from django.db.models import Max

    from .models import Attendance, FeedbackRequest

    rng, now, given = ctx.rng, timezone.now(), 0
    for activity in activities:
        last = dict(Attendance.objects.filter(session__activity=activity).values_list("registration__user").annotate(
            last=Max("session__ends_at")).values_list("registration__user", "last"))
        people = {u.pk: u for u in User.objects.filter(pk__in=last)}
        for user_id, ended in sorted(last.items()):
            moment = ended + timedelta(hours=rng.randint(2, 72))
            if rng.random() > 0.6 or moment > now:
                continue
            stars = rng.choices([5, 4, 3, 2], weights=[55, 30, 10, 5])[0]
            try:
                services.activity_rate(actor=people[user_id], activity=activity, stars=stars, comment=rng.choice(COMMENTS[stars]),
                                       now=moment)
                given += 1
            except ApplicationError:
                continue
    for item in FeedbackRequest.objects.filter(community=community, closed_at__isnull=False).select_related("submitted_by"):
        if rng.random() < 0.8:
            services.feedback_rate(actor=item.submitted_by, request=item, stars=rng.choice([5, 5, 4, 3]),
                                   now=min(item.closed_at + timedelta(hours=rng.randint(1, 30)), now))
            given += 1
    ctx.say(f"ratings by residents: {given} (activities and feedback)")


def _feedback(ctx, community, worker, jumin, everyone) -> None:
    rng = ctx.rng
    street_admin = User.objects.get(username="jiedao")
    now = timezone.now()
    notes = {"accepted": "已受理，安排网格员核实", "in_progress": "已转物业/执法队处理，预计本周完成", "resolved": "已处理完毕，感谢反映",
             "rejected": "经核实属于业主之间民事纠纷，已告知通过人民调解或诉讼解决"}
    targets = ["resolved", "resolved", "in_progress", "accepted", "submitted", "resolved", "in_progress", "resolved", "accepted",
               "submitted", "rejected", "resolved"]
    for index, ((category, text, where), target) in enumerate(zip(FEEDBACK, targets, strict=True)):
        person = jumin if index in (0, 2, 11) else everyone[10 + index]
        submitted = now - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 12))
        item = services.feedback_submit(actor=person, category=category, description=text, address=where, now=submitted,
                                        photo=_photo() if index in (0, 1, 8) else None,
                                        # Most senders show their request publicly; a dispute between neighbours stays private.
                                        public=category != "neighbour_dispute" and index % 4 != 3,
                                        latitude=f"{float(community.latitude or 24.5) + rng.uniform(-0.003, 0.003):.6f}",
                                        longitude=f"{float(community.longitude or 118.1) + rng.uniform(-0.003, 0.003):.6f}")
        handler = worker if item.routed_to_id == community.pk else street_admin
        moment = submitted
        steps = {"submitted": [], "accepted": ["accepted"], "in_progress": ["accepted", "in_progress"],
                 "resolved": ["accepted", "in_progress", "resolved"], "rejected": ["rejected"]}[target]
        for step in steps:
            moment = min(moment + timedelta(hours=rng.randint(2, 60)), now)
            services.feedback_update(actor=handler, request=item, status=step, public_note=notes[step], now=moment)
    ctx.say(f"feedback: {len(FEEDBACK)} requests in every state")
