"""Writing space for service: admission, agreements, monthly reports, public funding, partnership offers.

One function per step, each atomic and audited; a step that the current state does not allow is
refused with a Conflict and nothing is written. The numbers come from the city's rule pack:
the admission checklist and validity, the longest term, the low-cost price cap, the report
deadline. What the rules for each property class say about an agreement or a report is judged
in ``operations.compliance`` after every change (``findings_refresh``).

The hours an agreement gives over become bookings of the rooms through
``scheduling.services.weekly_hold`` when the street approves it, so a room is never given twice;
a confirmed report's share goes into the community's fund through
``funds.services.operator_share_post`` (held for the community until it founds one).
"""

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
from core.uploads import document_from_upload, photo_from_upload
from ledger.services import to_yuan
from notifications.services import notify
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from registry.models import Room
from rulepack.selectors import param, rule
from scheduling.services import rotation_slots, weekly_hold, weekly_release

from .models import (
    LIVE_ADMISSION,
    ZERO,
    Admission,
    AdmissionStatus,
    Agreement,
    AgreementService,
    AgreementSpace,
    AgreementStatus,
    Funding,
    FundingKind,
    FundingStatus,
    Interest,
    InterestStatus,
    Milestone,
    MilestoneStatus,
    OfferStatus,
    OperatingReport,
    PartnershipOffer,
    Payment,
    Qualification,
    ReportPhoto,
    ReportStatus,
    RevenueShare,
    ServiceCategory,
    ServiceTier,
    month_after,
)
from .selectors import admissions_in_force, blacklisted_operator_ids

LICENCES = ("business_licence", "registration")


def _money(value, field: str) -> Decimal:
    amount = to_yuan(value if value not in (None, "") else "0", field=field)
    if amount < 0:
        raise ValidationFailed(fields={field: [_("An amount cannot be negative.")]})
    return amount


def _categories(values) -> list[str]:
    chosen = [v for v in dict.fromkeys(values or [])]
    wrong = [v for v in chosen if v not in ServiceCategory.values]
    if wrong or not chosen:
        raise ValidationFailed(fields={"categories": [_("Choose at least one of the service categories.")]})
    return chosen


def _notify_operator(operator: Organisation, title, url: str) -> None:
    from accounts.models import Role

    for assignment in operator.role_assignments.filter(role=Role.OPERATOR_STAFF, revoked_at__isnull=True).select_related("user"):
        notify(user=assignment.user, title=title, url=url)


# Qualifications.

@transaction.atomic
def qualification_add(*, actor, operator: Organisation, kind: str, number: str, issued_by: str = "",
                      valid_until: date | None = None, document=None) -> Qualification:
    if operator.kind != OrganisationKind.OPERATOR:
        raise ValidationFailed(fields={"operator": [_("Only operators file qualifications here.")]})
    require_filled(number=number)
    qualification = Qualification(operator=operator, kind=kind, number=number.strip(), issued_by=issued_by.strip(),
                                  valid_until=valid_until)
    clean_or_raise(qualification, exclude=["document"])
    if document is not None:
        document = document_from_upload(document)
        qualification.document.save(document.name, document, save=False)
    qualification.save()
    audit_record(actor=actor, action="operations.qualification.added", target=qualification, division=operator.home_division,
                 organisation=operator, changes=snapshot(qualification, ["kind", "number", "issued_by", "valid_until"]))
    return qualification


# Admission (准入) [Zibo, Xishan].

def checklist_items(division: Division) -> list[dict]:
    found = rule(division=division, key="operations.admission_checklist")
    return list(found.params["checks"]) if found is not None else []


