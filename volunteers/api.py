"""API of volunteers: /api/v1/volunteers/... (signing up and the time bank, teams, grid roles,
opportunities, applications, sign-in and sign-out, hours and their confirmation, totals)."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import NotFound, ValidationFailed
from core.replica import replica_reads
from org.selectors import division_get

from . import selectors, services
from .models import SignMethod
from .schemas import (
    CloseIn,
    ConfirmIn,
    DecideIn,
    GridRoleIn,
    GridRoleOut,
    HoursRowOut,
    OpportunityIn,
    OpportunityOut,
    RecordOut,
    TeamIn,
    TeamOut,
    TimeBankOut,
    VolunteerApplicationOut,
    VolunteerCodeIn,
    VolunteerIn,
    VolunteerOut,
    VolunteerReasonIn,
    VolunteerUpdateIn,
)

router = Router(tags=["volunteers"])
P = "/volunteers"


def _within(request, code: str | None):
    return division_get(user=request.user, code=code) if code else None


def _bank(volunteer) -> dict:
    bank = selectors.time_bank(volunteer)
    return {"volunteer": volunteer, "confirmed_hours": bank.confirmed, "pending_hours": bank.pending, "services": bank.records}


def _operator(request, community, organisation_id: int | None):
    """The operator a team or opportunity is run for: one that may serve ``community`` or that the user sees;
    any other id is not found, its name never told."""
    if organisation_id is None:
        return None
    from neighbourhood.selectors import operator_for_community

    return operator_for_community(user=request.user, community=community, pk=organisation_id)


# Volunteers and the time bank.

@router.post(f"{P}/volunteers", response={201: TimeBankOut, **ERRORS}, summary="Sign up as a volunteer of my community")
def register(request, payload: VolunteerIn):
    community = division_get(user=request.user, code=payload.community)
    require(request.user, "volunteers.add_volunteer", community)
    volunteer = services.volunteer_register(actor=request.user, community=community, real_name=payload.real_name, phone=payload.phone,
                                            id_number=payload.id_number, skills=payload.skills, availability=payload.availability,
                                            consent=payload.consent)
    return Status(201, _bank(volunteer))


@router.get(f"{P}/me", response={200: TimeBankOut, **ERRORS}, summary="My volunteer details and time bank")
def me(request):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        raise NotFound()
    return _bank(volunteer)


@router.post(f"{P}/me", response={200: TimeBankOut, **ERRORS}, summary="Change my mobile number, skills and availability")
def update_me(request, payload: VolunteerUpdateIn):
    volunteer = selectors.volunteer_of(request.user)
    if volunteer is None:
        raise NotFound()
    volunteer = services.volunteer_update(actor=request.user, volunteer=volunteer, phone=payload.phone, skills=payload.skills,
                                          availability=payload.availability)
    return _bank(volunteer)


@router.get(f"{P}/volunteers", response=list[VolunteerOut], summary="Volunteers in my scope, most hours first")
@replica_reads
@paginate(PageNumber)
def list_volunteers(request, within: str | None = Query(None, description="Division code")):
    return selectors.volunteer_list(user=request.user, within=_within(request, within))


@router.get(f"{P}/hours", response={200: list[HoursRowOut], **ERRORS}, summary="Confirmed hours by street or community")
def hours_by_division(request, within: str = Query(..., description="Division code")):
    division = division_get(user=request.user, code=within)
    require(request.user, "volunteers.view_hours", division)
    return [{"code": r.division.code, "name": r.division.name, "level": r.division.level, "volunteers": r.volunteers, "hours": r.hours}
            for r in selectors.hours_by_division(within=division)]


# Teams and grid roles.

@router.get(f"{P}/teams", response=list[TeamOut])
@replica_reads
@paginate(PageNumber)
def list_teams(request, within: str | None = Query(None, description="Division code")):
    return selectors.team_list(user=request.user, within=_within(request, within))


@router.post(f"{P}/teams", response={201: TeamOut, **ERRORS}, summary="Form a volunteer team")
def create_team(request, payload: TeamIn):
    community = division_get(user=request.user, code=payload.community)
    require(request.user, "volunteers.add_team", community)
    team = services.team_create(actor=request.user, community=community, name=payload.name, description=payload.description,
                                organisation=_operator(request, community, payload.organisation_id))
    return Status(201, team)


@router.post(P + "/teams/{team_id}/join", response={200: TeamOut, **ERRORS}, summary="Join a team")
def join_team(request, team_id: int):
    team = selectors.team_get(user=request.user, pk=team_id)
    services.team_join(actor=request.user, team=team)
    return team


@router.post(f"{P}/grid-roles", response={201: GridRoleOut, **ERRORS}, summary="Appoint a building head or grid volunteer")
def assign_grid_role(request, payload: GridRoleIn):
    grid = division_get(user=request.user, code=payload.grid)
    require(request.user, "volunteers.add_gridrole", grid)
    volunteer = selectors.volunteer_get(user=request.user, pk=payload.volunteer_id)
    found = services.grid_role_assign(actor=request.user, volunteer=volunteer, grid=grid, role=payload.role, building=payload.building)
    return Status(201, found)


# Opportunities and applications.

@router.get(f"{P}/opportunities", response=list[OpportunityOut])
@replica_reads
@paginate(PageNumber)
def list_opportunities(request, within: str | None = Query(None, description="Division code")):
    return selectors.opportunity_list(user=request.user, within=_within(request, within))


@router.post(f"{P}/opportunities", response={201: OpportunityOut, **ERRORS}, summary="Recruit volunteers")
def publish(request, payload: OpportunityIn):
    from governance.selectors import project_get
    from neighbourhood import selectors as nb

    community = division_get(user=request.user, code=payload.community)
    require(request.user, "volunteers.add_opportunity", community)
    team = selectors.team_get(user=request.user, pk=payload.team_id) if payload.team_id else None
    activity = nb.activity_get(user=request.user, pk=payload.activity_id) if payload.activity_id else None
    need = nb.need_get(user=request.user, pk=payload.need_id) if payload.need_id else None
    order = nb.order_get(user=request.user, pk=payload.service_order_id) if payload.service_order_id else None
    project = project_get(user=request.user, pk=payload.project_id) if payload.project_id else None
    item = services.opportunity_publish(
        actor=request.user, community=community, organiser=_operator(request, community, payload.organisation_id), team=team, title=payload.title,
        description=payload.description, skills=payload.skills, places=payload.places, starts_at=payload.starts_at,
        ends_at=payload.ends_at, place=payload.place, activity=activity, need=need, service_order=order, project=project,
        auto_accept=payload.auto_accept)
    return Status(201, item)


@router.get(P + "/opportunities/{opportunity_id}", response={200: OpportunityOut, **ERRORS})
def get_opportunity(request, opportunity_id: int):
    return selectors.opportunity_get(user=request.user, pk=opportunity_id)


@router.post(P + "/opportunities/{opportunity_id}/cancel", response={200: OpportunityOut, **ERRORS})
def cancel_opportunity(request, opportunity_id: int, payload: VolunteerReasonIn):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    require(request.user, "volunteers.change_opportunity", item)
    return services.opportunity_cancel(actor=request.user, opportunity=item, reason=payload.reason)


@router.post(P + "/opportunities/{opportunity_id}/apply", response={201: VolunteerApplicationOut, **ERRORS}, summary="Apply")
def apply(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    return Status(201, services.application_submit(actor=request.user, opportunity=item))


@router.get(P + "/opportunities/{opportunity_id}/applications", response={200: list[VolunteerApplicationOut], **ERRORS})
def list_applications(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    require(request.user, "volunteers.change_opportunity", item)
    return list(selectors.applications_for(item))


@router.post(P + "/applications/{application_id}/decide", response={200: VolunteerApplicationOut, **ERRORS}, summary="Accept or decline")
def decide(request, application_id: int, payload: DecideIn):
    application = selectors.application_get(user=request.user, pk=application_id)
    require(request.user, "volunteers.change_opportunity", application.opportunity)
    return services.application_decide(actor=request.user, application=application, accept=payload.accept)


@router.post(P + "/applications/{application_id}/withdraw", response={200: VolunteerApplicationOut, **ERRORS})
def withdraw(request, application_id: int):
    application = selectors.application_get(user=request.user, pk=application_id)
    return services.application_withdraw(actor=request.user, application=application)


# Sign-in, sign-out and hours.

@router.post(P + "/opportunities/{opportunity_id}/sign-in", response={201: RecordOut, **ERRORS}, summary="Sign in with the code shown")
def sign_in(request, opportunity_id: int, payload: VolunteerCodeIn):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    return Status(201, services.sign_in(actor=request.user, opportunity=item, code=payload.code, method=SignMethod.CODE))


@router.post(P + "/opportunities/{opportunity_id}/sign-out", response={200: RecordOut, **ERRORS}, summary="Sign out with the code shown")
def sign_out(request, opportunity_id: int, payload: VolunteerCodeIn):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    return services.sign_out(actor=request.user, opportunity=item, code=payload.code)


@router.get(P + "/opportunities/{opportunity_id}/records", response={200: list[RecordOut], **ERRORS})
def list_records(request, opportunity_id: int):
    item = selectors.opportunity_get(user=request.user, pk=opportunity_id)
    require(request.user, "volunteers.change_opportunity", item)
    return list(selectors.records_for(item))


@router.get(f"{P}/my-records", response=list[RecordOut], summary="My service records")
@paginate(PageNumber)
def my_records(request):
    volunteer = selectors.volunteer_of(request.user)
    return selectors.records_of(volunteer) if volunteer else []


def _organised_record(request, record_id: int):
    record = selectors.record_get(user=request.user, pk=record_id)
    require(request.user, "volunteers.change_opportunity", record.opportunity)
    return record


@router.post(P + "/records/{record_id}/confirm", response={200: RecordOut, **ERRORS}, summary="Confirm the hours (organisers only)")
def confirm(request, record_id: int, payload: ConfirmIn):
    return services.record_confirm(actor=request.user, record=_organised_record(request, record_id), minutes=payload.minutes)


@router.post(P + "/records/{record_id}/reject", response={200: RecordOut, **ERRORS})
def reject(request, record_id: int, payload: VolunteerReasonIn):
    return services.record_reject(actor=request.user, record=_organised_record(request, record_id), reason=payload.reason)


@router.post(P + "/records/{record_id}/close", response={200: RecordOut, **ERRORS}, summary="Record when a volunteer who forgot to sign out left")
def close(request, record_id: int, payload: CloseIn):
    if payload.signed_out_at.tzinfo is None:
        raise ValidationFailed(fields={"signed_out_at": [_("Give the time with its time zone.")]})
    return services.record_close(actor=request.user, record=_organised_record(request, record_id), signed_out_at=payload.signed_out_at)
