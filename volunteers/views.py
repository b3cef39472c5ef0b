"""Pages of volunteers.

Residents' pages are made for a phone: signing up, the opportunities of their community with
apply and withdraw, one-tap sign-in and sign-out where the QR code leads, the time bank and teams.
Organisers' pages: the division's volunteers desk (hours by street or community, time banks,
opportunities, teams, building heads and grid volunteers, the Excel export), publishing an
opportunity or a team, and an opportunity's page with applications, its rotating QR code and the
hours to confirm.
"""

from datetime import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import active_roles, holds_any, require
from core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from core.forms import add_error_to_form
from core.privacy import NAME, personal_data_opened, viewer_of
from core.replica import replica_reads
from neighbourhood.services import operator_of, resident_community
from org.models import Division, DivisionLevel
from org.selectors import division_get, user_home_division

from . import selectors, services
from .forms import (
    CodeForm,
    ConfirmForm,
    GridRoleForm,
    OpportunityForm,
    ReasonForm,
    TeamForm,
    VolunteerForm,
)
from .models import (
    ApplicationStatus,
    GridRoleKind,
    OpportunityStatus,
    RecordStatus,
    SignMethod,
    VolunteerStatus,
)


def is_organiser(user) -> bool:
    """Staff of communities, streets and the bureau, and operators: those the volunteers desk is for."""
    return holds_any(user, "volunteers.export_hours")


def _communities_to_organise(user) -> list[Division]:
    """The communities (and streets) where ``user`` may post opportunities and form teams."""
    found: dict[int, Division] = {}
    for assignment in active_roles(user):
        if assignment.role in (Role.COMMUNITY_WORKER, Role.STREET_ADMIN) and assignment.division_id:
            if assignment.division.level == DivisionLevel.GRID:
                continue
            for division in Division.objects.filter(path__under=assignment.division.path,
                                                    level__in=[DivisionLevel.COMMUNITY, DivisionLevel.STREET]).order_by("path"):
                found[division.pk] = division
    # An operator posts in the communities it serves (the service checks it may serve there).
    for organisation in operator_of(user):
        for served in organisation.served_divisions.all():
            for division in Division.objects.filter(path__under=served.path, level=DivisionLevel.COMMUNITY).order_by("path")[:200]:
                found[division.pk] = division
    return sorted(found.values(), key=lambda d: d.path)


def _organiser_of(user):
    """The operator a member of its staff posts for (None for community and street staff)."""
    if any(a.role in (Role.COMMUNITY_WORKER, Role.STREET_ADMIN) for a in active_roles(user)):
        return None
    mine = operator_of(user)
    return mine[0] if mine else None


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# Residents.

@login_required
def home(request):
    volunteer = selectors.volunteer_of(request.user)
    community = resident_community(request.user)
    now = timezone.now()
    opportunities = list(selectors.opportunity_list(user=request.user, within=community, upcoming_from=now)[:20]) if community else []
    context = {"volunteer": volunteer, "community": community, "opportunities": opportunities, "tab": "home"}
    if volunteer is not None:
        context.update(bank=selectors.time_bank(volunteer), applications=list(selectors.applications_of(volunteer, not_ended_at=now)),
                       open_record=selectors.open_record(volunteer))
    return render(request, "volunteers/home.html", context)


