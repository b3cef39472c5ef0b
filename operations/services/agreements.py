"""Space-for-service agreements: drafting with their rooms, hours, services and revenue shares, checked against the rule pack; submission, approval (which books the agreed hours), return, withdrawal, termination and renewal."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.scoping import ancestor_paths
from core.services import clean_or_raise, require_filled
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from registry.models import Room
from rulepack.selectors import param, rule
from scheduling.services import rotation_slots, weekly_hold, weekly_release

from ..models import (
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementService,
    AgreementSpace,
    AgreementStatus,
    RevenueShare,
    ServiceCategory,
    ServiceTier,
)
from ..selectors import admissions_in_force, blacklisted_operator_ids
from .base import _money, _notify_operator

AGREEMENT_TERMS = {"number", "title", "mode", "starts_on", "ends_on", "renovation_by", "utilities_by", "maintenance_by",
                   "operator_renovation_cost", "operator_running_cost", "annual_rent", "non_profit_purpose",
                   "public_benefit_share", "low_cost_price_cap", "basis_kind", "basis_number", "basis_date",
                   "revenue_distribution", "collective_resolution", "valuation_report_no", "authorised_by", "authorisation_document", "note"}
MONEY_TERMS = ("operator_renovation_cost", "operator_running_cost", "annual_rent")


def low_cost_cap(division: Division, agreement_cap: Decimal | None, market_price: Decimal | None) -> Decimal | None:
    """The highest price a low-cost service may have: the city's cap, its share of the market price, the agreement's own."""
    found = rule(division=division, key="operations.low_cost_cap")
    caps = []
    if found is not None:
        caps.append(Decimal(str(found.params["max_price"])))
        if market_price:
            caps.append((market_price * Decimal(str(found.params["max_share_of_market"]))).quantize(Decimal("0.01")))
    if agreement_cap is not None:
        caps.append(agreement_cap)
    return min(caps) if caps else None


def _checked_services(division: Division, items: list[dict], agreement_cap: Decimal | None) -> list[AgreementService]:
    services, errors = [], {}
    for index, item in enumerate(items, start=1):
        key = f"services.{index}"
        name = str(item.get("name") or "").strip()
        tier, category = item.get("tier"), item.get("category")
        problems = []
        if not name:
            problems.append(_("A service needs a name."))
        if tier not in ServiceTier.values:
            problems.append(_("Choose free, low-cost or market."))
        if category not in ServiceCategory.values:
            problems.append(_("Choose the service's category."))
        try:
            price = _money(item.get("price"), key)
            market = _money(item["market_price"], key) if item.get("market_price") not in (None, "") else None
            capacity = int(item.get("capacity") or 0)
            if capacity < 0:
                raise ValueError
        except (ValidationFailed, ValueError, TypeError):
            errors[key] = [*problems, _("Prices are amounts in yuan; places a whole number.")]
            continue
        if tier == ServiceTier.FREE and price != 0:
            problems.append(_("A free service costs nothing."))
        if tier == ServiceTier.LOW_COST:
            cap = low_cost_cap(division, agreement_cap, market)
            if price <= 0:
                problems.append(_("A low-cost service has a price; a service at no charge is free."))
            elif cap is not None and price > cap:
                problems.append(_("%(name)s: ¥%(price)s is above the low-cost cap of ¥%(cap)s.") % {
                    "name": name, "price": price, "cap": cap})
        if problems:
            errors[key] = problems
            continue
        services.append(AgreementService(name=name, description=str(item.get("description") or "").strip(), category=category,
                                         tier=tier, price=price, price_unit=item.get("price_unit") or "session",
                                         market_price=market, capacity=capacity, audience=str(item.get("audience") or "")[:120]))
    if errors:
        raise ValidationFailed(_("Some services are not right."), fields=errors)
    if not services:
        raise ValidationFailed(fields={"services": [_("An agreement lists at least one service.")]})
    return services


def _checked_shares(items: list[dict]) -> list[RevenueShare]:
    shares, errors, tiers = [], {}, set()
    for item in items:
        tier = item.get("tier")
        key = f"shares.{tier}"
        percent, fixed = item.get("percent"), item.get("fixed_monthly")
        if tier not in ServiceTier.values or tier in tiers:
            errors[key] = [_("One share per tier: free, low-cost or market.")]
            continue
        tiers.add(tier)
        if (percent in (None, "")) == (fixed in (None, "")):
            errors[key] = [_("Give either a percentage of revenue or a fixed sum a month.")]
            continue
        try:
            if percent not in (None, ""):
                value = Decimal(str(percent))
                if not Decimal("0") <= value <= Decimal("100"):
                    errors[key] = [_("A share of revenue is between 0 and 100 %.")]
                    continue
                shares.append(RevenueShare(tier=tier, percent=value.quantize(Decimal("0.01"))))
            else:
                shares.append(RevenueShare(tier=tier, fixed_monthly=_money(fixed, key)))
        except (ArithmeticError, ValueError, ValidationFailed):
            errors[key] = [_("Give the share as a number.")]
    if errors:
        raise ValidationFailed(_("Some revenue shares are not right."), fields=errors)
    return shares


def _checked_spaces(division: Division, items: list[dict]) -> list[AgreementSpace]:
    spaces, errors, rooms = [], {}, set()
    room_ids = [item.get("room") for item in items]
    found = {room.pk: room for room in Room.objects.filter(pk__in=[r for r in room_ids if isinstance(r, int)])
             .select_related("site__division")}
    for index, item in enumerate(items, start=1):
        key = f"spaces.{index}"
        room = found.get(item.get("room"))
        if room is None or not room.site.division.path.startswith(division.path):
            errors[key] = [_("Choose a room of %(division)s.") % {"division": division.name}]
            continue
        if room.pk in rooms:
            errors[key] = [_("The same room is listed twice.")]
            continue
        rooms.add(room.pk)
        try:
            hours = rotation_slots(item.get("hours") or [])
        except ValidationFailed as error:
            errors[key] = [str(message) for messages in error.fields.values() for message in messages]
            continue
        overlaps = [f"{a['weekday']} {a['start']}–{a['end']}" for i, a in enumerate(hours) for b in hours[i + 1:]
                    if a["weekday"] == b["weekday"] and a["start"] < b["end"] and b["start"] < a["end"]]
        if overlaps:
            errors[key] = [_("Weekly hours overlap each other: %(slots)s") % {"slots": "、".join(overlaps)}]
            continue
        area = item.get("area")
        try:
            area = Decimal(str(area)) if area not in (None, "") else None
        except ArithmeticError:
            area = Decimal("-1")
        if area is not None and not Decimal("1") <= area <= room.area:
            errors[key] = [_("The area given over is at least 1 m² and at most the room's %(area)s m².") % {"area": room.area}]
            continue
        spaces.append(AgreementSpace(room=room, area=area, hours=hours, note=str(item.get("note") or "")[:200]))
    if errors:
        raise ValidationFailed(_("Some spaces are not right."), fields=errors)
    if not spaces:
        raise ValidationFailed(fields={"spaces": [_("An agreement gives over at least one room.")]})
    return spaces


def _weekly_overlap(a: list[dict], b: list[dict]) -> list[str]:
    return [f"{x['weekday']} {max(x['start'], y['start'])}–{min(x['end'], y['end'])}" for x in a for y in b
            if x["weekday"] == y["weekday"] and x["start"] < y["end"] and y["start"] < x["end"]]


def _spaces_already_given(agreement: Agreement, spaces: list[AgreementSpace]) -> None:
    """Refuse rooms that another live agreement gives over at the same weekly hours in an overlapping term."""
    others = (AgreementSpace.objects.filter(room__in=[s.room for s in spaces],
                                            agreement__status__in=[AgreementStatus.SUBMITTED, AgreementStatus.ACTIVE],
                                            agreement__starts_on__lte=agreement.ends_on)
              .filter(Q(agreement__terminated_on__isnull=True, agreement__ends_on__gte=agreement.starts_on)
                      | Q(agreement__terminated_on__gte=agreement.starts_on))
              .exclude(agreement_id=agreement.pk).select_related("agreement", "room"))
    clashes = []
    for other in others:
        for space in spaces:
            if space.room_id == other.room_id and (overlap := _weekly_overlap(space.hours, other.hours)):
                clashes.append(_("%(room)s is given to %(agreement)s at %(hours)s") % {
                    "room": other.room, "agreement": other.agreement.title, "hours": "、".join(overlap)})
    if clashes:
        raise Conflict(_("A room is already given over for those hours: %(clashes)s") % {"clashes": "；".join(clashes)},
                       fields={"spaces": clashes}, code="already_given")


def _check_term(agreement: Agreement) -> None:
    if agreement.ends_on <= agreement.starts_on:
        raise ValidationFailed(fields={"ends_on": [_("An agreement ends after it starts.")]})
    years = int(param(division=agreement.division, key="operations.max_term_years"))
    if agreement.ends_on >= agreement.starts_on.replace(year=agreement.starts_on.year + years):
        raise ValidationFailed(fields={"ends_on": [_("An agreement runs for at most %(n)s years; renew it after that.")
                                                   % {"n": years}]})


def _admission_for(operator: Organisation, division: Division, on: date) -> Admission:
    """The admission that lets ``operator`` sign for ``division`` on ``on``; a clear refusal otherwise."""
    if operator.kind != OrganisationKind.OPERATOR:
        raise ValidationFailed(fields={"operator": [_("Choose an operator.")]})
    if operator.pk in blacklisted_operator_ids(division=division):
        raise PermissionDenied(_("%(operator)s is blacklisted and cannot sign an agreement here.") % {"operator": operator.name})
    admission = admissions_in_force(division=division, on=on).filter(operator=operator).order_by("-valid_until").first()
    if admission is None:
        suspended = Admission.objects.filter(operator=operator, status=AdmissionStatus.SUSPENDED,
                                             division__path__in=[*ancestor_paths(division.path), division.path]).exists()
        if suspended:
            raise Conflict(_("%(operator)s is suspended; no new agreement can be made with it.") % {"operator": operator.name},
                           code="operator_suspended")
        raise Conflict(_("%(operator)s has no admission in force for %(division)s on %(day)s.") % {
            "operator": operator.name, "division": division.name, "day": on}, code="not_admitted")
    return admission


DATE_TERMS = ("starts_on", "ends_on", "basis_date")


def _apply_terms(agreement: Agreement, terms: dict) -> None:
    unknown = set(terms) - AGREEMENT_TERMS
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    for name, value in terms.items():
        if name in DATE_TERMS and isinstance(value, str):
            try:
                value = date.fromisoformat(value) if value.strip() else None
            except ValueError:
                raise ValidationFailed(fields={name: [_("Give a date such as 2026-01-31.")]}) from None
        if name == "low_cost_price_cap":
            value = _money(value, name) if value not in (None, "") else None
        elif name in MONEY_TERMS:
            value = _money(value, name)
        elif isinstance(value, str):
            value = value.strip()
        setattr(agreement, name, value)


def _write_parts(agreement: Agreement, spaces, services, shares) -> None:
    agreement.spaces.all().delete()
    agreement.services.all().delete()
    agreement.shares.all().delete()
    for rows in (spaces, services, shares):
        for row in rows:
            row.agreement = agreement
            row.pk = None
    AgreementSpace.objects.bulk_create(spaces)
    AgreementService.objects.bulk_create(services)
    RevenueShare.objects.bulk_create(shares)


def _parts(agreement: Agreement, spaces: list[dict], services: list[dict], shares: list[dict]):
    errors = {}
    checked = []
    for check, items in ((lambda i: _checked_spaces(agreement.division, i), spaces),
                         (lambda i: _checked_services(agreement.division, i, agreement.low_cost_price_cap), services),
                         (_checked_shares, shares)):
        try:
            checked.append(check(items))
        except ValidationFailed as error:
            errors.update(error.fields)
            checked.append([])
    if errors:
        raise ValidationFailed(_("Some of the agreement is not right."), fields=errors)
    return checked


@transaction.atomic
def agreement_draft(*, actor, division: Division, operator: Organisation, terms: dict, spaces: list[dict],
                    services: list[dict], shares: list[dict], renewal_of: Agreement | None = None) -> Agreement:
    """Draft an agreement between a community (or street) and an admitted operator.

    ``terms`` holds the agreement's own fields (title, mode, term, who bears which cost, rent,
    the agreed public-benefit share, formal basis, asset procedure); ``spaces`` the rooms with
    their weekly hours (``{"room": id, "hours": [{"weekday", "start", "end"}], "area"}``);
    ``services`` their tier, category and price; ``shares`` the fund's share per tier."""
    if division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        raise ValidationFailed(fields={"division": [_("An agreement is made by a community or a street.")]})
    agreement = Agreement(division=division, operator=operator, drafted_by=actor, renewal_of=renewal_of)
    _apply_terms(agreement, terms)
    require_filled(title=agreement.title, mode=agreement.mode, starts_on=agreement.starts_on, ends_on=agreement.ends_on)
    _check_term(agreement)
    agreement.admission = _admission_for(operator, division, agreement.starts_on)
    spaces, services, shares = _parts(agreement, spaces, services, shares)
    clean_or_raise(agreement, exclude=["admission", "drafted_by"])
    _spaces_already_given(agreement, spaces)
    agreement.save()
    _write_parts(agreement, spaces, services, shares)
    audit_record(actor=actor, action="operations.agreement.drafted", target=agreement, division=division, organisation=operator,
                 changes={**snapshot(agreement, ["title", "mode", "starts_on", "ends_on", "annual_rent"]),
                          "rooms": [s.room_id for s in spaces], "services": len(services)})
    return agreement


