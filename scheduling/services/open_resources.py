"""Units' open resources (驻区单位开放资源) [Xishan]: a school, company or agency in the area registers
a car park, sports ground or meeting room it opens to residents, with its hours and rules; residents
and community staff book it through the same schedule as community rooms, and the unit's staff
approve or refuse the requests.

A resource is a room of the register (a site of kind *shared external resource* in the community
where it is, ``host_unit`` naming the unit) with booking rules that always ask for approval, and an
``OpenResource`` row saying whose it is. Only the staff of that unit decide its requests
(``booking_decide`` refuses anyone else).
"""

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, diff, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import clean_or_raise
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from registry import services as registry_services
from registry.hours import format_hours
from registry.models import PropertyClass, PropertySource, SiteKind
from rulepack.selectors import param

from ..models import Booker, Booking, OpenResource, ResourceCategory, RoomPolicy
from .bookings import booking_create
from .rooms import policy_update
from .rules import _any_hours, bookable_intervals, policy_for, weekly_hours

# Who books a unit's resource unless the unit says otherwise: residents, and the community's staff.
DEFAULT_BOOKERS = [Booker.RESIDENT, Booker.STAFF]
RESOURCE_FIELDS = {"name", "category", "rules", "opening_hours", "capacity", "area", "address", "max_minutes"}


def unit_staff_of(user, unit: Organisation) -> bool:
    """Whether ``user`` works for ``unit`` (holds the unit-staff role at it)."""
    return any(a.role == Role.UNIT_STAFF and a.organisation_id == unit.pk for a in active_roles(user))


def units_of(user) -> list[Organisation]:
    """The units ``user`` works for."""
    return [a.organisation for a in active_roles(user) if a.role == Role.UNIT_STAFF and a.organisation_id]


def _serves(unit: Organisation, division: Division) -> bool:
    return any(division.path.startswith(d.path) for d in unit.served_divisions.all())


def _check_unit(actor, unit: Organisation) -> None:
    if unit.kind != OrganisationKind.UNIT:
        raise ValidationFailed(fields={"unit": [_("Only a unit in the area (a school, company or agency) opens resources here.")]})
    if not unit_staff_of(actor, unit):
        raise PermissionDenied(_("Only the staff of %(unit)s can register or change its resources.") % {"unit": unit.name})


def _check_hours(week: dict) -> None:
    if not _any_hours(week):
        raise ValidationFailed(fields={"opening_hours": [_("Say when the resource is open, e.g. 周六、周日 08:00-18:00.")]})


@transaction.atomic
def open_resource_register(
    *, actor, unit: Organisation, community: Division, name: str, category: str, opening_hours: dict, rules: str = "",
    capacity: int = 0, area: Decimal = Decimal("50"), address: str = "", bookers: list[str] | None = None,
    max_minutes: int = 240, open_until: date | None = None, today: date | None = None,
) -> OpenResource:
    """Open a resource of ``unit`` to the residents of ``community``: its place in the register (lent by
    the unit until ``open_until``, a year by default), its booking rules (always approved by the unit)
    and its row. The community must be one the unit is in (among the divisions it serves)."""
    _check_unit(actor, unit)
    today = today or timezone.localdate()
    open_until = open_until or today.replace(year=today.year + 1, day=28 if (today.month, today.day) == (2, 29) else today.day)
    if open_until <= today:
        raise ValidationFailed(fields={"open_until": [_("The resource must stay open until a day after today.")]})
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Choose the community where the resource is.")]})
    if not _serves(unit, community):
        raise ValidationFailed(_("%(community)s is not in the area of %(unit)s: a unit opens resources only where it is.")
                               % {"community": community.name, "unit": unit.name},
                               fields={"community": [_("Not in the unit's area.")]})
    if category not in ResourceCategory.values:
        raise ValidationFailed(fields={"category": [_("Choose parking, sports ground, meeting room or other.")]})
    if not name.strip():
        raise ValidationFailed(fields={"name": [_("Give the resource a name.")]})
    _check_hours(opening_hours)
    site = registry_services.site_create(
        actor=actor, division=community, name=f"{unit.name}{name.strip()}"[:120], kind=SiteKind.SHARED_EXTERNAL,
        host_unit=unit.name[:120], address=address or unit.address, floor_area=area, property_class=PropertyClass.OTHER,
        property_source=PropertySource.BORROWED, owner_name=unit.name[:120], lease_start=today, lease_end=open_until,
        opening_hours=opening_hours,
        parking_spaces=capacity if category == ResourceCategory.PARKING else 0)
    room = registry_services.room_create(actor=actor, site=site, name=name.strip()[:80], area=area, capacity=capacity,
                                         opening_hours=opening_hours)
    # The room is new: its rules are written with it (the audit entry below says what was opened).
    bookers = bookers or DEFAULT_BOOKERS
    if not bookers or set(bookers) - set(Booker.values):
        raise ValidationFailed(fields={"bookers": [_("Choose who may book: staff, departments, operators, residents.")]})
    policy = RoomPolicy(room=room, bookers=list(bookers), approval_required=True, max_minutes=max_minutes,
                        no_show_minutes=int(param(division=community, key="scheduling.no_show_minutes")))
    clean_or_raise(policy)
    policy.save()
    room.policy = policy
    resource = OpenResource.objects.create(room=room, unit=unit, category=category, rules=rules.strip(),
                                           opened_on=today, created_by=actor)
    audit_record(actor=actor, action="scheduling.open_resource.registered", target=resource, division=community,
                 organisation=unit, changes={"room": room.pk, "category": category, "rules": resource.rules,
                                             "opened_on": resource.opened_on})
    return resource