@transaction.atomic
def admission_apply(*, actor, operator: Organisation, division: Division, categories: list[str], scope_description: str,
                    references: str = "", now: datetime | None = None) -> Admission:
    """An operator applies to a street or district for admission, for the service categories it offers."""
    now = now or timezone.now()
    if operator.kind != OrganisationKind.OPERATOR or not operator.is_active:
        raise ValidationFailed(fields={"operator": [_("Only an active operator can apply for admission.")]})
    if division.level not in (DivisionLevel.STREET, DivisionLevel.DISTRICT):
        raise ValidationFailed(fields={"division": [_("Operators are admitted by a street or a district.")]})
    categories = _categories(categories)
    require_filled(scope_description=scope_description)
    if operator.pk in blacklisted_operator_ids(division=division):
        raise PermissionDenied(_("%(operator)s is blacklisted here and cannot apply.") % {"operator": operator.name})
    today = timezone.localdate(now)
    if not operator.qualifications.filter(kind__in=LICENCES).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)).exists():
        raise ValidationFailed(fields={"qualifications": [
            _("File a valid business licence or registration certificate before applying.")]})
    live = Admission.objects.select_for_update().filter(operator=operator, division=division, status__in=LIVE_ADMISSION).first()
    if live is not None:
        raise Conflict(_("%(operator)s already has an admission at %(division)s (%(status)s).") % {
            "operator": operator.name, "division": division.name, "status": live.get_status_display()}, code="admission_exists")
    admission = Admission.objects.create(operator=operator, division=division, categories=categories,
                                         scope_description=scope_description.strip(), references=references.strip(),
                                         applied_by=actor, applied_at=now)
    audit_record(actor=actor, action="operations.admission.applied", target=admission, division=division, organisation=operator,
                 changes={"categories": categories})
    return admission


def _locked_admission(admission: Admission) -> Admission:
    return Admission.objects.select_for_update(of=("self",)).select_related("operator", "division").get(pk=admission.pk)


def _admission_status(admission: Admission, *allowed: str) -> None:
    if admission.status not in allowed:
        raise Conflict(_("The admission is %(status)s; this step is not open to it.") % {"status": admission.get_status_display()},
                       code="wrong_status")


@transaction.atomic
def admission_review(*, actor, admission: Admission, admit: bool, checklist: dict, note: str = "",
                     valid_from: date | None = None, valid_until: date | None = None, now: datetime | None = None) -> Admission:
    """The street or district reviews an application against its checklist, and admits it or not.

    Every item of the city's checklist is answered; an operator is admitted only when every
    required item is met. Admission lets it serve the place (it is added to the divisions the
    operator serves) until ``valid_until`` (the pack's validity by default)."""
    now = now or timezone.now()
    admission = _locked_admission(admission)
    _admission_status(admission, AdmissionStatus.APPLIED)
    items = checklist_items(admission.division)
    answers, unanswered, unmet = {}, [], []
    for item in items:
        answer = checklist.get(item["code"])
        if not isinstance(answer, dict) or not isinstance(answer.get("met"), bool):
            unanswered.append(item["text"])
            continue
        answers[item["code"]] = {"met": answer["met"], "note": str(answer.get("note", ""))[:300]}
        if item.get("required", True) and not answer["met"]:
            unmet.append(item["text"])
    if unanswered:
        raise ValidationFailed(fields={"checklist": [_("Answer every item of the checklist: %(items)s") % {
            "items": "；".join(unanswered)}]})
    if admit and unmet:
        raise ValidationFailed(fields={"checklist": [_("An operator is admitted only when every required item is met; "
                                                       "not met: %(items)s") % {"items": "；".join(unmet)}]})
    if not admit and not note.strip():
        raise ValidationFailed(fields={"note": [_("Say why the operator is not admitted.")]})
    admission.checklist, admission.decision_note = answers, note.strip()
    admission.reviewed_by, admission.reviewed_at = actor, now
    if admit:
        valid_from = valid_from or timezone.localdate(now)
        years = int(param(division=admission.division, key="operations.admission_years"))
        valid_until = valid_until or valid_from.replace(year=valid_from.year + years) - timedelta(days=1)
        if valid_until < valid_from:
            raise ValidationFailed(fields={"valid_until": [_("The admission must end after it starts.")]})
        admission.status, admission.valid_from, admission.valid_until = AdmissionStatus.ADMITTED, valid_from, valid_until
        admission.operator.served_divisions.add(admission.division)
    else:
        admission.status = AdmissionStatus.REJECTED
    admission.status_changed_at = now
    admission.save()
    audit_record(actor=actor, action=f"operations.admission.{admission.status}", target=admission, division=admission.division,
                 organisation=admission.operator, changes={"status": admission.status, "valid_until": admission.valid_until,
                                                           "unmet": unmet}, note=note)
    _notify_operator(admission.operator, _("%(division)s has decided on your admission: %(status)s") % {
        "division": admission.division.name, "status": admission.get_status_display()}, f"/operations/admissions/{admission.pk}/")
    return admission


