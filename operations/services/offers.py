"""Partnership offers of idle rooms: published by the street, operators' proposals, the award that drafts an agreement, withdrawal."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from core.services import require_filled
from notifications.services import notify
from org.models import Organisation
from registry.models import Room
from scheduling.services import rotation_slots

from ..models import (
    Agreement,
    Interest,
    InterestStatus,
    OfferStatus,
    PartnershipOffer,
)
from .agreements import _admission_for, _checked_services, agreement_draft
from .base import _categories, _money, _notify_operator


def room_usage(room: Room, *, today: date):
    """The room's usage over the city's usage window (the scheduling selector every page reads), with that period."""
    from scheduling.selectors import standard_room_usage

    period, usage = standard_room_usage([room], division=room.site.division, today=today)
    return period, usage.get(room.pk)


@transaction.atomic
def offer_publish(*, actor, room: Room, title: str, description: str, categories: list[str], hours: list[dict],
                  closes_on: date, now: datetime | None = None) -> PartnershipOffer:
    """Publish an idle room as open for partnership: admitted operators may propose services for it."""
    from scheduling.selectors import idle_share

    now = now or timezone.now()
    today = timezone.localdate(now)
    room = Room.objects.select_related("site__division").get(pk=room.pk)
    division = room.site.division
    require_filled(title=title, description=description)
    categories = _categories(categories)
    hours = rotation_slots(hours)
    if closes_on <= today:
        raise ValidationFailed(fields={"closes_on": [_("Proposals close on a later day.")]})
    period, usage = room_usage(room, today=today)
    rate, threshold = (usage.rate if usage else None), idle_share(division)
    if rate is not None and rate >= threshold:
        raise Conflict(_("%(room)s was booked %(rate).0f%% of its hours over the %(period)s; rooms booked less than %(limit).0f%% "
                         "count as idle and can be offered.") % {"room": room, "rate": rate * 100, "period": period,
                                                                 "limit": threshold * 100}, code="not_idle")
    if PartnershipOffer.objects.filter(room=room, status=OfferStatus.OPEN).exists():
        raise Conflict(_("%(room)s is already on offer.") % {"room": room}, code="already_offered")
    offer = PartnershipOffer.objects.create(room=room, division=division, title=title.strip(), description=description.strip(),
                                            categories=categories, hours=hours, usage_rate=rate, closes_on=closes_on,
                                            published_by=actor, published_at=now)
    audit_record(actor=actor, action="operations.offer.published", target=offer, division=division,
                 changes={"room": room.pk, "usage_rate": rate, "closes_on": closes_on})
    return offer


@transaction.atomic
def interest_submit(*, actor, offer: PartnershipOffer, operator: Organisation, proposal: str, services: list[dict],
                    renovation_cost=0, now: datetime | None = None) -> Interest:
    """An admitted operator proposes what it would run in the room."""
    now = now or timezone.now()
    offer = PartnershipOffer.objects.select_for_update(of=("self",)).select_related("division").get(pk=offer.pk)
    if offer.status != OfferStatus.OPEN or offer.closes_on < timezone.localdate(now):
        raise Conflict(_("This offer is closed."), code="offer_closed")
    _admission_for(operator, offer.division, timezone.localdate(now))
    require_filled(proposal=proposal)
    checked = _checked_services(offer.division, services, None)
    if Interest.objects.filter(offer=offer, operator=operator).exclude(status=InterestStatus.WITHDRAWN).exists():
        raise Conflict(_("%(operator)s has already proposed for this room.") % {"operator": operator.name}, code="already_proposed")
    interest = Interest.objects.create(
        offer=offer, operator=operator, proposal=proposal.strip(), renovation_cost=_money(renovation_cost, "renovation_cost"),
        services=[{"name": s.name, "category": s.category, "tier": s.tier, "price": str(s.price), "price_unit": s.price_unit,
                   "capacity": s.capacity} for s in checked],
        submitted_by=actor, submitted_at=now)
    audit_record(actor=actor, action="operations.interest.submitted", target=interest, division=offer.division,
                 organisation=operator, changes={"services": len(checked)})
    notify(user=offer.published_by, title=_("%(operator)s proposes services for %(room)s") % {
        "operator": operator.name, "room": offer.room}, url=f"/operations/offers/{offer.pk}/")
    return interest


@transaction.atomic
def interest_withdraw(*, actor, interest: Interest) -> Interest:
    interest = Interest.objects.select_for_update(of=("self",)).select_related("offer__division", "operator").get(pk=interest.pk)
    if interest.status != InterestStatus.SUBMITTED:
        raise Conflict(_("This proposal can no longer be withdrawn."), code="wrong_status")
    interest.status = InterestStatus.WITHDRAWN
    interest.save(update_fields=["status"])
    audit_record(actor=actor, action="operations.interest.withdrawn", target=interest, division=interest.offer.division,
                 organisation=interest.operator)
    return interest


@transaction.atomic
def offer_award(*, actor, offer: PartnershipOffer, interest: Interest, terms: dict, shares: list[dict]) -> Agreement:
    """The community picks a proposal: a draft agreement is made from it (the room at the offered hours, the
    proposed services), the other proposals are declined, and the offer is closed."""
    offer = PartnershipOffer.objects.select_for_update(of=("self",)).select_related("division", "room").get(pk=offer.pk)
    if offer.status != OfferStatus.OPEN:
        raise Conflict(_("This offer is closed."), code="offer_closed")
    if interest.offer_id != offer.pk or interest.status != InterestStatus.SUBMITTED:
        raise ValidationFailed(fields={"interest": [_("Choose one of the proposals made for this room.")]})
    terms = {"title": f"{offer.room}：{interest.operator.name}", "operator_renovation_cost": interest.renovation_cost, **terms}
    agreement = agreement_draft(actor=actor, division=offer.division, operator=interest.operator, terms=terms,
                                spaces=[{"room": offer.room_id, "hours": offer.hours}], services=interest.services,
                                shares=shares)
    offer.status, offer.agreement = OfferStatus.AWARDED, agreement
    offer.save(update_fields=["status", "agreement"])
    Interest.objects.filter(pk=interest.pk).update(status=InterestStatus.CHOSEN)
    declined = list(offer.interests.filter(status=InterestStatus.SUBMITTED).exclude(pk=interest.pk).select_related("operator"))
    Interest.objects.filter(pk__in=[i.pk for i in declined]).update(status=InterestStatus.DECLINED)
    audit_record(actor=actor, action="operations.offer.awarded", target=offer, division=offer.division,
                 organisation=interest.operator, changes={"agreement": agreement.pk, "declined": len(declined)})
    _notify_operator(interest.operator, _("Your proposal for %(room)s was chosen") % {"room": offer.room},
                     f"/operations/agreements/{agreement.pk}/")
    for other in declined:
        _notify_operator(other.operator, _("Another proposal was chosen for %(room)s") % {"room": offer.room},
                         f"/operations/offers/{offer.pk}/")
    return agreement


@transaction.atomic
def offer_withdraw(*, actor, offer: PartnershipOffer, reason: str) -> PartnershipOffer:
    offer = PartnershipOffer.objects.select_for_update(of=("self",)).select_related("division").get(pk=offer.pk)
    if offer.status != OfferStatus.OPEN:
        raise Conflict(_("This offer is closed."), code="offer_closed")
    require_filled(reason=reason)
    offer.status = OfferStatus.WITHDRAWN
    offer.save(update_fields=["status"])
    offer.interests.filter(status=InterestStatus.SUBMITTED).update(status=InterestStatus.DECLINED)
    audit_record(actor=actor, action="operations.offer.withdrawn", target=offer, division=offer.division, note=reason)
    return offer