def _locked(resource: OpenResource) -> OpenResource:
    return OpenResource.objects.select_for_update(of=("self",)).select_related("room__site__division", "unit").get(pk=resource.pk)


@transaction.atomic
def open_resource_update(*, actor, resource: OpenResource, data: dict) -> OpenResource:
    """Change a resource's name, category, rules, hours, capacity, area, address or who may book it."""
    resource = _locked(resource)
    _check_unit(actor, resource.unit)
    unknown = set(data) - RESOURCE_FIELDS
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be set here.")] for name in unknown})
    if resource.withdrawn_on is not None:
        raise Conflict(_("This resource was withdrawn; register it again to open it."))
    before = snapshot(resource, ["category", "rules"])
    if "category" in data:
        if data["category"] not in ResourceCategory.values:
            raise ValidationFailed(fields={"category": [_("Choose parking, sports ground, meeting room or other.")]})
        resource.category = data["category"]
    if "rules" in data:
        resource.rules = (data["rules"] or "").strip()
    resource.save(update_fields=["category", "rules"])
    room, site = resource.room, resource.room.site
    if "opening_hours" in data:
        _check_hours(data["opening_hours"])
    room_data = {k: data[k] for k in ("name", "capacity", "area", "opening_hours") if k in data}
    if "name" in room_data:
        room_data["name"] = room_data["name"].strip()[:80]
    site_data = {k: data[k] for k in ("address", "opening_hours") if k in data}
    if "area" in data and Decimal(data["area"]) > site.floor_area:
        site_data["floor_area"] = data["area"]
    if site_data:
        registry_services.site_update(actor=actor, site=site, data=site_data)
    if room_data:
        room = registry_services.room_update(actor=actor, room=room, data=room_data)
    policy_data = {k: data[k] for k in ("max_minutes",) if k in data}
    if policy_data:
        policy_update(actor=actor, room=room, data=policy_data)
    changes = diff(before, snapshot(resource, ["category", "rules"]))
    if changes:
        audit_record(actor=actor, action="scheduling.open_resource.updated", target=resource, division=site.division,
                     organisation=resource.unit, changes=changes)
    resource.room = room
    return resource


@transaction.atomic
def open_resource_withdraw(*, actor, resource: OpenResource, reason: str, today: date | None = None) -> OpenResource:
    """The unit stops opening the resource: no new bookings; those already made stand."""
    resource = _locked(resource)
    _check_unit(actor, resource.unit)
    if resource.withdrawn_on is not None:
        raise Conflict(_("This resource was already withdrawn."))
    if not reason.strip():
        raise ValidationFailed(fields={"reason": [_("Say why the resource is withdrawn.")]})
    resource.withdrawn_on = max(today or timezone.localdate(), resource.opened_on)
    resource.withdrawn_reason = reason.strip()[:200]
    resource.save(update_fields=["withdrawn_on", "withdrawn_reason"])
    policy_update(actor=actor, room=resource.room, data={"bookable": False})
    audit_record(actor=actor, action="scheduling.open_resource.withdrawn", target=resource,
                 division=resource.room.site.division, organisation=resource.unit, note=resource.withdrawn_reason)
    return resource


def open_hours_problem(resource: OpenResource, start: datetime, end: datetime) -> str | None:
    """Why ``[start, end)`` is outside the hours the unit opens the resource; None if it is inside them."""
    room = resource.room
    policy = policy_for(room)
    day = timezone.localtime(start).date()
    if end > start and any(begin <= start and end <= finish for begin, finish in bookable_intervals(room, policy, day)):
        return None
    return str(_("%(unit)s opens this resource only at these hours: %(hours)s.")
               % {"unit": resource.unit.name, "hours": format_hours(weekly_hours(room, policy)) or _("none")})


def open_resource_book(
    *, actor, resource: OpenResource, start: datetime, end: datetime, title: str, attendees: int = 1, purpose: str = "",
    now: datetime | None = None,
) -> Booking:
    """Ask to use a unit's resource: a request the unit's staff approve, through the room's schedule."""
    if resource.withdrawn_on is not None:
        raise Conflict(_("%(unit)s no longer opens this resource.") % {"unit": resource.unit.name})
    problem = open_hours_problem(resource, start, end)
    if problem:
        raise ValidationFailed(problem, fields={"starts_at": [problem]})
    return booking_create(actor=actor, room=resource.room, start=start, end=end, title=title, attendees=attendees,
                          purpose=purpose, now=now, origin=f"open_resource:{resource.pk}")


def may_decide(actor, room_id: int) -> tuple[bool, OpenResource | None]:
    """Whether ``actor`` may approve or refuse bookings of the room ``room_id``, as far as units are
    concerned: a unit's resource is decided by its staff only (anyone else: False, with the resource)."""
    resource = OpenResource.objects.filter(room_id=room_id).select_related("unit").first()
    if resource is None:
        return True, None
    return unit_staff_of(actor, resource.unit), resource