def _admission_change(*, actor, admission: Admission, allowed: tuple, status: str, reason: str, now) -> Admission:
    admission = _locked_admission(admission)
    _admission_status(admission, *allowed)
    require_filled(reason=reason)
    before = admission.status
    admission.status, admission.status_reason, admission.status_changed_at = status, reason.strip(), now or timezone.now()
    admission.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(actor=actor, action=f"operations.admission.{status}", target=admission, division=admission.division,
                 organisation=admission.operator, changes={"status": [before, status]}, note=reason)
    _notify_operator(admission.operator, _("Your admission at %(division)s is now %(status)s") % {
        "division": admission.division.name, "status": admission.get_status_display()}, f"/operations/admissions/{admission.pk}/")
    return admission


@transaction.atomic
def admission_suspend(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    """Suspend an admitted operator: no new agreement or report confirmation until it is reinstated."""
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.ADMITTED,),
                             status=AdmissionStatus.SUSPENDED, reason=reason, now=now)


@transaction.atomic
def admission_reinstate(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.SUSPENDED,),
                             status=AdmissionStatus.ADMITTED, reason=reason, now=now)


@transaction.atomic
def admission_blacklist(*, actor, admission: Admission, reason: str, now: datetime | None = None) -> Admission:
    """Blacklist the operator at this street or district: it may not apply again here or below."""
    return _admission_change(actor=actor, admission=admission,
                             allowed=(AdmissionStatus.APPLIED, AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED,
                                      AdmissionStatus.REJECTED),
                             status=AdmissionStatus.BLACKLISTED, reason=reason, now=now)


@transaction.atomic
def admission_withdraw(*, actor, admission: Admission, now: datetime | None = None) -> Admission:
    return _admission_change(actor=actor, admission=admission, allowed=(AdmissionStatus.APPLIED,),
                             status=AdmissionStatus.WITHDRAWN, reason=str(_("Withdrawn by the operator")), now=now)


# Agreements (合作协议).

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
    from .compliance import findings_refresh

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

REPORT_FIGURES = ("revenue_low_cost", "revenue_market", "operating_cost", "sessions_free", "sessions_low_cost",
                  "sessions_market", "people_free", "people_low_cost", "people_market")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def fund_share_due(agreement: Agreement, report: OperatingReport) -> Decimal:
    """What the report's revenue owes the community fund under the agreement's shares, per tier."""
    revenue = {ServiceTier.FREE: ZERO, ServiceTier.LOW_COST: report.revenue_low_cost, ServiceTier.MARKET: report.revenue_market}
    total = ZERO
    for share in agreement.shares.all():
        if share.percent is not None:
            total += (revenue[share.tier] * share.percent / 100).quantize(Decimal("0.01"))
        else:
            total += share.fixed_monthly
    return total


def _report_figures(figures: dict) -> dict:
    unknown = set(figures) - set(REPORT_FIGURES) - {"note"}
    if unknown:
        raise ValidationFailed(fields={name: [_("This field cannot be changed here.")] for name in sorted(unknown)})
    checked, errors = {}, {}
    for name in REPORT_FIGURES:
        value = figures.get(name, 0)
        if name.startswith(("revenue", "operating")):
            try:
                checked[name] = _money(value, name)
            except ValidationFailed as error:
                errors.update(error.fields)
            continue
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            number = int(value) if isinstance(value, int | float) else int(str(value).strip() or 0)
            if number < 0:
                raise ValueError
            checked[name] = number
        except (ValueError, TypeError):
            errors[name] = [_("Give a whole number, zero or more.")]
    if errors:
        raise ValidationFailed(fields=errors)
    checked["note"] = str(figures.get("note") or "").strip()
    return checked