@login_required
def signup(request):
    """Sign up (a resident of a community), or change one's mobile number, skills and availability."""
    volunteer = selectors.volunteer_of(request.user)
    community = resident_community(request.user)
    if volunteer is None and community is None:
        # Staff and others who are no community's residents: the page says who signs up, and offers no form.
        return render(request, "volunteers/signup.html", {"form": None, "volunteer": None, "community": None, "tab": "me"})
    initial = {"phone": volunteer.phone, "skills": volunteer.skills, "availability": volunteer.availability} if volunteer else {
        "real_name": request.user.display_name, "phone": getattr(request.user, "phone", "") or ""}
    form = VolunteerForm(request.POST or None, initial=initial, editing=volunteer is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if volunteer is None:
                services.volunteer_register(actor=request.user, community=community, real_name=data["real_name"], phone=data["phone"],
                                            id_number=data["id_number"], skills=data["skills"], availability=data["availability"],
                                            consent=data["consent"])
                messages.success(request, _("Welcome! You are now a volunteer of %(community)s.") % {"community": community.name})
            else:
                services.volunteer_update(actor=request.user, volunteer=volunteer, phone=data["phone"], skills=data["skills"],
                                          availability=data["availability"])
                messages.success(request, _("Saved."))
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            return redirect("volunteers:home")
    return render(request, "volunteers/signup.html", {"form": form, "volunteer": volunteer, "community": community, "tab": "me"})


def _project_readable(user, item) -> bool:
    """Whether ``user`` may open the page of the 五社联动 project ``item`` is for (staff reading the community)."""
    return item.project_id is not None and user.has_perm("governance.view_project", item.project)


@login_required
def opportunity(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    volunteer = selectors.volunteer_of(request.user)
    return render(request, "volunteers/opportunity.html", {
        "item": item, "volunteer": volunteer, "application": selectors.application_of(volunteer, item),
        "open_record": selectors.open_record(volunteer, item), "organises": services.may_organise(request.user, item), "tab": "home",
        "accepted": ApplicationStatus.ACCEPTED, "applied": ApplicationStatus.APPLIED,
        "project_readable": _project_readable(request.user, item),
    })


@require_POST
@login_required
def apply(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    services.application_submit(actor=request.user, opportunity=item)
    messages.success(request, _("Application sent."))
    return redirect("volunteers:opportunity", item.pk)


@require_POST
@login_required
def withdraw(request, application_id: int):
    application = selectors.application_get(user=request.user, pk=application_id)
    services.application_withdraw(actor=request.user, application=application)
    messages.success(request, _("Application withdrawn."))
    return redirect("volunteers:opportunity", application.opportunity_id)


@login_required
def sign(request, opportunity_id: int):
    """Where the opportunity's QR code leads: the code is filled in, one tap signs in (or out)."""
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    volunteer = selectors.volunteer_of(request.user)
    open_record = selectors.open_record(volunteer, item)
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        try:
            if request.POST.get("action") == "out":
                record = services.sign_out(actor=request.user, opportunity=item, code=code)
                messages.success(request, _("Signed out: %(hours)s hours await the organiser's confirmation.") % {"hours": record.hours})
            else:
                services.sign_in(actor=request.user, opportunity=item, code=code,
                                 method=SignMethod.QR if request.POST.get("via") == "qr" else SignMethod.CODE)
                messages.success(request, _("Signed in. Thank you for volunteering!"))
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            return redirect("volunteers:hours")
    return render(request, "volunteers/sign.html", {"item": item, "form": form, "open_record": open_record,
                                                    "via": "qr" if request.GET.get("code") else "", "tab": "home"})


@login_required
@replica_reads
def hours(request):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        return redirect("volunteers:home")
    return render(request, "volunteers/hours.html", {"volunteer": volunteer, "bank": selectors.time_bank(volunteer),
                                                     "records": list(selectors.records_of(volunteer)[:50]), "tab": "hours"})


@login_required
def teams(request):
    volunteer = selectors.volunteer_of(request.user)
    community = resident_community(request.user)
    rows = list(selectors.team_list(user=request.user, within=community)) if community else []
    mine = {t.pk for t in selectors.teams_of(volunteer)} if volunteer else set()
    return render(request, "volunteers/teams.html", {"teams": rows, "mine": mine, "volunteer": volunteer, "tab": "teams"})


@require_POST
@login_required
def team_join(request, team_id: int):
    team = selectors.team_get(user=request.user, pk=team_id)
    if request.POST.get("leave"):
        services.team_leave(actor=request.user, team=team)
        messages.success(request, _("You left the team."))
    else:
        services.team_join(actor=request.user, team=team)
        messages.success(request, _("You joined %(team)s.") % {"team": team.name})
    return redirect("volunteers:teams")


# Organisers.

@login_required
def desk(request):
    """The organiser's start: the division's desk for staff, the organisation's opportunities for an operator."""
    if not is_organiser(request.user):
        raise NotFound()
    if _organiser_of(request.user) is None:
        home_division = user_home_division(user=request.user)
        if home_division is not None and holds_any(request.user, "volunteers.view_hours"):
            return redirect("volunteers:staff", home_division.code)
    rows = list(selectors.opportunity_list(user=request.user)[:100])
    return render(request, "volunteers/staff/desk.html", {"opportunities": rows, "can_publish": bool(_communities_to_organise(request.user))})


@login_required
def staff(request, code: str):
    division = division_get(user=request.user, code=code)
    require(request.user, "volunteers.view_hours", division)
    opportunities = list(selectors.opportunity_list(user=request.user, within=division).order_by("-starts_at")[:30])
    for item in opportunities:
        item.organised = services.may_organise(request.user, item)
    grids = list(Division.objects.filter(parent=division, level=DivisionLevel.GRID).order_by("code")) \
        if division.level == DivisionLevel.COMMUNITY else []
    can_appoint = bool(grids) and services.staff_reaches(request.user, division)
    form = None
    if can_appoint:
        form = GridRoleForm(request.POST or None, volunteers=selectors.volunteer_list(user=request.user, within=division)
                            .filter(status=VolunteerStatus.ACTIVE).order_by("real_name"), grids=grids,
                            viewer=viewer_of(request.user))
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                volunteer = selectors.volunteer_get(user=request.user, pk=data["volunteer"])
                grid = next(g for g in grids if g.code == data["grid"])
                services.grid_role_assign(actor=request.user, volunteer=volunteer, grid=grid, role=data["role"], building=data["building"])
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Appointed."))
                return redirect("volunteers:staff", division.code)
    volunteers = list(selectors.volunteer_list(user=request.user, within=division)[:20])
    grid_roles = list(selectors.grid_roles(user=request.user, within=division).order_by("grid__code", "role")[:100])
    # Volunteers' names are whole only for their community's workers (core.privacy); their reading them is recorded.
    viewer = viewer_of(request.user)
    named = {v.user_id for v in [*volunteers, *(g.volunteer for g in grid_roles)]
             if v.user_id != request.user.pk and viewer.sees(NAME, division=v.community_id)}
    personal_data_opened(user=request.user, target=division, division=division, people=len(named))
    return render(request, "volunteers/staff/division.html", {
        "division": division, "rows": selectors.hours_by_division(within=division),
        "volunteers": volunteers,
        "volunteer_count": selectors.volunteer_list(user=request.user, within=division).count(),
        "opportunities": opportunities, "teams": list(selectors.team_list(user=request.user, within=division)),
        "grid_roles": grid_roles,
        "form": form, "can_publish": services.organises_for(request.user, division, None) if division.level in (
            DivisionLevel.COMMUNITY, DivisionLevel.STREET) else False, "building_head": GridRoleKind.BUILDING_HEAD,
    })


@login_required
def opportunity_new(request):
    communities = _communities_to_organise(request.user)
    if not communities:
        raise NotFound()
    organiser = _organiser_of(request.user)
    projects = list(selectors.projects_to_link(user=request.user, communities=communities, today=timezone.localdate()))
    form = OpportunityForm(request.POST or None, communities=communities, projects=projects,
                           initial={"community": request.GET.get("community", ""), "project": request.GET.get("project", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = next(d for d in communities if d.code == data["community"])
        project = next((p for p in projects if str(p.pk) == data.get("project")), None)
        try:
            item = services.opportunity_publish(
                actor=request.user, community=community, organiser=organiser, title=data["title"], description=data["description"],
                skills=data["skills"], places=data["places"], starts_at=_aware(data["starts_at"]), ends_at=_aware(data["ends_at"]),
                place=data["place"], project=project, auto_accept=data["auto_accept"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Published."))
            return redirect("volunteers:manage", item.pk)
    return render(request, "volunteers/staff/form.html", {"form": form, "title": _("Recruit volunteers")})


@login_required
def team_new(request):
    communities = _communities_to_organise(request.user)
    if not communities:
        raise NotFound()
    form = TeamForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        community = next(d for d in communities if d.code == data["community"])
        try:
            services.team_create(actor=request.user, community=community, organisation=_organiser_of(request.user), name=data["name"],
                                 description=data["description"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Team formed."))
            return redirect("volunteers:desk")
    return render(request, "volunteers/staff/form.html", {"form": form, "title": _("Form a volunteer team")})


def _organised(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    require(request.user, "volunteers.change_opportunity", item)
    if not services.may_organise(request.user, item):
        raise PermissionDenied()
    return item


def _sign_url(request, item) -> str:
    return request.build_absolute_uri(reverse("volunteers:sign", args=[item.pk])) + f"?code={services.sign_code(item)}"


@login_required
def manage(request, opportunity_id: int):
    item = _organised(request, opportunity_id)
    records = list(selectors.records_for(item))
    applications = list(selectors.applications_for(item))
    if viewer_of(request.user).sees(NAME, division=item.community_id, organisation=item.organiser_id):
        named = {x.volunteer.user_id for x in [*applications, *records]} - {request.user.pk}
        personal_data_opened(user=request.user, target=item, division=item.community, people=len(named))
    opens, closes = services.sign_in_opens(item), services.sign_out_closes(item)
    return render(request, "volunteers/staff/opportunity.html", {
        "item": item, "applications": applications, "records": records,
        "signing_open": item.status == OpportunityStatus.OPEN and opens <= timezone.now() <= closes, "opens": opens, "closes": closes,
        "awaiting": any(r.status == RecordStatus.PENDING for r in records),
        "applied": ApplicationStatus.APPLIED, "pending": RecordStatus.PENDING, "open": RecordStatus.OPEN,
        "code": services.sign_code(item), "sign_url": _sign_url(request, item), "period": services.code_period(item),
        "reason_form": ReasonForm(), "confirm_form": ConfirmForm(), "project_readable": _project_readable(request.user, item),
    })


@login_required
def code_panel(request, opportunity_id: int):
    """The rotating code and its QR code (an HTMX fragment the opportunity's page refreshes)."""
    item = _organised(request, opportunity_id)
    url = _sign_url(request, item)
    svg = segno.make(url, error="m").svg_inline(scale=6, dark="#1f2933")
    return render(request, "volunteers/partials/code.html", {"item": item, "code": services.sign_code(item), "svg": svg,
                                                             "period": services.code_period(item)})


@require_POST
@login_required
def decide(request, application_id: int):
    application = selectors.application_get(user=request.user, pk=application_id)
    require(request.user, "volunteers.change_opportunity", application.opportunity)
    services.application_decide(actor=request.user, application=application, accept=request.POST.get("accept") == "1")
    return redirect("volunteers:manage", application.opportunity_id)


@require_POST
@login_required
def confirm(request, record_id: int):
    record = selectors.record_get(user=request.user, pk=record_id)
    require(request.user, "volunteers.change_opportunity", record.opportunity)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(fields={"minutes": [_("Give the minutes as a whole number.")]})
    if request.POST.get("reject"):
        services.record_reject(actor=request.user, record=record, reason=request.POST.get("reason", ""))
    else:
        services.record_confirm(actor=request.user, record=record, minutes=form.cleaned_data["minutes"])
    return redirect("volunteers:manage", record.opportunity_id)


@require_POST
@login_required
def confirm_all(request, opportunity_id: int):
    item = _organised(request, opportunity_id)
    count = services.records_confirm_all(actor=request.user, opportunity=item)
    messages.success(request, _("%(n)s records confirmed.") % {"n": count})
    return redirect("volunteers:manage", item.pk)