def _locked_agreement(agreement: Agreement) -> Agreement:
    return Agreement.objects.select_for_update(of=("self",)).select_related("division", "operator", "admission").get(pk=agreement.pk)


def _agreement_status(agreement: Agreement, *allowed: str) -> None:
    if agreement.status not in allowed:
        raise Conflict(_("The agreement is %(status)s; this step is not open to it.") % {"status": agreement.get_status_display()},
                       code="wrong_status")


@transaction.atomic
def agreement_revise(*, actor, agreement: Agreement, terms: dict, spaces: list[dict], services: list[dict],
                     shares: list[dict]) -> Agreement:
    """Change a draft (or one the street returned) before it is submitted again."""
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.DRAFT)
    before = snapshot(agreement, sorted(AGREEMENT_TERMS))
    _apply_terms(agreement, terms)
    _check_term(agreement)
    agreement.admission = _admission_for(agreement.operator, agreement.division, agreement.starts_on)
    spaces, services, shares = _parts(agreement, spaces, services, shares)
    clean_or_raise(agreement)
    _spaces_already_given(agreement, spaces)
    agreement.save()
    _write_parts(agreement, spaces, services, shares)
    after = snapshot(agreement, sorted(AGREEMENT_TERMS))
    audit_record(actor=actor, action="operations.agreement.revised", target=agreement, division=agreement.division,
                 organisation=agreement.operator, changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return agreement


@transaction.atomic
def agreement_submit(*, actor, agreement: Agreement, now: datetime | None = None) -> Agreement:
    """The community submits the draft to the street for approval."""
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.DRAFT)
    _spaces_already_given(agreement, list(agreement.spaces.select_related("room")))
    agreement.status, agreement.submitted_at = AgreementStatus.SUBMITTED, now or timezone.now()
    agreement.save(update_fields=["status", "submitted_at"])
    audit_record(actor=actor, action="operations.agreement.submitted", target=agreement, division=agreement.division,
                 organisation=agreement.operator)
    return agreement


