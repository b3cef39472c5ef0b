"""Pages of community development funds: the funds dashboard for each role, a fund's books and
committee, a project's review and payments, the public disclosure (公示) and the audit export."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import holds_any, require
from core.errors import ApplicationError, NotFound, ValidationFailed
from core.forms import add_error_to_form, step_forms
from core.pickers import ids, picker_response
from core.replica import replica_reads
from core.uploads import serve_upload
from core.views import public
from org.models import DivisionLevel, Organisation, OrganisationKind
from org.selectors import division_get, user_home_division
from rulepack.selectors import waiting_queue

from . import selectors, services
from .audit_export import audit_workbook
from .forms import (
    DecisionForm,
    DisbursementForm,
    EvidenceForm,
    FoundForm,
    FundForm,
    IncomeForm,
    MemberForm,
    PeriodForm,
    ProjectForm,
    ReasonForm,
    ReportForm,
    VoteForm,
)
from .models import Evidence, Project, ProjectStatus


def _visible(user) -> bool:
    return holds_any(user, "funds.view_fund")


@login_required
@replica_reads
def home(request):
    """Funds in my scope with their figures; what waits for me (votes, decisions); reach for supervisors."""
    if not _visible(request.user):
        raise NotFound()
    home_division = user_home_division(user=request.user)
    q = (request.GET.get("q") or "").strip()[:50]
    page = Paginator(selectors.fund_list(user=request.user, q=q or None), 30).get_page(request.GET.get("page"))
    funds = list(page)  # the page keeps these objects, so the template reads their figures
    figures = selectors.fund_figures(funds, since=date(timezone.localdate().year, 1, 1), months=False)
    for fund in funds:
        fund.figures = figures[fund.pk]
    reach = None
    if home_division is not None and home_division.level in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET) \
            and request.user.has_perm("funds.view_reach", home_division):
        reach = selectors.reach(user=request.user, within=home_division)
    return render(request, "funds/home.html", {
        "page": page, "q": q, "waiting": waiting_for(request.user), "reach": reach, "home": home_division,
        "found_form": FoundForm() if holds_any(request.user, "funds.add_fund") else None,
        "may_export": holds_any(request.user, "funds.export_audit"),
        "period": PeriodForm(initial={"since": date(timezone.localdate().year, 1, 1), "until": timezone.localdate()}),
    })


@login_required
def found(request, code: str):
    """Found a fund for a community (or district) at a charity."""
    division = division_get(user=request.user, code=code)
    charities = Organisation.objects.serving(division).filter(kind=OrganisationKind.CHARITY, public_fundraising=True, is_active=True)
    hosts = [host for host in charities.order_by("name") if selectors.may_found(request.user, division, host)]
    if not hosts:
        raise NotFound()
    form = FundForm(request.POST or None, hosts=hosts, initial={"led_by": _("%(name)s Party Committee") % {"name": division.name}})
    form.fields["host"].widget.params["serving"] = division.code
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund = services.fund_create(actor=request.user, division=division, host=next(h for h in hosts if str(h.pk) == data["host"]),
                                        name=data["name"], led_by=data["led_by"], founding_document=data["founding_document"],
                                        purpose=data["purpose"], founded_on=data["founded_on"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("The fund is founded."))
            posted = list(fund.incomes.filter(held_share__isnull=False).values_list("amount", flat=True))
            if posted:
                messages.info(request, _("%(n)s operators' shares held for %(division)s, ¥%(total)s in all, are posted to the "
                                         "fund.") % {"n": len(posted), "division": division.name,
                                                     "total": f"{sum(posted, Decimal('0.00')):,.2f}"})
            return redirect("funds:fund", code=fund.division.code)
    held = list(selectors.held_shares(division=division))
    return render(request, "funds/found.html", {"division": division, "form": form, "held": held,
                                                "held_total": sum((h.amount for h in held), Decimal("0.00"))})


@login_required
def fund_detail(request, code: str):
    fund = selectors.fund_get(user=request.user, code=code)
    user = request.user
    forms = {
        "income": IncomeForm(prefix="income") if user.has_perm("funds.add_income", fund) else None,
        "project": ProjectForm(prefix="project") if user.has_perm("funds.add_project", fund) else None,
        "member": MemberForm(prefix="member", fund=fund) if user.has_perm("funds.change_fund", fund) else None,
    }
    if request.method == "POST":
        action = request.POST.get("action")
        form = forms.get(action)
        if form is None:
            raise NotFound()
        form = type(form)(request.POST, prefix=action, **({"fund": fund} if action == "member" else {}))
        forms[action] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "income":
                    services.income_record(actor=user, fund=fund, kind=data["kind"], amount=data["amount"],
                                           donor_name=data["donor_name"], donor_kind=data["donor_kind"], anonymous=data["anonymous"],
                                           purpose=data["purpose"], received_on=data["received_on"], receipt_no=data["receipt_no"])
                    messages.success(request, _("The income is recorded."))
                elif action == "project":
                    project = services.project_propose(actor=user, fund=fund, **data)
                    messages.success(request, _("The project goes to the committee for review."))
                    return redirect("funds:project", fund_project_id=project.pk)
                else:
                    member = selectors.committee_candidates(fund=fund).filter(pk=data["person"]).first()
                    if member is None:
                        raise ValidationFailed(fields={"person": [_("Choose a person of the community or of the host charity from the list.")]})
                    services.member_add(actor=user, fund=fund, user=member, side=data["side"], is_chair=data["is_chair"])
                    messages.success(request, _("The member is seated on the committee."))
                return redirect("funds:fund", code=fund.division.code)
            except ApplicationError as error:
                add_error_to_form(form, error)
    fund = selectors.fund_get(user=user, code=code)  # the balance as it is now
    figures = selectors.fund_figures([fund])[fund.pk]
    return render(request, "funds/fund.html", {
        "fund": fund, "figures": figures, "forms": forms,
        "by_month_json": [(month.strftime("%Y-%m"), float(amount)) for month, amount in sorted(figures.by_month.items())[-12:]],
        "members": list(services.active_members(fund)),
        "incomes": list(selectors.income_list(user=user, fund=fund)[:30]),
        "projects": list(selectors.project_list(user=user, fund=fund)[:50]),
        "may_export": user.has_perm("funds.export_audit", fund),
        "period": PeriodForm(initial={"since": date(timezone.localdate().year, 1, 1), "until": timezone.localdate()}),
    })


# The way a project goes when all is well, for the progress line on its page.
PATH_STEPS = [(s.value, s.label) for s in (ProjectStatus.REVIEW, ProjectStatus.ENDORSED, ProjectStatus.APPLIED,
                                            ProjectStatus.APPROVED, ProjectStatus.DISBURSING, ProjectStatus.COMPLETED)]


def _done_steps(status: str) -> set[str]:
    order = [code for code, _label in PATH_STEPS]
    if status in order:
        return set(order[:order.index(status)])
    return {ProjectStatus.REVIEW} if status in (ProjectStatus.REJECTED, ProjectStatus.RETURNED) else set()


def _steps(user, project: Project) -> dict:
    """The forms of the steps open to ``user`` on this project now."""
    status = project.status
    steps = {}
    if status == ProjectStatus.REVIEW and user.has_perm("funds.vote_project", project) and \
            services.active_members(project.fund).filter(user=user).exists() and not project.votes.filter(member__user=user).exists():
        steps["vote"] = VoteForm
    manage = user.has_perm("funds.change_project", project)
    if manage and status == ProjectStatus.REVIEW:
        steps["close"] = None
    if manage and status in (ProjectStatus.ENDORSED, ProjectStatus.RETURNED):
        steps["apply"] = None
    if manage and status in (ProjectStatus.REVIEW, ProjectStatus.ENDORSED, ProjectStatus.RETURNED, ProjectStatus.APPLIED):
        steps["withdraw"] = ReasonForm
    if status == ProjectStatus.APPLIED and user.has_perm("funds.decide_project", project):
        steps["decide"] = DecisionForm
    if status in (ProjectStatus.APPROVED, ProjectStatus.DISBURSING) and user.has_perm("funds.disburse_project", project):
        steps["disburse"] = DisbursementForm
    if manage and status == ProjectStatus.DISBURSING:
        steps["evidence"] = EvidenceForm
        steps["complete"] = ReportForm
    return steps


def _run_step(user, project: Project, step: str, data: dict, files) -> str:
    if step == "vote":
        services.project_vote(actor=user, project=project, choice=data["choice"], comment=data["comment"])
        return _("Your vote is recorded.")
    if step == "close":
        services.project_review_close(actor=user, project=project)
        return _("The committee's review is closed.")
    if step == "apply":
        services.project_apply(actor=user, project=project)
        return _("The application is sent to the charity.")
    if step == "withdraw":
        services.project_withdraw(actor=user, project=project, reason=data["reason"])
        return _("The project is withdrawn.")
    if step == "decide":
        services.project_decide(actor=user, project=project, approve=data["approve"], note=data["note"])
        return _("The decision is recorded.")
    if step == "disburse":
        services.project_disburse(actor=user, project=project, amount=data["amount"], payee=data["payee"], document=data["document"])
        return _("The instalment is paid.")
    if step == "evidence":
        services.evidence_add(actor=user, project=project, description=data["description"], amount=data["amount"],
                              invoice_no=data["invoice_no"], file=files.get("evidence-file"))
        return _("The evidence is added.")
    services.project_complete(actor=user, project=project, report=data["report"])
    return _("The project is completed.")


@login_required
def project_detail(request, fund_project_id: int):
    project = selectors.project_get(user=request.user, pk=fund_project_id)
    steps = _steps(request.user, project)
    forms, step, form = step_forms(request, steps)
    if step is not None and (form is None or form.is_valid()):
        try:
            messages.success(request, _run_step(request.user, project, step, form.cleaned_data if form else {}, request.FILES))
            return redirect("funds:project", fund_project_id=project.pk)
        except ApplicationError as error:
            if form is None:
                messages.error(request, error.message)
            else:
                add_error_to_form(form, error)
    counts = services.tally(project, services.committee_rule(project.fund))
    return render(request, "funds/project.html", {
        "project": project, "steps": steps, "forms": forms, "counts": counts,
        "step_labels": PATH_STEPS, "done_steps": _done_steps(project.status),
        "votes": list(project.votes.select_related("member__user")),
        "disbursements": list(project.disbursements.all()), "evidence": list(project.evidence.select_related("added_by")),
    })


@login_required
def evidence_file(request, evidence_id: int):
    """The scan of one piece of spending evidence, to whoever may see its project."""
    evidence = Evidence.objects.exclude(file="").filter(pk=evidence_id).only("project_id", "file").first()
    if evidence is None:
        raise NotFound()
    selectors.project_get(user=request.user, pk=evidence.project_id)
    return serve_upload(evidence.file)


@public
def disclosure(request, code: str):
    """A fund's public disclosure (公示): no sign-in, for residents on their phones."""
    fund = selectors.public_fund_get(code=code)
    return render(request, "funds/disclosure.html", selectors.disclosure(fund))


