"""The demo city's accounts: one for every role, at nodes next to each other, so that a visitor
can sign in as a neighbour and see that each sees only their own part of the city."""

from demo.context import ACTOR, DEMO_PASSWORD, DemoContext

from . import services
from .models import Role, User


def _account(ctx: DemoContext, username: str, name: str, role: str, *, division=None, organisation=None, phone=None):
    user = User.objects.filter(username=username).first() or services.user_create(
        actor=ACTOR, username=username, password=DEMO_PASSWORD, display_name=name, phone=phone, check_password=False,
    )
    services.role_assign(actor=ACTOR, user=user, role=role, division=division, organisation=organisation)
    ctx.accounts.append((username, str(Role(role).label), (organisation or division).name))
    return user


def build_users(ctx: DemoContext) -> None:
    city, district = ctx.city, ctx.districts[0]
    street, neighbour_street = ctx.streets[0], ctx.streets[1]
    community, neighbour = ctx.communities[0], ctx.communities[1]
    operator = next(o for o in ctx.organisations["operator"] if community in o.served_divisions.all())
    charity = ctx.organisations["charity"][0]

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create_superuser("admin", "admin@example.org", DEMO_PASSWORD, display_name="系统管理员")
    ctx.accounts.append(("admin", "系统管理员 / system administrator", "—"))
    _account(ctx, "minzheng", "王建国", Role.SUPERVISOR, division=city)
    _account(ctx, "minzheng_qu", "林美华", Role.SUPERVISOR, division=district)
    _account(ctx, "jiedao", "陈志强", Role.STREET_ADMIN, division=street)
    _account(ctx, "jiedao2", "黄丽萍", Role.STREET_ADMIN, division=neighbour_street)
    _account(ctx, "shequ", "李晓燕", Role.COMMUNITY_WORKER, division=community)
    _account(ctx, "shequ2", "张伟", Role.COMMUNITY_WORKER, division=neighbour)
    _account(ctx, "yunying", "刘洋", Role.OPERATOR_STAFF, organisation=operator)
    _account(ctx, "cishan", "周敏", Role.CHARITY_STAFF, organisation=charity)
    _account(ctx, "jijin", "吴国平", Role.FUND_COMMITTEE, division=community)
    _account(ctx, "jumin", "赵阿姨", Role.RESIDENT, division=community, phone="13800000001")
    ctx.say(f"accounts: {len(ctx.accounts)}")