def agreement_origin(agreement: Agreement) -> str:
    return f"agreement:{agreement.pk}"


@transaction.atomic
def agreement_approve(*, actor, agreement: Agreement, note: str = "", now: datetime | None = None) -> Agreement:
    """The street approves: the agreement is in force, its rooms are held at the agreed hours for its
    whole term (from now on), and it is judged against the rules of the rooms' property classes."""
    from ..compliance import findings_refresh

    now = now or timezone.now()
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.SUBMITTED)
    if agreement.ends_on < timezone.localdate(now):
        raise Conflict(_("The agreement's term is over; renew it with new dates."), code="term_over")
    _admission_for(agreement.operator, agreement.division, max(agreement.starts_on, timezone.localdate(now)))
    spaces = list(agreement.spaces.select_related("room__site__division"))
    _spaces_already_given(agreement, spaces)
    for space in spaces:
        weekly_hold(actor=actor, room=space.room, title=f"{agreement.operator.name}：{agreement.title}"[:120], slots=space.hours,
                    starts_on=agreement.starts_on, ends_on=agreement.ends_on, origin=agreement_origin(agreement),
                    organisation=agreement.operator, now=now)
    agreement.status, agreement.decided_by, agreement.decided_at = AgreementStatus.ACTIVE, actor, now
    agreement.decision_note = note.strip()
    agreement.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit_record(actor=actor, action="operations.agreement.approved", target=agreement, division=agreement.division,
                 organisation=agreement.operator, note=note)
    findings_refresh(agreement=agreement, now=now)
    _notify_operator(agreement.operator, _("Agreement in force: %(title)s") % {"title": agreement.title},
                     f"/operations/agreements/{agreement.pk}/")
    return agreement