@transaction.atomic
def report_submit(*, actor, agreement: Agreement, month: date, figures: dict, photos=(), now: datetime | None = None) -> OperatingReport:
    """The operator files (or, once returned, corrects) its figures for one month of an agreement."""
    from .compliance import findings_refresh

    now = now or timezone.now()
    agreement = _locked_agreement(agreement)
    month = first_of_month(month)
    if agreement.status not in (AgreementStatus.ACTIVE, AgreementStatus.TERMINATED) or not (
            first_of_month(agreement.starts_on) <= month <= first_of_month(agreement.last_day)):
        raise ValidationFailed(fields={"month": [_("%(month)s is outside the agreement's term (%(start)s to %(end)s).") % {
            "month": month.strftime("%Y-%m"), "start": agreement.starts_on, "end": agreement.last_day}]})
    if month >= first_of_month(timezone.localdate(now)):
        raise ValidationFailed(fields={"month": [_("A month is reported once it is over.")]})
    checked = _report_figures(figures)
    photos = [photo_from_upload(photo) for photo in photos]
    report = OperatingReport.objects.select_for_update().filter(agreement=agreement, month=month).first()
    if report is not None and report.status != ReportStatus.RETURNED:
        raise Conflict(_("%(month)s has already been reported (%(status)s).") % {
            "month": month.strftime("%Y-%m"), "status": report.get_status_display()}, code="already_reported")
    report = report or OperatingReport(agreement=agreement, month=month)
    for name, value in checked.items():
        setattr(report, name, value)
    report.status, report.submitted_by, report.submitted_at, report.return_note = ReportStatus.SUBMITTED, actor, now, ""
    report.fund_share = fund_share_due(agreement, report)
    report.save()
    for photo in photos:
        item = ReportPhoto(report=report)
        item.image.save(photo.name, photo, save=False)
        item.save()
    audit_record(actor=actor, action="operations.report.submitted", target=report, division=agreement.division,
                 organisation=agreement.operator, changes={name: checked[name] for name in REPORT_FIGURES} | {
                     "fund_share": report.fund_share, "photos": len(photos)})
    findings_refresh(agreement=agreement, report=report, now=now)
    return report


def _locked_report(report: OperatingReport) -> OperatingReport:
    return OperatingReport.objects.select_for_update(of=("self",)).select_related("agreement__division", "agreement__operator").get(
        pk=report.pk)


@transaction.atomic
def report_confirm(*, actor, report: OperatingReport, now: datetime | None = None) -> OperatingReport:
    """The community confirms a report; the fund's share is posted to its fund as the operator's revenue share,
    or, where the community has no fund yet, held for it until the fund is founded (never dropped)."""
    from funds.models import HeldShare
    from funds.services import operator_share_post

    now = now or timezone.now()
    report = _locked_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("The report is %(status)s; only a submitted report can be confirmed.") % {
            "status": report.get_status_display()}, code="wrong_status")
    agreement = report.agreement
    if report.fund_share > 0:
        month_end = month_after(report.month) - timedelta(days=1)
        posted = operator_share_post(
            actor=actor, division=agreement.division, amount=report.fund_share, operator=agreement.operator,
            received_on=min(timezone.localdate(now), month_end + timedelta(days=int(
                param(division=agreement.division, key="operations.report_due_day")))),
            document=f"operating-report:{report.pk}:{report.month:%Y-%m}")
        if isinstance(posted, HeldShare):
            report.fund_hold = posted
        else:
            report.fund_income = posted
    report.status, report.decided_by, report.decided_at = ReportStatus.CONFIRMED, actor, now
    report.save(update_fields=["status", "decided_by", "decided_at", "fund_income", "fund_hold"])
    audit_record(actor=actor, action="operations.report.confirmed", target=report, division=agreement.division,
                 organisation=agreement.operator, changes={"fund_share": report.fund_share,
                                                           "posted": report.fund_income_id is not None,
                                                           "held": report.fund_hold_id is not None})
    return report