@login_required
def audit_export(request):
    """The general ledger and statements of the funds in my scope for a period, as an Excel workbook."""
    if not holds_any(request.user, "funds.export_audit"):
        raise NotFound()
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("funds:home")
    funds = [f for f in selectors.fund_list(user=request.user) if request.user.has_perm("funds.export_audit", f)]
    code = request.GET.get("fund")
    if code:
        funds = [f for f in funds if f.division.code == code]
        if not funds:
            raise NotFound()
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    response = HttpResponse(audit_workbook(funds, since=since, until=until),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="linli-funds-audit-{since}-{until}.xlsx"'
    return response


def waiting_for(user, *, first: int = 20) -> dict:
    """What waits for ``user`` in the funds, longest first: projects awaiting their vote, applications
    for the charity to decide (marked against the city's ``funds.decision_overdue_days``), approved
    projects to pay. The funds page lists them above the funds; the dashboard card counts them."""
    return {
        "votes": waiting_queue(selectors.awaiting_my_vote(user=user), since="proposed_at", division="fund__division",
                               key=None, first=first),
        "decisions": waiting_queue(selectors.project_list(user=user, status=ProjectStatus.APPLIED), since="applied_at",
                                   division="fund__division", key="funds.decision_overdue_days", first=first)
        if holds_any(user, "funds.decide_project") else None,
        "payments": waiting_queue(selectors.project_list(user=user, status=ProjectStatus.APPROVED), since="charity_decided_at",
                                  division="fund__division", key=None, first=first)
        if holds_any(user, "funds.disburse_project") else None,
    }


def funds_card(user) -> dict | None:
    """The home dashboard: the balance of my funds, and what waits for my vote, decision or payment (linked to it)."""
    if not _visible(user):
        return None
    funds = selectors.fund_list(user=user)
    totals = funds.order_by().aggregate(count=Count("pk"), balance=Sum("account__balance"))
    return {
        "count": totals["count"],
        "balance": totals["balance"] or 0,
        **waiting_for(user, first=1),
        "first": funds.first(),
    }



# The pickers' searches (core/pickers.py).

@login_required
def pick_places(request):
    """Communities and districts without a fund where the user may found one, by name (JSON)."""
    if not holds_any(request.user, "funds.add_fund"):
        raise NotFound()
    return picker_response(
        request, search=lambda q: selectors.place_to_found_options(user=request.user, q=q),
        lookup=lambda values: selectors.place_to_found_options(user=request.user, codes=values, limit=len(values)))


@login_required
def pick_members(request):
    """People who may be seated on a fund's committee (``fund``: its community's code), by name or mobile number (JSON)."""
    fund = selectors.fund_get(user=request.user, code=request.GET.get("fund", ""))
    require(request.user, "funds.change_fund", fund)
    return picker_response(
        request, search=lambda q: selectors.committee_candidate_options(fund=fund, q=q),
        lookup=lambda values: selectors.committee_candidate_options(fund=fund, ids=ids(values), limit=len(values)))