@transaction.atomic
def agreement_return(*, actor, agreement: Agreement, note: str) -> Agreement:
    """The street returns a submitted agreement to the community with what to change."""
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.SUBMITTED)
    require_filled(note=note)
    agreement.status, agreement.decision_note = AgreementStatus.DRAFT, note.strip()
    agreement.save(update_fields=["status", "decision_note"])
    audit_record(actor=actor, action="operations.agreement.returned", target=agreement, division=agreement.division,
                 organisation=agreement.operator, note=note)
    notify(user=agreement.drafted_by, title=_("The street returned %(title)s") % {"title": agreement.title}, body=note,
           url=f"/operations/agreements/{agreement.pk}/")
    return agreement


@transaction.atomic
def agreement_withdraw(*, actor, agreement: Agreement, reason: str) -> Agreement:
    """The community withdraws a draft, or one waiting for the street; it gives nothing over."""
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.DRAFT, AgreementStatus.SUBMITTED)
    require_filled(reason=reason)
    agreement.status, agreement.termination_reason = AgreementStatus.WITHDRAWN, reason.strip()
    agreement.save(update_fields=["status", "termination_reason"])
    audit_record(actor=actor, action="operations.agreement.withdrawn", target=agreement, division=agreement.division,
                 organisation=agreement.operator, note=reason)
    return agreement