@transaction.atomic
def report_return(*, actor, report: OperatingReport, note: str, now: datetime | None = None) -> OperatingReport:
    """The community returns a report to the operator with what to correct."""
    report = _locked_report(report)
    if report.status != ReportStatus.SUBMITTED:
        raise Conflict(_("The report is %(status)s; only a submitted report can be returned.") % {
            "status": report.get_status_display()}, code="wrong_status")
    require_filled(note=note)
    report.status, report.return_note, report.decided_by, report.decided_at = ReportStatus.RETURNED, note.strip(), actor, \
        now or timezone.now()
    report.save(update_fields=["status", "return_note", "decided_by", "decided_at"])
    audit_record(actor=actor, action="operations.report.returned", target=report, division=report.agreement.division,
                 organisation=report.agreement.operator, note=note)
    _notify_operator(report.agreement.operator, _("Report %(month)s returned: %(note)s") % {
        "month": report.month.strftime("%Y-%m"), "note": note}, f"/operations/reports/{report.pk}/")
    return report


# Government-purchased services and subsidies [Xishan, Quanzhou].

@transaction.atomic
def funding_create(*, actor, kind: str, title: str, funder: Division, division: Division, amount=None, starts_on: date,
                   ends_on: date, number: str = "", department: Organisation | None = None,
                   recipient: Organisation | None = None, site=None, conditions: str = "",
                   milestones: list[dict] | None = None) -> Funding:
    """Record a purchase-of-service contract or a subsidy, with its milestones (each with the payment it releases)."""
    if kind not in FundingKind.values:
        raise ValidationFailed(fields={"kind": [_("Choose a kind of funding.")]})
    if not division.path.startswith(funder.path):
        raise ValidationFailed(fields={"division": [_("The funder pays for places in its own area.")]})
    if kind == FundingKind.PURCHASE and (recipient is None or recipient.kind != OrganisationKind.OPERATOR):
        raise ValidationFailed(fields={"recipient": [_("A purchased service is provided by an operator or social organisation.")]})
    if department is not None and department.kind != OrganisationKind.DEPARTMENT:
        raise ValidationFailed(fields={"department": [_("Choose a government department.")]})
    if site is not None and not site.division.path.startswith(division.path):
        raise ValidationFailed(fields={"site": [_("The site is not in the place funded.")]})
    if amount in (None, "") and kind == FundingKind.CONSTRUCTION_SUBSIDY:
        amount = param(division=division, key="operations.service_station_subsidy")
    amount = to_yuan(amount if amount not in (None, "") else "0", field="amount")
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    require_filled(title=title)
    funding = Funding(kind=kind, title=title.strip(), number=number.strip(), funder=funder, department=department,
                      division=division, recipient=recipient, site=site, amount=amount, starts_on=starts_on, ends_on=ends_on,
                      conditions=conditions.strip(), created_by=actor)
    clean_or_raise(funding, exclude=["created_by"])
    rows, errors = [], {}
    for index, item in enumerate(milestones or [], start=1):
        try:
            due_on = item["due_on"] if isinstance(item["due_on"], date) else date.fromisoformat(str(item["due_on"]))
            rows.append(Milestone(title=str(item["title"]).strip(), due_on=due_on,
                                  amount=_money(item.get("amount"), f"milestones.{index}")))
            if not rows[-1].title:
                raise KeyError
        except (KeyError, ValueError, ValidationFailed):
            errors[f"milestones.{index}"] = [_("A milestone needs a title, a due date and the amount it releases.")]
    if errors:
        raise ValidationFailed(fields=errors)
    if sum((m.amount for m in rows), ZERO) > amount:
        raise ValidationFailed(fields={"milestones": [_("The milestones release more than the amount.")]})
    funding.save()
    for row in rows:
        row.funding = funding
    Milestone.objects.bulk_create(rows)
    audit_record(actor=actor, action="operations.funding.created", target=funding, division=division, organisation=recipient,
                 changes={**snapshot(funding, ["kind", "title", "number", "amount", "starts_on", "ends_on"]),
                          "milestones": len(rows)})
    return funding


