"""Pages of community governance: the district's affairs admission list (read by everyone of the
district; a community refuses a task not on it; the bureau files, admits or refuses departments'
applications and reviews the list yearly), and 五社联动 projects with the supervisor's tables."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import holds_any, permitted_ids, require
from core.errors import ApplicationError, NotFound, ValidationFailed
from core.forms import add_error_to_form, step_forms
from core.replica import replica_reads
from org.models import DivisionLevel
from org.selectors import division_get, division_picked, organisation_get, user_home_division

from . import selectors, services
from .forms import (
    AdmitForm,
    ApplicationForm,
    ParticipationForm,
    ProjectForm,
    RefuseForm,
    ReviewForm,
    TaskRefusalForm,
)
from .models import AffairApplicationStatus, Party
from .overview import governance_overview


def _organisation(user, pk, field: str):
    if not pk:
        return None
    try:
        return organisation_get(user=user, pk=pk)
    except NotFound:
        raise ValidationFailed(fields={field: [_("Choose from the list: type part of the name and pick one.")]}) from None


def _summary_root(user, perm: str = "governance.view_summary"):
    home = user_home_division(user=user)
    if home is not None and home.level in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET) \
            and user.has_perm(perm, home):
        return home
    return None


@login_required
@replica_reads
def overview(request):
    """The supervisor's community-governance page for a city, district or street (``within``, else my
    home) and each division one level below: volunteers, five-party projects, the affairs list and
    refusals, signs, room suggestions and units' open resources, each as its module counts it."""
    user = request.user
    root = _summary_root(user)
    within = division_get(user=user, code=request.GET["within"]) if request.GET.get("within") else root
    if within is None or within.level not in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET):
        raise NotFound()
    require(user, "governance.view_summary", within)
    today = timezone.localdate()
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= today.year else today.year
    found = governance_overview(user=user, within=within, year=year, on=today)
    line = [d for d in within.ancestors() if user.has_perm("governance.view_summary", d)]
    return render(request, "governance/overview.html", {
        "overview": found, "within": within, "line": line, "years": list(range(today.year, today.year - 5, -1)),
        "children_open": within.level != DivisionLevel.STREET,
    })


@login_required
@replica_reads
def affairs_home(request):
    """The districts whose list I read; the tasks my communities refused; for supervisors, the tables by
    district and street and the applications waiting."""
    user = request.user
    if not holds_any(user, "governance.view_affair"):
        raise NotFound()
    districts = list(selectors.list_districts(user=user)[:50])
    if len(districts) == 1 and not holds_any(user, "governance.view_summary"):
        return redirect("governance:affair_list", district_code=districts[0].code)
    root = _summary_root(user)
    refusals = selectors.refusal_list(user=user) if holds_any(user, "governance.view_taskrefusal") else None
    return render(request, "governance/affairs_home.html", {
        "districts": districts, "root": root,
        "summary": selectors.affairs_summary(user=user, within=root) if root else None,
        "pending": selectors.application_list(user=user, status=AffairApplicationStatus.PENDING)[:50]
        if holds_any(user, "governance.view_affairapplication") else None,
        "refused_applications": selectors.application_list(user=user, status=AffairApplicationStatus.REFUSED)[:50]
        if holds_any(user, "governance.view_affairapplication") else None,
        "refusals": Paginator(refusals, 30).get_page(request.GET.get("page")) if refusals is not None else None,
    })


@login_required
@replica_reads
def affair_list(request, district_code: str):
    """The list of a district in force (or ?version=N), its versions, and what the user may do with it."""
    user = request.user
    district = selectors.district_get(user=user, code=district_code)
    number = request.GET.get("version")
    version = selectors.version_get(user=user, district=district, number=int(number) if number and number.isdigit() else None)
    in_force = selectors.version_get(user=user, district=district)
    current = list(selectors.affair_list(user=user, version=in_force)) if in_force else []
    steps = {}
    if in_force and _refuses_below(user, district):
        steps["refuse"] = lambda *a, **kw: TaskRefusalForm(*a, district=district, **kw)
    if user.has_perm("governance.apply_affair", district):
        steps["apply"] = lambda *a, **kw: ApplicationForm(*a, district=district, **kw)
    if in_force and user.has_perm("governance.change_affair", district):
        steps["review"] = lambda *a, **kw: ReviewForm(*a, affairs=current, **kw)
    forms, step, form = step_forms(request, steps)
    if step and form.is_valid():
        data = form.cleaned_data
        try:
            if step == "refuse":
                community = division_picked(user=user, code=data["community"], field="community", levels=("community",))
                require(user, "governance.refuse_task", community)
                refusal = services.task_refuse(actor=user, community=community, title=data["title"], details=data["details"],
                                               department=_organisation(user, data["department"], "department"))
                messages.success(request, _("The task is refused, citing version %(v)s of the list.") % {"v": refusal.version.number})
            elif step == "apply":
                application = services.application_file(
                    actor=user, district=district, department=_organisation(user, data["department"], "department"),
                    title=data["title"], role=data["role"], legal_basis=data["legal_basis"], reason=data["reason"])
                messages.success(request, _("The application is filed for the district's review."))
                return redirect("governance:application", affair_application_id=application.pk)
            elif step == "review":
                remove = [a for a in current if str(a.pk) in set(data["remove"])]
                version = services.list_review(actor=user, district=district, remove=remove, reviewed_on=data["reviewed_on"],
                                               note=data["note"])
                messages.success(request, _("The review is recorded as version %(v)s of the list.") % {"v": version.number})
            return redirect("governance:affair_list", district_code=district.code)
        except ApplicationError as error:
            add_error_to_form(form, error)
    affairs = current if version == in_force else (list(selectors.affair_list(user=user, version=version)) if version else [])
    return render(request, "governance/affair_list.html", {
        "district": district, "version": version, "in_force": in_force, "affairs": affairs,
        "hosted": sum(1 for a in affairs if a.role == "host"),
        "versions": selectors.version_list(user=user, district=district),
        "removed": selectors.removed_in(version=version) if version else [],
        "review_due": services.review_due(district, today=timezone.localdate()), "today": timezone.localdate(),
        "forms": forms, "may_import": user.has_perm("governance.change_affair", district),
    })