@transaction.atomic
def agreement_terminate(*, actor, agreement: Agreement, on: date, reason: str, now: datetime | None = None) -> Agreement:
    """End an agreement early: its rooms are free again from the day after ``on``."""
    now = now or timezone.now()
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.ACTIVE)
    require_filled(reason=reason)
    if not agreement.starts_on <= on < agreement.ends_on:
        raise ValidationFailed(fields={"on": [_("The last day must fall within the agreement's term, before its end.")]})
    tz = timezone.get_current_timezone()
    released = weekly_release(actor=actor, origin=agreement_origin(agreement), reason=reason,
                              after=datetime.combine(on + timedelta(days=1), time.min, tzinfo=tz), now=now)
    agreement.status, agreement.terminated_on, agreement.termination_reason = AgreementStatus.TERMINATED, on, reason.strip()
    agreement.save(update_fields=["status", "terminated_on", "termination_reason"])
    audit_record(actor=actor, action="operations.agreement.terminated", target=agreement, division=agreement.division,
                 organisation=agreement.operator, changes={"terminated_on": on, "bookings_released": released}, note=reason)
    _notify_operator(agreement.operator, _("Agreement terminated: %(title)s") % {"title": agreement.title},
                     f"/operations/agreements/{agreement.pk}/")
    return agreement


@transaction.atomic
def agreement_renew(*, actor, agreement: Agreement, ends_on: date) -> Agreement:
    """Draft the next term of an agreement: the same rooms, hours, services and shares, from the day after it ends."""
    agreement = _locked_agreement(agreement)
    _agreement_status(agreement, AgreementStatus.ACTIVE)
    if hasattr(agreement, "renewed_by"):
        raise Conflict(_("This agreement has already been renewed."), code="already_renewed")
    terms = {name: getattr(agreement, name) for name in AGREEMENT_TERMS - {"starts_on", "ends_on"}}
    terms.update(starts_on=agreement.ends_on + timedelta(days=1), ends_on=ends_on)
    return agreement_draft(
        actor=actor, division=agreement.division, operator=agreement.operator, terms=terms, renewal_of=agreement,
        spaces=[{"room": s.room_id, "hours": s.hours, "area": s.area, "note": s.note} for s in agreement.spaces.all()],
        services=[{"name": s.name, "description": s.description, "category": s.category, "tier": s.tier, "price": s.price,
                   "price_unit": s.price_unit, "market_price": s.market_price, "capacity": s.capacity, "audience": s.audience}
                  for s in agreement.services.all()],
        shares=[{"tier": s.tier, "percent": s.percent, "fixed_monthly": s.fixed_monthly} for s in agreement.shares.all()])


# Monthly operating reports.

