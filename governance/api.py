"""API of community governance: /api/v1/governance/... (the affairs admission list, applications,
refused tasks, 五社联动 projects and the supervisor's tables)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import NotFound, ValidationFailed
from core.replica import replica_reads
from org.selectors import division_get, organisation_get

from . import selectors, services
from .schemas import (
    AdmitIn,
    AffairApplicationOut,
    AffairListOut,
    AffairListReviewIn,
    AffairsRowOut,
    ApplicationIn,
    ContributionIn,
    FivePartyRowOut,
    ParticipationOut,
    PartnershipProjectIn,
    PartnershipProjectOut,
    RefuseIn,
    TaskRefusalIn,
    TaskRefusalOut,
    VersionOut,
)

router = Router(tags=["governance"])


def _department(request, pk: int):
    try:
        return organisation_get(user=request.user, pk=pk)
    except NotFound:
        raise ValidationFailed(fields={"department_id": [_("Choose a government department of this district or above it.")]}) from None


def _list_out(district, version, affairs):
    return {"district_code": district.code, "district": district.name, "version": version, "affairs": list(affairs),
            "review_due": services.review_due(district, today=timezone.localdate())}


@router.get("/governance/affairs/{district_code}", response={200: AffairListOut, **ERRORS},
            summary="A district's community affairs admission list (the version in force, or ?version=N)")
def get_affair_list(request, district_code: str, version: int | None = Query(None, ge=1)):
    district = selectors.district_get(user=request.user, code=district_code)
    found = selectors.version_get(user=request.user, district=district, number=version)
    return _list_out(district, found, selectors.affair_list(user=request.user, version=found) if found else [])


@router.get("/governance/affairs/{district_code}/versions", response={200: list[VersionOut], **ERRORS},
            summary="The versions of a district's admission list")
def list_versions(request, district_code: str):
    district = selectors.district_get(user=request.user, code=district_code)
    return list(selectors.version_list(user=request.user, district=district))


@router.post("/governance/affairs/{district_code}/reviews", response={201: VersionOut, **ERRORS},
             summary="The yearly review: confirm the list, taking off the affairs named")
def review_list(request, district_code: str, payload: AffairListReviewIn):
    district = selectors.district_get(user=request.user, code=district_code)
    require(request.user, "governance.change_affair", district)
    version = selectors.version_get(user=request.user, district=district)
    on_list = {a.pk: a for a in selectors.affair_list(user=request.user, version=version)} if version else {}
    if any(pk not in on_list for pk in payload.remove):
        raise ValidationFailed(fields={"remove": [_("Only affairs on the list in force can be taken off it.")]})
    return Status(201, services.list_review(actor=request.user, district=district, remove=[on_list[pk] for pk in payload.remove],
                                            reviewed_on=payload.reviewed_on, note=payload.note))


@router.get("/governance/applications", response={200: list[AffairApplicationOut], **ERRORS},
            summary="Departments' applications to hand communities a task")
@replica_reads
@paginate(PageNumber)
def list_applications(request, within: str | None = Query(None, description="Division code"), status: str | None = None):
    return selectors.application_list(user=request.user, within=division_get(user=request.user, code=within) if within else None,
                                      status=status)


@router.post("/governance/applications", response={201: AffairApplicationOut, **ERRORS},
             summary="File a department's application to hand the district's communities a new task")
def file_application(request, payload: ApplicationIn):
    district = selectors.district_get(user=request.user, code=payload.district_code)
    require(request.user, "governance.apply_affair", district)
    application = services.application_file(
        actor=request.user, district=district, department=_department(request, payload.department_id), title=payload.title,
        role=payload.role, legal_basis=payload.legal_basis, reason=payload.reason)
    return Status(201, application)


@router.get("/governance/applications/{affair_application_id}", response={200: AffairApplicationOut, **ERRORS},
            summary="An application")
def get_application(request, affair_application_id: int):
    return selectors.application_get(user=request.user, pk=affair_application_id)


@router.post("/governance/applications/{affair_application_id}/admit", response={200: AffairApplicationOut, **ERRORS},
             summary="Admit the task: a new version of the list with it")
def admit_application(request, affair_application_id: int, payload: AdmitIn):
    application = selectors.application_get(user=request.user, pk=affair_application_id)
    require(request.user, "governance.review_affair", application)
    services.application_admit(actor=request.user, application=application, effective_on=payload.effective_on, note=payload.note)
    return selectors.application_get(user=request.user, pk=application.pk)


@router.post("/governance/applications/{affair_application_id}/refuse", response={200: AffairApplicationOut, **ERRORS},
             summary="Refuse the task, with reasons")
def refuse_application(request, affair_application_id: int, payload: RefuseIn):
    application = selectors.application_get(user=request.user, pk=affair_application_id)
    require(request.user, "governance.review_affair", application)
    return services.application_refuse(actor=request.user, application=application, reasons=payload.reasons)


@router.get("/governance/refused-tasks", response={200: list[TaskRefusalOut], **ERRORS},
            summary="Tasks communities refused because they are not on the list")
@replica_reads
@paginate(PageNumber)
def list_refused_tasks(request, within: str | None = Query(None, description="Division code")):
    return selectors.refusal_list(user=request.user, within=division_get(user=request.user, code=within) if within else None)


@router.post("/governance/refused-tasks", response={201: TaskRefusalOut, **ERRORS},
             summary="Refuse a task that is not on the district's list, citing the list in force")
def refuse_task(request, payload: TaskRefusalIn):
    community = division_get(user=request.user, code=payload.community_code)
    require(request.user, "governance.refuse_task", community)
    refusal = services.task_refuse(actor=request.user, community=community, department=_department(request, payload.department_id),
                                   title=payload.title, details=payload.details)
    return Status(201, refusal)


def _contribution(request, community, item: ContributionIn) -> services.Contribution:
    organisation = fund = None
    if item.organisation_id is not None:
        try:
            organisation = organisation_get(user=request.user, pk=item.organisation_id)
        except NotFound:
            raise ValidationFailed(fields={"organisation_id": [_("This organisation does not serve the project's community.")]}) from None
    if item.fund_code:
        fund = selectors.fund_for(community=community, code=item.fund_code)
    return services.Contribution(party=item.party, organisation=organisation, fund=fund, people=item.people,
                                 headcount=item.headcount, money=item.money, hours=item.hours, in_kind=item.in_kind,
                                 note=item.note)


@router.get("/governance/projects", response={200: list[PartnershipProjectOut], **ERRORS}, summary="五社联动 projects in my scope")
@replica_reads
@paginate(PageNumber)
def list_projects(request, within: str | None = Query(None, description="Division code")):
    projects = selectors.project_list(user=request.user, within=division_get(user=request.user, code=within) if within else None)
    return selectors.with_recorded_minutes(projects).prefetch_related("participations")


@router.post("/governance/projects", response={201: PartnershipProjectOut, **ERRORS},
             summary="Record a community's 五社联动 project with the parties taking part")
def create_project(request, payload: PartnershipProjectIn):
    community = division_get(user=request.user, code=payload.community_code)
    require(request.user, "governance.add_project", community)
    project = services.project_create(
        actor=request.user, community=community, title=payload.title, description=payload.description,
        starts_on=payload.starts_on, ends_on=payload.ends_on,
        contributions=[_contribution(request, community, item) for item in payload.parties])
    return Status(201, project)


@router.get("/governance/projects/{partnership_project_id}", response={200: PartnershipProjectOut, **ERRORS}, summary="A project")
def get_project(request, partnership_project_id: int):
    return selectors.project_get(user=request.user, pk=partnership_project_id)


@router.post("/governance/projects/{partnership_project_id}/parties", response={201: ParticipationOut, **ERRORS},
             summary="Add a party to a project")
def add_party(request, partnership_project_id: int, payload: ContributionIn):
    project = selectors.project_get(user=request.user, pk=partnership_project_id)
    require(request.user, "governance.add_project", project.community)
    return Status(201, services.participation_add(actor=request.user, project=project,
                                                  contribution=_contribution(request, project.community, payload)))


@router.delete("/governance/projects/{partnership_project_id}/parties/{participation_id}", response={204: None, **ERRORS},
               summary="Take a party off a project")
def remove_party(request, partnership_project_id: int, participation_id: int):
    project = selectors.project_get(user=request.user, pk=partnership_project_id)
    require(request.user, "governance.add_project", project.community)
    participation = project.participations.filter(pk=participation_id).first()
    if participation is None:
        raise NotFound()
    services.participation_remove(actor=request.user, participation=participation)
    return Status(204, None)


@router.get("/governance/five-party", response={200: list[FivePartyRowOut], **ERRORS},
            summary="Five-party projects by district and street: how many involve all five, money and volunteer hours")
def five_party(request, within: str):
    division = division_get(user=request.user, code=within)
    require(request.user, "governance.view_summary", division)
    return [{"code": r.division.code, "name": r.division.name, "level": r.division.level, "communities": r.communities,
             "communities_with_five": r.communities_with_five, "projects": r.projects, "five_party": r.five_party,
             "money": r.money, "volunteer_hours": r.volunteer_hours}
            for r in selectors.five_party_summary(user=request.user, within=division)]


@router.get("/governance/affairs-summary", response={200: list[AffairsRowOut], **ERRORS},
            summary="Affairs per community, refused tasks and applications, by district and street")
def affairs_summary(request, within: str):
    division = division_get(user=request.user, code=within)
    require(request.user, "governance.view_summary", division)
    return [{"code": r.division.code, "name": r.division.name, "level": r.division.level, "communities": r.communities,
             "host": r.host, "assist": r.assist, "refused_tasks": r.refused_tasks,
             "refused_applications": r.refused_applications, "pending_applications": r.pending_applications}
            for r in selectors.affairs_summary(user=request.user, within=division)]