def _refuses_below(user, district) -> bool:
    """Whether ``user`` refuses tasks for some community of ``district``."""
    from accounts.permissions import reaches

    return any(any(path.startswith(district.path) for path in reach.paths)
               for reach in reaches(user, "governance.refuse_task"))


@login_required
def application_detail(request, affair_application_id: int):
    user = request.user
    application = selectors.application_get(user=user, pk=affair_application_id)
    steps = {}
    if application.status == AffairApplicationStatus.PENDING and user.has_perm("governance.review_affair", application):
        steps = {"admit": AdmitForm, "refuse": RefuseForm}
    forms, step, form = step_forms(request, steps)
    if step and form.is_valid():
        try:
            if step == "admit":
                affair = services.application_admit(actor=user, application=application,
                                                     effective_on=form.cleaned_data["effective_on"], note=form.cleaned_data["note"])
                messages.success(request, _("The task is admitted as item %(n)s of the list.") % {"n": affair.number})
            else:
                services.application_refuse(actor=user, application=application, reasons=form.cleaned_data["reasons"])
                messages.success(request, _("The application is refused."))
            return redirect("governance:application", affair_application_id=application.pk)
        except ApplicationError as error:
            add_error_to_form(form, error)
    return render(request, "governance/application.html", {"application": application, "forms": forms})


@login_required
@replica_reads
def projects_home(request):
    """五社联动 projects in my scope; for supervisors and streets, the table by district and street."""
    user = request.user
    if not holds_any(user, "governance.view_project"):
        raise NotFound()
    within = division_get(user=user, code=request.GET["within"]) if request.GET.get("within") else None
    root = within if within is not None and user.has_perm("governance.view_summary", within) else _summary_root(user)
    forms, step, form = step_forms(request, {"create": ProjectForm} if holds_any(user, "governance.add_project") else {})
    if step and form.is_valid():
        data = form.cleaned_data
        try:
            community = division_picked(user=user, code=data["community"], field="community", levels=("community",))
            require(user, "governance.add_project", community)
            project = services.project_create(actor=user, community=community, title=data["title"],
                                              description=data["description"], starts_on=data["starts_on"],
                                              ends_on=data["ends_on"])
            messages.success(request, _("The project is recorded: now add the parties taking part."))
            return redirect("governance:project", partnership_project_id=project.pk)
        except ApplicationError as error:
            add_error_to_form(form, error)
    q = (request.GET.get("q") or "").strip()[:50]
    page = Paginator(selectors.project_list(user=user, within=within, q=q or None), 30).get_page(request.GET.get("page"))
    figures = selectors.project_figures([p.pk for p in page])
    for project in page:
        project.figures = figures.get(project.pk)
    return render(request, "governance/projects.html", {
        "page": page, "q": q, "root": root, "forms": forms,
        "summary": selectors.five_party_summary(user=user, within=root) if root else None,
    })


@login_required
def project_detail(request, partnership_project_id: int):
    user = request.user
    project = selectors.project_get(user=user, pk=partnership_project_id)
    may_change = user.has_perm("governance.add_project", project.community)
    steps = {"add": lambda *a, **kw: ParticipationForm(*a, community=project.community, **kw)} if may_change else {}
    if may_change and request.method == "POST" and request.POST.get("step") == "remove":
        participation = project.participations.filter(pk=request.POST.get("participation") or 0).first()
        if participation is None:
            raise NotFound()
        services.participation_remove(actor=user, participation=participation)
        messages.success(request, _("The party is taken off the project."))
        return redirect("governance:project", partnership_project_id=project.pk)
    forms, step, form = step_forms(request, steps)
    if step and form.is_valid():
        data = form.cleaned_data
        try:
            fund = getattr(project.community, "fund", None) if data["use_fund"] else None
            if data["use_fund"] and fund is None:
                raise ValidationFailed(fields={"use_fund": [_("The community has no fund.")]})
            services.participation_add(actor=user, project=project, contribution=services.Contribution(
                party=data["party"], organisation=_organisation(user, data["organisation"], "organisation"), fund=fund,
                people=data["people"], headcount=data["headcount"] or 0, money=data["money"] or 0, hours=data["hours"] or 0,
                in_kind=data["in_kind"], note=data["note"]))
            messages.success(request, _("The party is added to the project."))
            return redirect("governance:project", partnership_project_id=project.pk)
        except ApplicationError as error:
            add_error_to_form(form, error)
    from volunteers.selectors import project_opportunities

    participations = list(project.participations.select_related("organisation", "fund"))
    figures = selectors.project_figures([project.pk]).get(project.pk)
    return render(request, "governance/project.html", {
        "project": project, "participations": participations, "figures": figures, "forms": forms, "may_change": may_change,
        "opportunities": project_opportunities(user=user, project=project),
        "missing": [label for value, label in Party.choices if not figures or value not in figures.parties],
        "linked_organisations": permitted_ids(user, "org.view_organisation", [p.organisation for p in participations if p.organisation]),
    })
