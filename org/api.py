"""API of the administrative tree and the organisations register: /api/v1/divisions, /api/v1/organisations."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import PermissionDenied, ValidationFailed
from core.replica import replica_reads

from . import selectors, services
from .models import CommunityType, Division, DivisionLevel, OrganisationKind
from .schemas import (
    CommunityPickOut,
    DivisionChildOut,
    DivisionDetailOut,
    DivisionIn,
    DivisionOut,
    DivisionPatch,
    OrganisationIn,
    OrganisationOut,
    OrganisationPatch,
)

router = Router(tags=["divisions"])
organisations_router = Router(tags=["organisations"])
public_router = Router(tags=["public"])


def _division_data(payload) -> dict:
    data = payload.dict(exclude_unset=True)
    if "community_type" in data:
        data["community_type"] = data["community_type"] or ""
    return data


@router.get("/divisions", response=list[DivisionOut], summary="Divisions in my scope")
@replica_reads
@paginate(PageNumber)
def list_divisions(
    request,
    parent: str | None = Query(None, description="Only the children of this division code"),
    within: str | None = Query(None, description="Only this division code and below"),
    level: DivisionLevel | None = None,
    community_type: CommunityType | None = None,
    q: str | None = Query(None, description="Name contains, or code begins with"),
):
    parent_division = selectors.division_get(user=request.user, code=parent) if parent else None
    within_division = selectors.division_get(user=request.user, code=within) if within else None
    return selectors.division_list(
        user=request.user, parent=parent_division, within=within_division, level=level,
        community_type=community_type, q=q,
    )


@router.get("/divisions/{code}", response={200: DivisionDetailOut, **ERRORS}, summary="One division with its figures")
def get_division(request, code: str):
    division = selectors.division_get(user=request.user, code=code)
    division.figures = selectors.scope_figures(user=request.user, root=division)
    return division


@router.get("/divisions/{code}/children", response=list[DivisionChildOut], summary="Children with subtree figures")
@replica_reads
@paginate(PageNumber)
def list_division_children(request, code: str):
    division = selectors.division_get(user=request.user, code=code)
    return selectors.children_with_figures(user=request.user, division=division)


@router.get("/divisions/{code}/map", response={200: dict, **ERRORS}, url_name="division_map",
            summary="GeoJSON of the division and its children")
def division_map(request, code: str):
    division = selectors.division_get(user=request.user, code=code)
    return selectors.division_map_geojson(user=request.user, division=division)


@router.post("/divisions", response={201: DivisionOut, **ERRORS}, summary="Add a division below one in my scope")
def create_division(request, payload: DivisionIn):
    if payload.parent_code:
        parent = selectors.division_get(user=request.user, code=payload.parent_code)
        require(request.user, "org.add_division", parent)
    elif request.user.is_superuser:
        parent = None
    else:
        raise PermissionDenied(_("Only a system administrator can add a city."))
    data = _division_data(payload)
    data.pop("parent_code", None)
    return Status(201, services.division_create(actor=request.user, parent=parent, **data))


@router.patch("/divisions/{code}", response={200: DivisionOut, **ERRORS}, summary="Change a division's figures or names")
def update_division(request, code: str, payload: DivisionPatch):
    division = selectors.division_get(user=request.user, code=code)
    require(request.user, "org.change_division", division)
    return services.division_update(actor=request.user, division=division, data=_division_data(payload))


def _divisions_by_code(user, codes: list[str], field: str) -> list[Division]:
    found, unknown = selectors.divisions_by_codes(user=user, codes=codes)
    if unknown:
        raise ValidationFailed(fields={field: [_("Unknown division code: %(code)s") % {"code": c} for c in unknown]})
    return found


@organisations_router.get("/organisations", response=list[OrganisationOut], summary="Organisations in my scope")
@replica_reads
@paginate(PageNumber)
def list_organisations(
    request, kind: OrganisationKind | None = None, q: str | None = None,
    serving: str | None = Query(None, description="Only those serving this division code"),
):
    serving_division = selectors.division_get(user=request.user, code=serving) if serving else None
    return selectors.organisation_list(user=request.user, kind=kind, q=q, serving=serving_division)


@organisations_router.get("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def get_organisation(request, organisation_id: int):
    return selectors.organisation_get(user=request.user, pk=organisation_id)


@organisations_router.post("/organisations", response={201: OrganisationOut, **ERRORS}, summary="Register an organisation")
def create_organisation(request, payload: OrganisationIn):
    home = _divisions_by_code(request.user, [payload.home_division_code], "home_division_code")[0]
    require(request.user, "org.add_organisation", home)
    served = (
        _divisions_by_code(request.user, payload.served_division_codes, "served_division_codes")
        if payload.served_division_codes else None
    )
    data = payload.dict(exclude={"home_division_code", "served_division_codes"})
    data["operator_kind"] = data["operator_kind"] or ""
    organisation = services.organisation_create(actor=request.user, home_division=home, served_divisions=served, **data)
    return Status(201, selectors.organisation_get(user=request.user, pk=organisation.pk))


@organisations_router.patch("/organisations/{organisation_id}", response={200: OrganisationOut, **ERRORS})
def update_organisation(request, organisation_id: int, payload: OrganisationPatch):
    organisation = selectors.organisation_get(user=request.user, pk=organisation_id)
    require(request.user, "org.change_organisation", organisation)
    data = payload.dict(exclude_unset=True)
    codes = data.pop("served_division_codes", None)
    served = _divisions_by_code(request.user, codes, "served_division_codes") if codes is not None else None
    if "operator_kind" in data:
        data["operator_kind"] = data["operator_kind"] or ""
    services.organisation_update(actor=request.user, organisation=organisation, data=data, served_divisions=served)
    return selectors.organisation_get(user=request.user, pk=organisation.pk)


@public_router.get("/communities", response=list[CommunityPickOut], auth=None, summary="Find a community (public)")
@replica_reads
@paginate(PageNumber)
def pick_community(request, q: str = Query(..., min_length=1, max_length=50)):
    """For residents choosing their community when they sign up: names and codes only."""
    return selectors.community_search(q=q)