def _locked_funding(funding: Funding) -> Funding:
    return Funding.objects.select_for_update(of=("self",)).select_related("division", "recipient").get(pk=funding.pk)


@transaction.atomic
def milestone_decide(*, actor, milestone: Milestone, met: bool, evidence: str, evidence_file=None,
                     now: datetime | None = None) -> Milestone:
    """Record whether a milestone was met, with the evidence."""
    funding = _locked_funding(milestone.funding)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if funding.status != FundingStatus.ACTIVE or milestone.status != MilestoneStatus.PENDING:
        raise Conflict(_("This milestone has already been decided."), code="wrong_status")
    require_filled(evidence=evidence)
    evidence_file = document_from_upload(evidence_file, field="evidence_file") if evidence_file is not None else None
    milestone.status = MilestoneStatus.MET if met else MilestoneStatus.MISSED
    milestone.evidence, milestone.decided_by, milestone.decided_at = evidence.strip(), actor, now or timezone.now()
    if evidence_file is not None:
        milestone.evidence_file.save(evidence_file.name, evidence_file, save=False)
    milestone.save()
    audit_record(actor=actor, action=f"operations.milestone.{milestone.status}", target=milestone, division=funding.division,
                 organisation=funding.recipient, note=evidence)
    return milestone


@transaction.atomic
def funding_pay(*, actor, funding: Funding, amount, paid_on: date, document: str,
                milestone: Milestone | None = None) -> Payment:
    """Record a payment: never beyond the amount (the row is locked, and a check constraint stands behind it);
    a milestone's payment only once it is met and within what it releases."""
    amount = to_yuan(amount, field="amount")
    if amount <= 0:
        raise ValidationFailed(fields={"amount": [_("The amount must be more than zero.")]})
    require_filled(document=document)
    funding = _locked_funding(funding)
    if funding.status != FundingStatus.ACTIVE:
        raise Conflict(_("This funding is %(status)s; no more payments.") % {"status": funding.get_status_display()},
                       code="wrong_status")
    if funding.paid + amount > funding.amount:
        raise ValidationFailed(fields={"amount": [_("Only %(left)s yuan of the amount is left to pay.") % {
            "left": funding.amount - funding.paid}]})
    if milestone is not None:
        milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)  # as decided now, not as the caller read it
        if milestone.funding_id != funding.pk:
            raise ValidationFailed(fields={"milestone": [_("This milestone belongs to other funding.")]})
        if milestone.status != MilestoneStatus.MET:
            raise Conflict(_("Pay on a milestone once it is met."), code="milestone_not_met")
        already = sum((p.amount for p in milestone.payments.all()), ZERO)
        if already + amount > milestone.amount:
            raise ValidationFailed(fields={"amount": [_("The milestone releases %(left)s yuan more at most.") % {
                "left": milestone.amount - already}]})
    payment = Payment.objects.create(funding=funding, milestone=milestone, amount=amount, paid_on=paid_on,
                                     document=document.strip(), recorded_by=actor)
    funding.paid += amount
    funding.save(update_fields=["paid"])
    audit_record(actor=actor, action="operations.funding.paid", target=funding, division=funding.division,
                 organisation=funding.recipient, changes={"amount": amount, "paid": funding.paid, "document": document})
    return payment


@transaction.atomic
def funding_close(*, actor, funding: Funding, completed: bool, note: str) -> Funding:
    funding = _locked_funding(funding)
    if funding.status != FundingStatus.ACTIVE:
        raise Conflict(_("This funding is already closed."), code="wrong_status")
    require_filled(note=note)
    funding.status = FundingStatus.COMPLETED if completed else FundingStatus.CANCELLED
    funding.save(update_fields=["status"])
    audit_record(actor=actor, action=f"operations.funding.{funding.status}", target=funding, division=funding.division,
                 organisation=funding.recipient, note=note)
    return funding


# Idle rooms offered for partnership [Huli: 盘活闲置空间].

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
