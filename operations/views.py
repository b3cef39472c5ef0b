"""Pages of space for service: the desk of each role (street, community, operator, bureau), agreements
and their steps, monthly reports, admission, compliance and savings by place, public funding and
idle rooms offered for partnership. Handlers authorise, call a service, and render."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import active_roles, get_for_user, holds_any, require, visible_to
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form, step_forms
from core.pickers import ids, picker_response
from core.replica import replica_reads
from core.uploads import serve_upload
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from org.selectors import division_get, division_picked, user_home_division
from registry.hours import format_hours, slots_week
from rulepack.display import format_number
from rulepack.selectors import waiting_queue
from scheduling.selectors import idle_share, room_list, usage_period

from . import selectors, services
from .forms import (
    AdmissionForm,
    AwardForm,
    FundingForm,
    InterestForm,
    MilestoneDecisionForm,
    NoteForm,
    OfferForm,
    PaymentForm,
    QualificationForm,
    ReasonForm,
    RenewForm,
    ReportForm,
    ReviewForm,
    ServiceFormSet,
    ShareFormSet,
    SpaceFormSet,
    TerminateForm,
    TermsForm,
    services_from,
    shares_from,
    spaces_from,
)
from .models import (
    AdmissionStatus,
    Agreement,
    AgreementStatus,
    FundingStatus,
    Milestone,
    OfferStatus,
    Qualification,
    ReportPhoto,
    ReportStatus,
    ServiceCategory,
    ServiceTier,
)


def _visible(user) -> bool:
    return holds_any(user, "operations.view_agreement")


def my_operators(user) -> list[Organisation]:
    """The operators ``user`` works for."""
    return [a.organisation for a in active_roles(user) if a.role == Role.OPERATOR_STAFF and a.organisation_id
            and a.organisation.kind == OrganisationKind.OPERATOR]


def _page(request, queryset, per_page: int = 30):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _hours_text(slots: list[dict]) -> str:
    return format_hours(slots_week(slots))


@login_required
def home(request):
    """The desk: what waits for me (approvals, confirmations, reviews, late reports), my agreements, savings."""
    user = request.user
    if not _visible(user):
        raise NotFound()
    place = user_home_division(user=user)
    operators = my_operators(user)
    agreements = selectors.agreement_list(user=user)
    waiting = {
        **waiting_for(user),
        "returned": list(selectors.report_list(user=user, status=ReportStatus.RETURNED)[:20]) if operators else [],
        "drafts": list(agreements.filter(status=AgreementStatus.DRAFT)[:20])
        if holds_any(user, "operations.change_agreement") else [],
    }
    staff_place = place if place is not None and not operators else None
    return render(request, "operations/home.html", {
        "place": staff_place, "operators": operators, "waiting": waiting,
        "may_approve": holds_any(user, "operations.approve_agreement"),
        "may_review": holds_any(user, "operations.review_admission"),
        "in_force": list(selectors.agreement_list(user=user, status="in_force")[:50]),
        "due": selectors.reports_due(agreements=agreements)[:30],
        "savings": selectors.savings(within=staff_place) if staff_place else None,
        "current_year": timezone.localdate().year,
        "findings": list(selectors.finding_list(user=user)[:10]),
        "offers": list(selectors.offer_list(user=user, open_only=True)[:10]),
        "may_draft": holds_any(user, "operations.add_agreement"),
    })


# Agreements.

@login_required
@replica_reads
def agreement_list(request):
    if not _visible(request.user):
        raise NotFound()
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else None
    status = request.GET.get("status") or None
    agreements = selectors.agreement_list(user=request.user, within=within, status=status)
    return render(request, "operations/agreements.html", {
        "page": _page(request, agreements), "within": within, "status": status, "statuses": AgreementStatus.choices,
    })


def _agreement_forms(request, division: Division, agreement: Agreement | None = None):
    operators = list(selectors.admitted_operators(division=division))
    if agreement is not None and agreement.operator not in operators:
        operators.append(agreement.operator)
    rooms = list(room_list(user=request.user, within=division).filter(closed_on__isnull=True).select_related("site"))
    data = request.POST if request.method == "POST" else None
    if agreement is None:
        today = timezone.localdate()
        terms_initial = {"starts_on": today, "ends_on": today.replace(year=today.year + 3) - timedelta(days=1)}
        spaces_initial, services_initial = [{}], [{}, {}, {}]
        shares_initial = [{"tier": t} for t in ServiceTier.values]
    else:
        terms_initial = {name: getattr(agreement, name) for name in services.AGREEMENT_TERMS} | {"operator": agreement.operator_id}
        spaces_initial = [{"room": s.room_id, "hours": _hours_text(s.hours), "area": s.area} for s in agreement.spaces.all()]
        services_initial = [{k: getattr(s, k) for k in ("name", "category", "tier", "price", "price_unit", "market_price",
                                                        "capacity", "audience")} for s in agreement.services.all()] + [{}]
        given = {s.tier: s for s in agreement.shares.all()}
        shares_initial = [{"tier": t, "percent": getattr(given.get(t), "percent", None),
                           "fixed_monthly": getattr(given.get(t), "fixed_monthly", None)} for t in ServiceTier.values]
    return (TermsForm(data, operators=operators, division=division, initial=terms_initial),
            SpaceFormSet(data, prefix="spaces", initial=spaces_initial, form_kwargs={"rooms": rooms, "division": division}),
            ServiceFormSet(data, prefix="services", initial=services_initial),
            ShareFormSet(data, prefix="shares", initial=shares_initial))


def _agreement_form_page(request, division: Division, agreement: Agreement | None):
    terms, spaces, services_, shares = _agreement_forms(request, division, agreement)
    if request.method == "POST" and all(f.is_valid() for f in (terms, spaces, services_, shares)):
        operator = Organisation.objects.filter(pk=terms.cleaned_data["operator"], kind=OrganisationKind.OPERATOR).first()
        try:
            if operator is None:
                raise NotFound()
            parts = {"terms": terms.terms(), "spaces": spaces_from(spaces), "services": services_from(services_),
                     "shares": shares_from(shares)}
            if agreement is None:
                agreement = services.agreement_draft(actor=request.user, division=division, operator=operator, **parts)
                messages.success(request, _("The agreement is drafted; submit it to the street when it is ready."))
            else:
                services.agreement_revise(actor=request.user, agreement=agreement, **parts)
                messages.success(request, _("The agreement is revised."))
            return redirect("operations:agreement", agreement_id=agreement.pk)
        except ApplicationError as error:
            add_error_to_form(terms, error)
    return render(request, "operations/agreement_form.html", {
        "division": division, "agreement": agreement, "terms": terms, "spaces": spaces, "services": services_,
        "shares": shares, "tiers": dict(ServiceTier.choices),
    })


@login_required
def agreement_new(request, code: str):
    division = division_get(user=request.user, code=code)
    require(request.user, "operations.add_agreement", division)
    if division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        raise NotFound()
    return _agreement_form_page(request, division, None)


@login_required
def agreement_edit(request, agreement_id: int):
    agreement = selectors.agreement_get(user=request.user, pk=agreement_id)
    require(request.user, "operations.change_agreement", agreement)
    if agreement.status != AgreementStatus.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("operations:agreement", agreement_id=agreement.pk)
    return _agreement_form_page(request, agreement.division, agreement)


def _agreement_steps(user, agreement: Agreement) -> dict:
    """The forms of the steps open to ``user`` on this agreement now."""
    status, steps = agreement.status, {}
    change = user.has_perm("operations.change_agreement", agreement)
    approve = user.has_perm("operations.approve_agreement", agreement)
    if change and status == AgreementStatus.DRAFT:
        steps["submit"] = None
    if change and status in (AgreementStatus.DRAFT, AgreementStatus.SUBMITTED):
        steps["withdraw"] = ReasonForm
    if approve and status == AgreementStatus.SUBMITTED:
        steps["approve"] = NoteForm
        steps["return"] = ReasonForm
    if approve and status == AgreementStatus.ACTIVE:
        steps["terminate"] = TerminateForm
    if change and status == AgreementStatus.ACTIVE and not hasattr(agreement, "renewed_by"):
        steps["renew"] = RenewForm
    if status in (AgreementStatus.ACTIVE, AgreementStatus.TERMINATED) and user.has_perm("operations.add_operatingreport", agreement):
        steps["report"] = ReportForm
    return steps


def _run_agreement_step(user, agreement: Agreement, step: str, data: dict):
    if step == "submit":
        services.agreement_submit(actor=user, agreement=agreement)
        return _("Submitted to the street for approval."), None
    if step == "approve":
        services.agreement_approve(actor=user, agreement=agreement, note=data["note"])
        return _("The agreement is in force; its rooms are held at the agreed hours."), None
    if step == "return":
        services.agreement_return(actor=user, agreement=agreement, note=data["reason"])
        return _("The agreement is returned to the community."), None
    if step == "withdraw":
        services.agreement_withdraw(actor=user, agreement=agreement, reason=data["reason"])
        return _("The agreement is withdrawn."), None
    if step == "terminate":
        services.agreement_terminate(actor=user, agreement=agreement, on=data["on"], reason=data["reason"])
        return _("The agreement is terminated."), None
    if step == "renew":
        renewal = services.agreement_renew(actor=user, agreement=agreement, ends_on=data["ends_on"])
        return _("The next term is drafted."), renewal
    report = services.report_submit(actor=user, agreement=agreement, month=data["month"], figures=data["figures"],
                                    photos=data["photos"])
    return _("The report is submitted."), report


@login_required
def agreement_detail(request, agreement_id: int):
    agreement = selectors.agreement_get(user=request.user, pk=agreement_id)
    steps = _agreement_steps(request.user, agreement)
    forms, step, form = step_forms(request, steps)
    if step is not None and (form is None or form.is_valid()):
        data = dict(form.cleaned_data) if form else {}
        if step == "report":
            data = {"month": data["month"], "photos": data["photos"], "figures": form.figures()}
        try:
            message, made = _run_agreement_step(request.user, agreement, step, data)
            messages.success(request, message)
            if step == "report":
                return redirect("operations:report", report_id=made.pk)
            return redirect("operations:agreement", agreement_id=(made or agreement).pk)
        except ApplicationError as error:
            if form is None:
                messages.error(request, error.message)
            else:
                add_error_to_form(form, error)
    return render(request, "operations/agreement.html", {
        "agreement": agreement, "steps": steps, "forms": forms, **selectors.agreement_detail(agreement),
        "spaces": [(s, _hours_text(s.hours)) for s in agreement.spaces.all()],
        "may_edit": "submit" in steps,
    })


# Reports.

@login_required
def report_detail(request, report_id: int):
    report = selectors.report_get(user=request.user, pk=report_id)
    may_confirm = report.status == ReportStatus.SUBMITTED and request.user.has_perm("operations.confirm_operatingreport", report)
    form = ReasonForm(request.POST or None, prefix="return") if may_confirm else None
    if request.method == "POST":
        if not may_confirm:
            raise NotFound()
        try:
            if request.POST.get("step") == "confirm":
                report = services.report_confirm(actor=request.user, report=report)
                if report.fund_hold_id:
                    messages.success(request, _("The report is confirmed. %(community)s has no community development fund yet: "
                                                "the share of ¥%(amount)s is held for it and goes into the fund when one is "
                                                "founded.") % {"community": report.agreement.division.name,
                                                               "amount": f"{report.fund_share:,.2f}"})
                else:
                    messages.success(request, _("The report is confirmed."))
                return redirect("operations:report", report_id=report.pk)
            if form.is_valid():
                services.report_return(actor=request.user, report=report, note=form.cleaned_data["reason"])
                messages.success(request, _("The report is returned to the operator."))
                return redirect("operations:report", report_id=report.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
    return render(request, "operations/report.html", {
        "report": report, "figures": selectors.report_figures(report), "may_confirm": may_confirm, "form": form,
        "has_fund": selectors.place_has_fund(report.agreement.division) if may_confirm else None,
        "findings": list(report.findings.filter(resolved_at__isnull=True)),
    })


# Admission.

def _places_to_apply(operator: Organisation) -> list[Division]:
    city_path = operator.home_division.path.split("/", 1)[0] + "/"
    return list(Division.objects.filter(path__startswith=city_path, level__in=[DivisionLevel.STREET, DivisionLevel.DISTRICT])
                .order_by("path"))


@login_required
@replica_reads
def admissions(request):
    """Staff: the admissions made in their area, those waiting for review first. Operators: their own,
    their qualifications, and the form to apply."""
    user = request.user
    if not holds_any(user, "operations.view_admission"):
        raise NotFound()
    operators = my_operators(user)
    apply_form = qualification_form = None
    if operators:
        apply_form = AdmissionForm(request.POST if request.POST.get("step") == "apply" else None, prefix="apply",
                                   operators=operators, places=_places_to_apply(operators[0]))
        qualification_form = QualificationForm(request.POST if request.POST.get("step") == "qualification" else None,
                                               request.FILES or None, prefix="qualification")
    if request.method == "POST":
        step = request.POST.get("step")
        form = {"apply": apply_form, "qualification": qualification_form}.get(step)
        if form is None:
            raise NotFound()
        operator = next((o for o in operators if str(o.pk) == request.POST.get("apply-operator", str(operators[0].pk))), None)
        if form.is_valid() and operator is not None:
            data = form.cleaned_data
            try:
                if step == "apply":
                    division = next(d for d in _places_to_apply(operator) if d.code == data["division"])
                    admission = services.admission_apply(actor=user, operator=operator, division=division,
                                                         categories=data["categories"], scope_description=data["scope_description"],
                                                         references=data["references"])
                    messages.success(request, _("The application is sent for review."))
                    return redirect("operations:admission", admission_id=admission.pk)
                services.qualification_add(actor=user, operator=operators[0], **data)
                messages.success(request, _("The qualification is filed."))
                return redirect("operations:admissions")
            except ApplicationError as error:
                add_error_to_form(form, error)
    status = request.GET.get("status") or None
    return render(request, "operations/admissions.html", {
        "page": _page(request, selectors.admission_list(user=user, status=status)), "status": status,
        "statuses": AdmissionStatus.choices, "operators": operators, "apply_form": apply_form,
        "qualification_form": qualification_form,
        "qualifications": list(selectors.qualification_list(user=user, operator=operators[0])) if operators else [],
        "admitted_here": list(selectors.admissions_in_force(division=user_home_division(user=user)).select_related(
            "operator", "division")) if not operators and user_home_division(user=user) else [],
        "categories": dict(ServiceCategory.choices),
    })


@login_required
def admission_detail(request, admission_id: int):
    user = request.user
    admission = selectors.admission_get(user=user, pk=admission_id)
    review = user.has_perm("operations.review_admission", admission)
    items = services.checklist_items(admission.division)
    forms = {}
    if review and admission.status == AdmissionStatus.APPLIED:
        forms["review"] = ReviewForm(prefix="review", items=items)
    if review and admission.status == AdmissionStatus.ADMITTED:
        forms["suspend"] = ReasonForm(prefix="suspend")
    if review and admission.status == AdmissionStatus.SUSPENDED:
        forms["reinstate"] = ReasonForm(prefix="reinstate")
    if review and admission.status != AdmissionStatus.BLACKLISTED and admission.status != AdmissionStatus.WITHDRAWN:
        forms["blacklist"] = ReasonForm(prefix="blacklist")
    may_withdraw = admission.status == AdmissionStatus.APPLIED and user.has_perm("operations.add_admission", admission)
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "withdraw" and may_withdraw:
            services.admission_withdraw(actor=user, admission=admission)
            messages.success(request, _("The application is withdrawn."))
            return redirect("operations:admission", admission_id=admission.pk)
        if step not in forms:
            raise NotFound()
        form = type(forms[step])(request.POST, prefix=step, **({"items": items} if step == "review" else {}))
        forms[step] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if step == "review":
                    services.admission_review(actor=user, admission=admission, admit=data["decision"] == "admit",
                                              checklist=form.checklist(), note=data["note"], valid_from=data["valid_from"],
                                              valid_until=data["valid_until"])
                else:
                    getattr(services, f"admission_{step}")(actor=user, admission=admission, reason=data["reason"])
                messages.success(request, _("The admission is updated."))
                return redirect("operations:admission", admission_id=admission.pk)
            except ApplicationError as error:
                add_error_to_form(form, error)
    return render(request, "operations/admission.html", {
        "admission": admission, "forms": forms, "may_withdraw": may_withdraw,
        "answers": [(item, admission.checklist.get(item["code"], {})) for item in items],
        "categories": [ServiceCategory(c).label for c in admission.categories if c in ServiceCategory.values],
        "qualifications": list(admission.operator.qualifications.all()),
        "agreements": list(selectors.agreement_list(user=user, operator=admission.operator)[:20]),
    })


# Compliance and savings by place.

@login_required
@replica_reads
def compliance(request, code: str):
    """The street's or bureau's page: agreements in force and their breaches, with the figures, by place;
    the costs operators bear instead of the government; reports late or missing."""
    division = division_get(user=request.user, code=code)
    require(request.user, "operations.view_agreement", division)
    total, rows = selectors.compliance_by_place(user=request.user, within=division)
    years = selectors.savings_years(within=division)
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() and int(request.GET["year"]) in years else years[0]
    savings_rows = selectors.savings(within=division, year=year, by_child=True) if division.level != DivisionLevel.COMMUNITY else []
    return render(request, "operations/compliance.html", {
        "division": division, "total": total, "rows": rows, "savings": selectors.savings(within=division, year=year),
        "savings_rows": savings_rows, "years": years, "current_year": timezone.localdate().year,
        "savings_chart": [(r.division.name, float(r.renovation), float(r.running)) for r in savings_rows],
        "due": selectors.reports_due(agreements=selectors.agreement_list(user=request.user, within=division))[:50],
    })


def compliance_place(user) -> Division | None:
    """Where the compliance page opens for ``user``: their home division, when they may read the
    agreements there (street and bureau staff); None for operators, who read their own agreements."""
    place = user_home_division(user=user)
    return place if place is not None and user.has_perm("operations.view_agreement", place) else None


@login_required
@replica_reads
def compliance_home(request):
    place = compliance_place(request.user)
    if place is None:
        raise NotFound()
    return redirect("operations:compliance", code=place.code)


# Government-purchased services and subsidies.

def _funders(user) -> list[Division]:
    return [a.division for a in active_roles(user) if a.division_id and a.division.level in (
        DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET) and user.has_perm("operations.add_funding", a.division)]


@login_required
@replica_reads
def funding_list(request):
    user = request.user
    if not holds_any(user, "operations.view_funding"):
        raise NotFound()
    funders = _funders(user)
    form = None
    if funders:
        recipients = visible_to(user, "org.view_organisation", Organisation.objects.filter(
            kind=OrganisationKind.OPERATOR, is_active=True, served_divisions__path__under=funders[0].path)).distinct().order_by("name")
        form = FundingForm(request.POST or None, funders=funders, recipients=recipients)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                funder = next(d for d in funders if d.code == data["funder"])
                funding = services.funding_create(
                    actor=user, kind=data["kind"], title=data["title"], number=data["number"], funder=funder,
                    division=division_picked(user=user, code=data["division"], field="division",
                                             levels=(DivisionLevel.STREET, DivisionLevel.COMMUNITY)), amount=data["amount"],
                    recipient=recipients.filter(pk=data["recipient"]).first() if data["recipient"] else None,
                    starts_on=data["starts_on"], ends_on=data["ends_on"], conditions=data["conditions"],
                    milestones=data["milestones"])
                messages.success(request, _("The funding is recorded."))
                return redirect("operations:funding", funding_id=funding.pk)
            except ApplicationError as error:
                add_error_to_form(form, error)
    kind = request.GET.get("kind") or None
    return render(request, "operations/funding_list.html", {
        "page": _page(request, selectors.funding_list(user=user, kind=kind)), "form": form, "kind": kind,
    })


@login_required
def funding_detail(request, funding_id: int):
    user = request.user
    funding = selectors.funding_get(user=user, pk=funding_id)
    may_pay = user.has_perm("operations.add_funding", funding.funder) and funding.status == FundingStatus.ACTIVE
    milestones = list(funding.milestones.all())
    pending = [m for m in milestones if m.status == "pending"]
    forms = {}
    if may_pay:
        forms = {"pay": PaymentForm(prefix="pay", milestones=[m for m in milestones if m.status == "met"]),
                 "decide": MilestoneDecisionForm(prefix="decide", milestones=pending) if pending else None,
                 "close": ReasonForm(prefix="close")}
    if request.method == "POST":
        step = request.POST.get("step")
        if not forms.get(step):
            raise NotFound()
        kwargs = {"milestones": [m for m in milestones if m.status == "met"]} if step == "pay" else \
            {"milestones": pending} if step == "decide" else {}
        form = type(forms[step])(request.POST, request.FILES, prefix=step, **kwargs)
        forms[step] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if step == "pay":
                    services.funding_pay(actor=user, funding=funding, amount=data["amount"], paid_on=data["paid_on"],
                                         document=data["document"],
                                         milestone=next((m for m in milestones if m.pk == data["milestone"]), None))
                elif step == "decide":
                    services.milestone_decide(actor=user, milestone=next(m for m in milestones if m.pk == data["milestone"]),
                                              met=data["met"] == "1", evidence=data["evidence"],
                                              evidence_file=data["evidence_file"])
                else:
                    services.funding_close(actor=user, funding=funding, completed=request.POST.get("completed") == "1",
                                           note=data["reason"])
                messages.success(request, _("Recorded."))
                return redirect("operations:funding", funding_id=funding.pk)
            except ApplicationError as error:
                add_error_to_form(form, error)
    return render(request, "operations/funding.html", {
        "funding": funding, "milestones": milestones, "payments": list(funding.payments.select_related("milestone")),
        "forms": forms,
    })


# Idle rooms offered for partnership.

@login_required
@replica_reads
def offers(request):
    user = request.user
    if not holds_any(user, "operations.view_partnershipoffer"):
        raise NotFound()
    place = user_home_division(user=user)
    form = usage = None
    if place is not None and user.has_perm("operations.add_partnershipoffer", place) and not my_operators(user):
        today = timezone.localdate()
        idle = selectors.idle_rooms_to_offer(user=user, within=place, today=today)
        usage = {"period": usage_period(division=place, today=today), "threshold": format_number(idle_share(place), "share")}
        form = OfferForm(request.POST or None, rooms=idle, initial={"closes_on": today + timedelta(days=30)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            room = next(u.room for u in idle if u.room.pk == data["room"])
            try:
                offer = services.offer_publish(actor=user, room=room, title=data["title"], description=data["description"],
                                               categories=data["categories"], hours=data["hours"], closes_on=data["closes_on"])
                messages.success(request, _("The room is offered for partnership."))
                return redirect("operations:offer", offer_id=offer.pk)
            except ApplicationError as error:
                add_error_to_form(form, error)
    elif request.method == "POST":
        raise NotFound()
    return render(request, "operations/offers.html", {
        "page": _page(request, selectors.offer_list(user=user, open_only=request.GET.get("open") == "1")), "form": form,
        "categories": dict(ServiceCategory.choices), "usage": usage,
    })


@login_required
def offer_detail(request, offer_id: int):
    user = request.user
    offer = selectors.offer_get(user=user, pk=offer_id)
    interests = list(selectors.interests_for(user=user, offer=offer))
    manage = user.has_perm("operations.add_partnershipoffer", offer) and offer.status == OfferStatus.OPEN
    operators = [o for o in my_operators(user) if user.has_perm("operations.add_interest", o)]
    forms = {}
    if offer.status == OfferStatus.OPEN and operators:
        forms["interest"] = (InterestForm(prefix="interest", operators=operators), ServiceFormSet(prefix="services",
                                                                                              initial=[{}, {}]))
    open_interests = [i for i in interests if i.status == "submitted"]
    if manage:
        forms["award"] = (AwardForm(prefix="award", interests=open_interests), ShareFormSet(
            prefix="shares", initial=[{"tier": t} for t in ServiceTier.values])) if open_interests else None
        forms["withdraw"] = (ReasonForm(prefix="withdraw"), None)
    if request.method == "POST":
        step = request.POST.get("step")
        if not forms.get(step):
            raise NotFound()
        main, extra = forms[step]
        kwargs = {"operators": operators} if step == "interest" else {"interests": open_interests} if step == "award" else {}
        main = type(main)(request.POST, prefix=step, **kwargs)
        extra = type(extra)(request.POST, prefix=extra.prefix) if extra is not None else None
        forms[step] = (main, extra)
        if main.is_valid() and (extra is None or extra.is_valid()):
            data = main.cleaned_data
            try:
                if step == "interest":
                    operator = next(o for o in operators if str(o.pk) == data["operator"])
                    services.interest_submit(actor=user, offer=offer, operator=operator, proposal=data["proposal"],
                                             services=services_from(extra), renovation_cost=data["renovation_cost"])
                    messages.success(request, _("Your proposal is sent to the community."))
                    return redirect("operations:offer", offer_id=offer.pk)
                if step == "award":
                    interest = next(i for i in open_interests if i.pk == data["interest"])
                    agreement = services.offer_award(actor=user, offer=offer, interest=interest, terms=main.terms(),
                                                     shares=shares_from(extra))
                    messages.success(request, _("A draft agreement is made from the proposal."))
                    return redirect("operations:agreement", agreement_id=agreement.pk)
                services.offer_withdraw(actor=user, offer=offer, reason=data["reason"])
                messages.success(request, _("The offer is withdrawn."))
                return redirect("operations:offer", offer_id=offer.pk)
            except ApplicationError as error:
                add_error_to_form(main, error)
    return render(request, "operations/offer.html", {
        "offer": offer, "interests": interests, "forms": forms, "hours": _hours_text(offer.hours),
        "categories": [ServiceCategory(c).label for c in offer.categories if c in ServiceCategory.values],
        "tiers": dict(ServiceTier.choices), "service_categories": dict(ServiceCategory.choices),
    })


# Uploaded files, served only to those who may see what they belong to.

@login_required
def report_photo(request, report_photo_id: int):
    photo = get_for_user(request.user, "operations.view_operatingreport", ReportPhoto.objects.all(), pk=report_photo_id)
    return serve_upload(photo.image)


@login_required
def milestone_evidence(request, milestone_id: int):
    milestone = get_for_user(request.user, "operations.view_funding", Milestone.objects.exclude(evidence_file=""), pk=milestone_id)
    return serve_upload(milestone.evidence_file)


@login_required
def qualification_document(request, qualification_id: int):
    qualification = get_for_user(request.user, "operations.view_qualification", Qualification.objects.exclude(document=""),
                                 pk=qualification_id)
    return serve_upload(qualification.document)


def waiting_for(user, *, first: int = 20) -> dict:
    """What waits in space for service, longest first, each marked with how long it has waited against the
    city's ``operations.approval_overdue_days``: agreements submitted to the street (to approve, for the
    street's administrators), reports to confirm, applications for admission. The desk lists them; the
    dashboard card counts them and links to them."""
    may_approve = holds_any(user, "operations.approve_agreement")
    submitted = selectors.agreement_list(user=user, status=AgreementStatus.SUBMITTED)
    limits: dict = {}  # the city's limit, read once for the three queues

    def queue(rows, since: str, division: str):
        return waiting_queue(rows, since=since, division=division, key="operations.approval_overdue_days", first=first,
                             limits=limits)

    return {
        "approvals": queue(submitted, "submitted_at", "division") if may_approve else None,
        "submitted": queue(submitted, "submitted_at", "division") if not may_approve else None,
        "reports": queue(selectors.report_list(user=user, status=ReportStatus.SUBMITTED), "submitted_at", "agreement__division")
        if holds_any(user, "operations.confirm_operatingreport") else None,
        "admissions": queue(selectors.admission_list(user=user, status=AdmissionStatus.APPLIED), "applied_at", "division"),
    }


def operations_card(user) -> dict | None:
    """The home dashboard: agreements in force, what waits for me (linked to its list), open breaches."""
    if not _visible(user):
        return None
    return {
        "in_force": selectors.agreement_list(user=user, status="in_force").count(),
        **waiting_for(user, first=1),
        "returned": selectors.report_list(user=user, status=ReportStatus.RETURNED).count() if my_operators(user) else 0,
        "reports_due": len(selectors.reports_due(agreements=selectors.agreement_list(user=user))) if my_operators(user) else 0,
        "may_review": holds_any(user, "operations.review_admission"),
        "breaches": selectors.finding_list(user=user).filter(severity="breach").count(),
        "compliance_place": compliance_place(user),
    }


@login_required
def pick_operators(request):
    """The operators admitted for a community or street (``for``: its code), for the agreement form's picker (JSON)."""
    if not holds_any(request.user, "operations.add_agreement"):
        raise NotFound()
    division = division_get(user=request.user, code=request.GET.get("for", ""))
    return picker_response(
        request, search=lambda q: selectors.admitted_operator_options(division=division, q=q),
        lookup=lambda values: selectors.admitted_operator_options(division=division, ids=ids(values), limit=len(values)))
