"""Service orders: placed alone or joined by neighbours, accepted, scheduled in a room, delivered (which checks in the room), rated or cancelled; and residents' ratings of activities."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from notifications.services import notify
from org.models import Division, Organisation

from ..models import (
    Activity,
    ActivityRating,
    Attendance,
    Need,
    NeedKind,
    OrderEvent,
    OrderMember,
    OrderStatus,
    ServiceCategory,
    ServiceOrder,
)
from .activities import _check_room
from .base import (
    _choice,
    _require_resident_of,
    _text,
    invalid,
    operator_of,
    operator_serves,
    operators_in_scope,
    resident_community,
    rule_value,
    services_in_scope,
    staff_reaches,
)


def _order_event(order: ServiceOrder, before: str, actor, note: str, now: datetime) -> None:
    OrderEvent.objects.create(order=order, from_status=before, to_status=order.status, actor=actor, note=note[:300], at=now)
    audit_record(actor=actor, action=f"neighbourhood.order.{order.status}", target=order, division=order.community,
                 organisation=order.operator, changes={"status": [before, order.status]}, note=note)


def _lock_order(order: ServiceOrder) -> ServiceOrder:
    return ServiceOrder.objects.select_for_update(of=("self",)).select_related("community", "operator", "resident").get(pk=order.pk)


def _moving(order: ServiceOrder, allowed: set[str]) -> str:
    if order.status not in allowed:
        raise Conflict(_("The order is %(status)s; this step is not possible now.") % {"status": order.get_status_display()},
                       code="wrong_status")
    return order.status


@transaction.atomic
def order_place(*, actor, title: str, category: str = "", details: str = "", preferred_time: str = "",
                service=None, operator: Organisation | None = None, kind: NeedKind | None = None,
                need: Need | None = None, pooled: bool = False, participants: int = 1, now: datetime | None = None) -> ServiceOrder:
    """A resident orders in their community: a service agreed there (space for service), or
    anything of a category from one operator in scope, or from whichever operator in scope accepts
    first. A service or operator from outside the community is refused."""
    now = now or timezone.now()
    community = resident_community(actor)
    if community is None:
        raise PermissionDenied(_("Only residents order services."))
    tier, price, service_name = "", None, ""
    if service is not None:
        if not services_in_scope(community).filter(pk=service.pk).exists():
            raise ValidationFailed(_("This service is not offered in your community."),
                                   fields={"service": [_("This service is not offered in your community.")]}, code="outside_community")
        operator, category = service.agreement.operator, service.category
        tier, price, service_name = service.tier, service.price, service.name
    _choice(category, ServiceCategory, "category")
    if operator is not None and not operator_serves(operator, community):
        raise ValidationFailed(_("This service is not offered in your community."),
                               fields={"operator": [_("%(operator)s does not serve %(community)s.") % {
                                   "operator": operator.name, "community": community.name}]}, code="outside_community")
    if need is not None and need.community_id != community.pk:
        raise invalid("need", _("This need is not in your community."))
    most = int(rule_value(community, "neighbourhood.order_participants_max"))
    if not 1 <= participants <= most:
        raise invalid("participants", _("From 1 to %(n)s people.") % {"n": most})
    order = ServiceOrder.objects.create(
        community=community, resident=actor, category=category, kind=kind, need=need,
        title=_text(title or service_name, "title", max_length=120),
        details=_text(details, "details", max_length=2000, required=False),
        preferred_time=_text(preferred_time, "preferred_time", max_length=120, required=False), operator=operator,
        service=service, service_name=service_name[:200], tier=tier, price=price, pooled=pooled, participants=participants, created_at=now)
    OrderMember.objects.create(order=order, user=actor)
    _order_event(order, "", actor, "", now)
    if operator is not None:
        for assignment in operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
            notify(user=assignment.user, title=_("New order: %(title)s") % {"title": order.title}, body=community.name,
                   url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_join(*, actor, order: ServiceOrder, now: datetime | None = None) -> ServiceOrder:
    """Another resident with the same need joins a pooled order."""
    now = now or timezone.now()
    order = _lock_order(order)
    _require_resident_of(actor, order.community)
    if not order.pooled:
        raise Conflict(_("This order is not open for others to join."))
    _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED})
    most = int(rule_value(order.community, "neighbourhood.order_participants_max"))
    if order.participants >= most:
        raise Conflict(_("This order already has %(n)s people, the most one order takes.") % {"n": most}, code="order_full")
    try:
        with transaction.atomic():
            OrderMember.objects.create(order=order, user=actor)
    except IntegrityError:
        raise Conflict(_("You are already in this order.")) from None
    order.participants += 1
    order.save(update_fields=["participants", "updated_at"])
    audit_record(actor=actor, action="neighbourhood.order.joined", target=order, division=order.community,
                 changes={"participants": order.participants})
    return order


@transaction.atomic
def order_accept(*, actor, order: ServiceOrder, operator: Organisation, now: datetime | None = None) -> ServiceOrder:
    """An operator in scope takes the order (one operator only: the row is locked)."""
    now = now or timezone.now()
    order = _lock_order(order)
    if operator not in operator_of(actor):
        raise PermissionDenied(_("You accept orders for your own organisation only."))
    if order.operator_id is not None and order.operator_id != operator.pk:
        raise PermissionDenied(_("This order was placed with another operator."))
    if not operators_in_scope(order.community, category=order.category).filter(pk=operator.pk).exists():
        raise PermissionDenied(_("Your organisation is not in scope for this service in %(community)s.") % {"community": order.community.name})
    before = _moving(order, {OrderStatus.PLACED})
    order.operator, order.status = operator, OrderStatus.ACCEPTED
    order.save(update_fields=["operator", "status", "updated_at"])
    _order_event(order, before, actor, "", now)
    notify(user=order.resident, title=_("%(operator)s accepted your order “%(title)s”") % {"operator": operator.name, "title": order.title},
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_decline(*, actor, order: ServiceOrder, reason: str, now: datetime | None = None) -> ServiceOrder:
    """The operator an order was placed with declines it, saying why."""
    now = now or timezone.now()
    order = _lock_order(order)
    if order.operator is None or order.operator not in operator_of(actor):
        raise PermissionDenied(_("Only the operator the order was placed with can decline it."))
    before = _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED})
    reason = _text(reason, "reason", max_length=300)
    order.status = OrderStatus.DECLINED
    order.save(update_fields=["status", "updated_at"])
    _order_event(order, before, actor, reason, now)
    notify(user=order.resident, title=_("Your order “%(title)s” was declined") % {"title": order.title}, body=reason,
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_schedule(*, actor, order: ServiceOrder, room, start: datetime, end: datetime, now: datetime | None = None) -> ServiceOrder:
    """The community supplies the venue and time (社区供单): a room booked through scheduling."""
    from scheduling import services as scheduling
    from scheduling.models import BookingKind

    now = now or timezone.now()
    order = _lock_order(order)
    if not staff_reaches(actor, order.community):
        raise PermissionDenied(_("The community's staff set the venue and time."))
    before = _moving(order, {OrderStatus.ACCEPTED})
    _check_room(order.community, room, order.participants)
    booking = scheduling.booking_create(actor=actor, room=room, start=start, end=end, title=order.title, attendees=order.participants,
                                        organisation=order.operator, kind=BookingKind.SERVICE, now=now, origin=f"order:{order.pk}",
                                        purpose=str(_("Service order")))
    order.booking, order.status = booking, OrderStatus.SCHEDULED
    order.save(update_fields=["booking", "status", "updated_at"])
    when = f"{timezone.localtime(start):%Y-%m-%d %H:%M}–{timezone.localtime(end):%H:%M} {room.site.name} {room.name}"
    _order_event(order, before, actor, when, now)
    for user in {order.resident, *[m.user for m in order.members.select_related("user")]}:
        notify(user=user, title=_("“%(title)s”: venue and time set") % {"title": order.title}, body=when, url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_deliver(*, actor, order: ServiceOrder, people_served: int | None = None, note: str = "",
                  now: datetime | None = None) -> ServiceOrder:
    """The operator confirms the service was delivered (and how many people it served)."""
    now = now or timezone.now()
    order = _lock_order(order)
    if order.operator is None or order.operator not in operator_of(actor):
        raise PermissionDenied(_("Only the operator who accepted the order confirms delivery."))
    before = _moving(order, {OrderStatus.ACCEPTED, OrderStatus.SCHEDULED})
    if order.booking_id and order.booking.starts_at > now:
        raise Conflict(_("The service is set for %(at)s; confirm delivery after it.") % {
            "at": timezone.localtime(order.booking.starts_at).strftime("%Y-%m-%d %H:%M")})
    served = people_served if people_served is not None else order.participants
    most = int(rule_value(order.community, "neighbourhood.people_served_max"))
    if not 0 <= served <= most:
        raise invalid("people_served", _("From 0 to %(n)s people.") % {"n": most})
    order.status, order.people_served = OrderStatus.DELIVERED, served
    order.save(update_fields=["status", "people_served", "updated_at"])
    # A delivered order used its room: its booking counts as checked in.
    from scheduling import services as scheduling

    scheduling.booking_record_check_in(booking=order.booking, at=now, by=actor, source=str(
        _("Service order “%(title)s” delivered") % {"title": order.title}))
    _order_event(order, before, actor, _text(note, "note", max_length=300, required=False), now)
    notify(user=order.resident, title=_("“%(title)s” is done: how was it?") % {"title": order.title},
           url=f"/neighbourhood/orders/{order.pk}/")
    return order


@transaction.atomic
def order_rate(*, actor, order: ServiceOrder, rating: int, comment: str = "", now: datetime | None = None) -> ServiceOrder:
    now = now or timezone.now()
    order = _lock_order(order)
    if order.resident_id != actor.pk:
        raise PermissionDenied(_("Only the person who ordered rates the service."))
    before = _moving(order, {OrderStatus.DELIVERED})
    delivered_at = order.events.filter(to_status=OrderStatus.DELIVERED).values_list("at", flat=True).last() or now
    days = int(rule_value(order.community, "neighbourhood.rating_days"))
    if now - delivered_at > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days})
    if not 1 <= int(rating) <= 5:
        raise invalid("rating", _("Give 1 to 5 stars."))
    order.status, order.rating = OrderStatus.RATED, int(rating)
    order.rating_comment = _text(comment, "comment", max_length=300, required=False)
    order.save(update_fields=["status", "rating", "rating_comment", "updated_at"])
    _order_event(order, before, actor, f"{order.rating}★ {order.rating_comment}".strip(), now)
    _centres_rated_again(order.community)
    return order


def _stars(value) -> int:
    try:
        stars = int(value)
    except (TypeError, ValueError):
        stars = 0
    if isinstance(value, bool) or not 1 <= stars <= 5 or str(value).strip() not in {str(stars), f"{stars}.0"}:
        raise invalid("stars", _("Give 1 to 5 stars."))
    return stars


def _centres_rated_again(place: Division) -> None:
    """Residents' stars are the satisfaction in the star rating of the centres serving ``place``: rate them
    again once this transaction commits."""
    from registry.services import ratings_refresh_for_place

    ratings_refresh_for_place(division=place)


@transaction.atomic
def activity_rate(*, actor, activity: Activity, stars: int, comment: str = "", now: datetime | None = None) -> ActivityRating:
    """A resident who checked in at an activity rates it, once, within the pack's days after their last session there."""
    now = now or timezone.now()
    activity = Activity.objects.select_related("community").get(pk=activity.pk)
    last = Attendance.objects.filter(registration__activity=activity, registration__user=actor).order_by(
        "-session__ends_at").values_list("session__ends_at", flat=True).first()
    if last is None:
        raise PermissionDenied(_("Those who took part (checked in) rate the activity."))
    if now < last:
        raise Conflict(_("Rate the activity once your session is over."), code="too_early")
    days = int(rule_value(activity.community, "neighbourhood.rating_days"))
    if now - last > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days}, code="too_late")
    stars = _stars(stars)
    if ActivityRating.objects.filter(activity=activity, user=actor).exists():
        raise Conflict(_("You have already rated this activity."), code="already_rated")
    try:
        with transaction.atomic():
            rating = ActivityRating.objects.create(activity=activity, user=actor, stars=stars, rated_at=now,
                                                   comment=_text(comment, "comment", max_length=300, required=False))
    except IntegrityError:  # rated at the same moment from another device
        raise Conflict(_("You have already rated this activity."), code="already_rated") from None
    audit_record(actor=actor, action="neighbourhood.activity.rated", target=activity, division=activity.community,
                 organisation=activity.organiser, changes={"stars": stars})
    _centres_rated_again(activity.community)
    return rating


@transaction.atomic
def order_cancel(*, actor, order: ServiceOrder, reason: str = "", now: datetime | None = None) -> ServiceOrder:
    """The resident (or the community's staff) cancels before delivery; a booked room is released."""
    from scheduling import services as scheduling
    from scheduling.models import HOLDING

    now = now or timezone.now()
    order = _lock_order(order)
    if order.resident_id != actor.pk and not staff_reaches(actor, order.community):
        raise PermissionDenied(_("Only the person who ordered, or the community's staff, can cancel this order."))
    before = _moving(order, {OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.SCHEDULED})
    if order.booking_id and order.booking.status in HOLDING:
        booking = order.booking
        scheduling.booking_cancel(actor=actor if scheduling._may_manage(actor, booking) else booking.booker, booking=booking,
                                  reason=str(_("Service order cancelled")), now=now)
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    _order_event(order, before, actor, _text(reason, "reason", max_length=300, required=False), now)
    if order.operator is not None:
        for assignment in order.operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
            notify(user=assignment.user, title=_("Order “%(title)s” was cancelled") % {"title": order.title}, body=reason,
                   url=f"/neighbourhood/orders/{order.pk}/")
    return order


# Feedback (诉求反馈) [Quanzhou].

