"""API of the register: /api/v1/registry/... (sites, rooms, costs, compliance, ratings, filings, projects)."""

from datetime import date

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from accounts.permissions import holds_any, require
from core.api import ERRORS, PageNumber
from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.replica import replica_reads
from core.uploads import serve_upload
from org.selectors import division_get, organisation_get, user_home_division

from . import selectors, services
from .compliance import ComplianceReport, DivisionReport
from .models import PropertySource, SiteKind, SuggestionKind, SuggestionStatus
from .schemas import (
    AspectOut,
    CleanupIn,
    CleanupOut,
    ComplianceOut,
    CostIn,
    CostOut,
    DeliveryIn,
    EarmarkedOut,
    FilingIn,
    FilingOut,
    LeaseOut,
    MergeProposeIn,
    OnlineCentreOut,
    OnlineSwitchIn,
    OnlineSwitchOut,
    ProvisionIn,
    ProvisionOut,
    ProvisionPaymentIn,
    RatingOut,
    RentIn,
    RoomIn,
    RoomOut,
    RoomPatch,
    SignCountsOut,
    SignIn,
    SignOffIn,
    SignOut,
    SiteEvidenceIn,
    SiteIn,
    SiteOut,
    SitePatch,
    SuggestionAcceptIn,
    SuggestionDismissIn,
    SuggestionOut,
    SuggestionsGenerateIn,
)

router = Router(tags=["registry"])


def _within(request, code: str | None):
    return division_get(user=request.user, code=code) if code else None


# Sites.

@router.get("/registry/sites", response=list[SiteOut], summary="Sites in my scope")
@replica_reads
@paginate(PageNumber)
def list_sites(request, within: str | None = Query(None, description="Division code: this node and below"),
               kind: SiteKind | None = None, property_source: PropertySource | None = None, q: str | None = None,
               include_closed: bool = False):
    return selectors.site_list(user=request.user, within=_within(request, within), kind=kind, q=q,
                               property_source=property_source, include_closed=include_closed)


@router.post("/registry/sites", response={201: SiteOut, **ERRORS}, summary="Register a site")
def create_site(request, payload: SiteIn):
    division = division_get(user=request.user, code=payload.division_code)
    require(request.user, "registry.add_site", division)
    data = services.site_input(payload.dict(exclude={"division_code", "code"}))
    site = services.site_create(actor=request.user, division=division, code=payload.code, **data)
    return Status(201, selectors.site_get(user=request.user, pk=site.pk))


@router.get("/registry/sites/{site_id}", response={200: SiteOut, **ERRORS})
def get_site(request, site_id: int):
    return selectors.site_get(user=request.user, pk=site_id)


@router.patch("/registry/sites/{site_id}", response={200: SiteOut, **ERRORS}, summary="Change a site or its property rights")
def update_site(request, site_id: int, payload: SitePatch):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.change_site", site)
    services.site_update(actor=request.user, site=site, data=services.site_input(payload.dict(exclude_unset=True)))
    return selectors.site_get(user=request.user, pk=site_id)


# Rooms.

@router.get("/registry/sites/{site_id}/rooms", response=list[RoomOut], summary="Rooms of a site")
@replica_reads
@paginate(PageNumber)
def list_rooms(request, site_id: int):
    site = selectors.site_get(user=request.user, pk=site_id)
    return selectors.room_list(user=request.user, site=site)


@router.post("/registry/sites/{site_id}/rooms", response={201: RoomOut, **ERRORS}, summary="Add a room")
def create_room(request, site_id: int, payload: RoomIn):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_room", site)
    data = services.room_input(payload.dict(exclude={"functions"}))
    room = services.room_create(actor=request.user, site=site, functions=payload.functions, **data)
    return Status(201, selectors.room_get(user=request.user, pk=room.pk))


@router.get("/registry/rooms/{room_id}", response={200: RoomOut, **ERRORS})
def get_room(request, room_id: int):
    return selectors.room_get(user=request.user, pk=room_id)


@router.patch("/registry/rooms/{room_id}", response={200: RoomOut, **ERRORS})
def update_room(request, room_id: int, payload: RoomPatch):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "registry.change_room", room)
    data = services.room_input(payload.dict(exclude_unset=True))
    functions = data.pop("functions", None)
    services.room_update(actor=request.user, room=room, data=data, functions=functions)
    return selectors.room_get(user=request.user, pk=room_id)


# Costs and photos.

@router.get("/registry/sites/{site_id}/costs", response=list[CostOut])
@replica_reads
@paginate(PageNumber)
def list_costs(request, site_id: int, year: int | None = None):
    site = selectors.site_get(user=request.user, pk=site_id)
    return selectors.cost_list(user=request.user, site=site, year=year)


@router.post("/registry/sites/{site_id}/costs", response={201: CostOut, **ERRORS}, summary="Record a cost")
def create_cost(request, site_id: int, payload: CostIn):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_cost", site)
    room = selectors.room_get(user=request.user, pk=payload.room_id) if payload.room_id else None
    payer = organisation_get(user=request.user, pk=payload.payer_id) if payload.payer_id else None
    data = payload.dict(exclude={"room_id", "payer_id"})
    return Status(201, services.cost_record(actor=request.user, site=site, room=room, payer=payer, **data))


@router.post("/registry/sites/{site_id}/photos", response={201: dict, **ERRORS}, summary="Add a photo (JPEG, PNG, WebP)")
def add_photo(request, site_id: int, image: File[UploadedFile], caption: Form[str] = "", room_id: Form[int | None] = None):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_photo", site)
    room = selectors.room_get(user=request.user, pk=room_id) if room_id else None
    photo = services.photo_add(actor=request.user, site=site, room=room, upload=image, caption=caption)
    return Status(201, {"id": photo.pk, "url": f"/api/v1/registry/photos/{photo.pk}"})


@router.get("/registry/photos/{photo_id}", response={200: None, **ERRORS}, summary="A photo")
def get_photo(request, photo_id: int):
    photo = selectors.photo_get(user=request.user, pk=photo_id)
    return serve_upload(photo.image)


@router.get("/registry/functions", response=list[AspectOut], summary="The function catalogue of my city")
def list_functions(request, city: str | None = Query(None, description="A division code; default: my own")):
    division = _within(request, city) or user_home_division(user=request.user)
    if division is None:
        raise PermissionDenied()
    return selectors.catalogue(division=division)


# Compliance.

def _division_out(report: DivisionReport) -> dict:
    return {"code": report.division.code, "name": report.division.name, "compliant": report.compliant,
            "failed": len(report.failed), "results": report.results}


def compliance_out(report: ComplianceReport) -> dict:
    return {
        "code": report.division.code, "name": report.division.name, "level": report.division.level,
        "rules": [{"key": t["rule"].key, "title": t["rule"].title, "passed": t["passed"], "failed": t["failed"],
                   "total": t["total"]} for t in report.rule_totals()],
        "streets": [_division_out(r) for r in report.streets],
        "communities": [_division_out(r) for r in report.communities],
        "non_compliant": [r.division.code for r in report.non_compliant],
    }


@router.get("/registry/compliance/{code}", response={200: ComplianceOut, **ERRORS},
            summary="Compliance with the standards: every rule, pass or fail, figures and gaps")
def get_compliance(request, code: str):
    division = division_get(user=request.user, code=code)
    if not holds_any(request.user, "registry.view_compliance"):
        raise PermissionDenied()
    return compliance_out(selectors.compliance_for(user=request.user, division=division))


@router.get("/registry/leases/expiring", response=list[LeaseOut], summary="Leases ending soon (or ended)")
def list_expiring_leases(request, within: str = Query(..., description="Division code")):
    return [
        {"site_id": lease.site.pk, "site_code": lease.site.code, "site_name": lease.site.name,
         "community": lease.site.division.name, "owner_name": lease.site.owner_name,
         "property_source": lease.site.property_source, "lease_end": lease.site.lease_end, "days_left": lease.days_left}
        for lease in selectors.leases_expiring(user=request.user, within=division_get(user=request.user, code=within))
    ]


@router.get("/registry/map/{code}", response={200: dict, **ERRORS}, url_name="sites_map", summary="Sites as GeoJSON points")
def sites_map(request, code: str):
    return selectors.sites_geojson(user=request.user, within=division_get(user=request.user, code=code))


# Star ratings.

@router.get("/registry/ratings", response=list[RatingOut], summary="Current star ratings of neighbourhood centres")
@replica_reads
@paginate(PageNumber)
def list_ratings(request, within: str | None = None):
    return selectors.rating_list(user=request.user, within=_within(request, within))


@router.get("/registry/sites/{site_id}/ratings", response=list[RatingOut], summary="A site's rating history")
@replica_reads
@paginate(PageNumber)
def list_site_ratings(request, site_id: int):
    return selectors.rating_history(user=request.user, site=selectors.site_get(user=request.user, pk=site_id))


@router.get("/registry/online-services", response=list[OnlineCentreOut],
            summary="Rated centres and their smart-neighbourhood online services: on, eligible, suspended or below the gate")
@replica_reads
@paginate(PageNumber)
def list_online_services(request, within: str | None = Query(None, description="Division code (default: my place)"),
                         state: str | None = Query(None, description="on, suspended, eligible or below")):
    place = _within(request, within) or user_home_division(user=request.user)
    if place is None:
        return []
    return selectors.online_centres(user=request.user, within=place, state=state)[0]


@router.post("/registry/sites/{site_id}/online-services", response={200: OnlineSwitchOut, **ERRORS},
             summary="Switch a centre's online services on (at the city's gate or above) or off (saying why)")
def switch_online_services(request, site_id: int, payload: OnlineSwitchIn):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.switch_online_services", site)
    switch = services.online_services_switch(actor=request.user, site=site, on=payload.on, note=payload.note)
    return {"site_id": site.pk, "is_on": switch.is_on, "state": selectors.online_state(site), "changed_at": switch.changed_at,
            "note": switch.note}


@router.post("/registry/sites/{site_id}/evidence", response={201: RatingOut, **ERRORS},
             summary="Record an assessor's score for a rating criterion")
def add_evidence(request, site_id: int, payload: SiteEvidenceIn):
    site = selectors.site_get(user=request.user, pk=site_id)
    require(request.user, "registry.add_starevidence", site)
    services.star_evidence_record(actor=request.user, site=site, **payload.dict())
    rating = services.star_rating_recompute(site=site)
    if rating is None:
        raise ValidationFailed(_("This kind of site is not star-rated."))
    return Status(201, rating)


# Filings with the civil-affairs bureau.

@router.get("/registry/filings", response=list[FilingOut], summary="Register filings")
@replica_reads
@paginate(PageNumber)
def list_filings(request, within: str | None = None):
    return selectors.filing_list(user=request.user, within=_within(request, within))


@router.post("/registry/filings", response={201: FilingOut, **ERRORS}, summary="File the street's register")
def create_filing(request, payload: FilingIn):
    street = division_get(user=request.user, code=payload.street_code)
    require(request.user, "registry.add_registryfiling", street)
    return Status(201, services.registry_file(actor=request.user, street=street, note=payload.note))


@router.get("/registry/filings/{filing_id}", response={200: dict, **ERRORS}, summary="A filing with its snapshot")
def get_filing(request, filing_id: int):
    filing = selectors.filing_get(user=request.user, pk=filing_id)
    return {"id": filing.pk, "street_code": filing.street.code, "filed_at": filing.filed_at, "sha256": filing.sha256,
            "summary": filing.summary, "snapshot": filing.snapshot}


@router.get("/registry/filings/{filing_id}/diff", response={200: dict, **ERRORS}, summary="What changed since another filing")
def diff_filing(request, filing_id: int, against: int = Query(..., description="The older filing's id")):
    newer = selectors.filing_get(user=request.user, pk=filing_id)
    older = selectors.filing_get(user=request.user, pk=against)
    if older.street_id != newer.street_id:
        raise ValidationFailed(fields={"against": [_("Compare two filings of the same street.")]})
    return selectors.filing_diff(older, newer)


# New residential projects [Haining].

@router.get("/registry/provision-projects", response=list[ProvisionOut], summary="New residential projects")
@replica_reads
@paginate(PageNumber)
def list_provision_projects(request, within: str | None = None, overdue: bool = False):
    within_division = _within(request, within)
    if overdue:
        return selectors.provision_overdue(user=request.user, within=within_division).prefetch_related("sign_offs")
    return selectors.provision_list(user=request.user, within=within_division).prefetch_related("sign_offs")


@router.post("/registry/provision-projects", response={201: ProvisionOut, **ERRORS}, summary="Record a new project")
def create_provision_project(request, payload: ProvisionIn):
    community = division_get(user=request.user, code=payload.community_code)
    require(request.user, "registry.add_provisionproject", community)
    project = services.provision_project_create(actor=request.user, community=community,
                                                **payload.dict(exclude={"community_code"}))
    return Status(201, selectors.provision_get(user=request.user, pk=project.pk))


@router.get("/registry/provision-projects/{project_id}", response={200: ProvisionOut, **ERRORS})
def get_provision_project(request, project_id: int):
    return selectors.provision_get(user=request.user, pk=project_id)


@router.post("/registry/provision-projects/{project_id}/sign-offs", response={201: ProvisionOut, **ERRORS},
             summary="Record a party's written consent at the current stage")
def sign_off_provision_project(request, project_id: int, payload: SignOffIn):
    project = selectors.provision_get(user=request.user, pk=project_id)
    require(request.user, "registry.change_provisionproject", project)
    services.provision_sign_off(actor=request.user, project=project, **payload.dict())
    return Status(201, selectors.provision_get(user=request.user, pk=project_id))


@router.post("/registry/provision-projects/{project_id}/delivery", response={200: ProvisionOut, **ERRORS},
             summary="File the delivery (rooms handed over, or payment falls due)")
def deliver_provision_project(request, project_id: int, payload: DeliveryIn):
    project = selectors.provision_get(user=request.user, pk=project_id)
    require(request.user, "registry.add_provisionproject", project.community)
    services.provision_delivery_file(actor=request.user, project=project, **payload.dict())
    return selectors.provision_get(user=request.user, pk=project_id)


@router.post("/registry/provision-projects/{project_id}/payment", response={200: ProvisionOut, **ERRORS},
             summary="Record the developer's monetisation payment (into the street's earmarked sub-account)")
def pay_provision_project(request, project_id: int, payload: ProvisionPaymentIn):
    project = selectors.provision_get(user=request.user, pk=project_id)
    require(request.user, "registry.add_provisionproject", project.community)
    services.provision_payment_record(actor=request.user, project=project, **payload.dict())
    return selectors.provision_get(user=request.user, pk=project_id)


def _earmarked_out(street, account, statement) -> dict:
    return {
        "street_code": street.code, "account_code": account.code if account else None,
        "balance": account.balance if account else 0,
        "lines": [{"occurred_on": line.leg.transaction.occurred_on, "kind": line.leg.transaction.kind,
                   "memo": line.leg.transaction.memo, "source_document": line.leg.transaction.source_document,
                   "amount": line.amount, "balance": line.balance} for line in (statement.lines if statement else [])],
    }


@router.get("/registry/earmarked/{code}", response={200: EarmarkedOut, **ERRORS},
            summary="A street's earmarked sub-account for community rooms, with its statement")
def get_earmarked(request, code: str):
    street = division_get(user=request.user, code=code)
    if not holds_any(request.user, "ledger.view_account"):
        raise PermissionDenied()
    account, statement = selectors.earmarked_statement(user=request.user, street=street)
    return _earmarked_out(street, account, statement)


@router.post("/registry/earmarked/{code}/rents", response={201: EarmarkedOut, **ERRORS},
             summary="Record rent from an idle room leased to a convenience service")
def add_rent(request, code: str, payload: RentIn):
    street = division_get(user=request.user, code=code)
    require(request.user, "registry.add_rent", street)
    services.earmarked_rent_record(actor=request.user, street=street, **payload.dict())
    account, statement = selectors.earmarked_statement(user=request.user, street=street)
    return Status(201, _earmarked_out(street, account, statement))


# Signs and plaques [Huli].

@router.get("/registry/signs", response=list[SignOut], summary="Signs at the sites in my scope")
@replica_reads
@paginate(PageNumber)
def list_signs(request, within: str | None = Query(None, description="Division code: this node and below"),
               redundant: bool | None = None, removed: bool | None = None, q: str | None = None):
    if not holds_any(request.user, "registry.view_sign"):
        raise PermissionDenied()
    return selectors.sign_list(user=request.user, within=_within(request, within), redundant=redundant, removed=removed, q=q)


@router.post("/registry/signs", response={201: SignOut, **ERRORS}, summary="Record a sign hung at a site")
def create_sign(request, payload: SignIn):
    site = selectors.site_get(user=request.user, pk=payload.site_id)
    require(request.user, "registry.add_sign", site)
    department = organisation_get(user=request.user, pk=payload.department_id) if payload.department_id else None
    sign = services.sign_record(actor=request.user, site=site, text=payload.text, department=department,
                                department_name=payload.department_name, hung_on=payload.hung_on)
    return Status(201, selectors.sign_get(user=request.user, pk=sign.pk))


@router.get("/registry/signs/{sign_id}", response={200: SignOut, **ERRORS})
def get_sign(request, sign_id: int):
    return selectors.sign_get(user=request.user, pk=sign_id)


@router.post("/registry/signs/{sign_id}/removal", response={200: SignOut, **ERRORS},
             summary="Mark a sign removed, with the photo that shows it taken down")
def remove_sign(request, sign_id: int, photo: File[UploadedFile] = None, removed_on: Form[date | None] = None,
                note: Form[str] = ""):
    sign = selectors.sign_get(user=request.user, pk=sign_id)
    require(request.user, "registry.remove_sign", sign)
    services.sign_remove(actor=request.user, sign=sign, photo=photo, removed_on=removed_on, note=note)
    return selectors.sign_get(user=request.user, pk=sign_id)


@router.get("/registry/signs/{sign_id}/photo", response={200: None, **ERRORS}, summary="A sign's photo (as hung or removed)")
def get_sign_photo(request, sign_id: int, removal: bool = False):
    sign = selectors.sign_get(user=request.user, pk=sign_id)
    image = sign.removal_photo if removal else sign.photo
    if not image:
        raise NotFound()
    return serve_upload(image)


def _count_out(count) -> dict:
    return {"division_code": count.division.code if count.division else None,
            "division_name": count.division.name if count.division else None,
            "allowed": count.allowed, "removed": count.removed, "remaining": count.remaining}


@router.get("/registry/sign-counts/{code}", response={200: SignCountsOut, **ERRORS},
            summary="Signs per division one level down: allowed, redundant removed and remaining")
def sign_counts(request, code: str):
    division = division_get(user=request.user, code=code)
    if not holds_any(request.user, "registry.view_sign"):
        raise PermissionDenied()
    rows, total = selectors.sign_counts(user=request.user, within=division)
    return {"rows": [_count_out(r) for r in rows], "total": _count_out(total)}


@router.get("/registry/sign-cleanups", response=list[CleanupOut], summary="Clean-ups of signs")
@replica_reads
@paginate(PageNumber)
def list_cleanups(request, within: str | None = None):
    return selectors.cleanup_list(user=request.user, within=_within(request, within))


@router.post("/registry/sign-cleanups", response={201: CleanupOut, **ERRORS}, summary="Start a clean-up of redundant signs")
def start_cleanup(request, payload: CleanupIn):
    division = division_get(user=request.user, code=payload.division_code)
    require(request.user, "registry.add_signcleanup", division)
    return Status(201, services.sign_cleanup_start(actor=request.user, division=division, title=payload.title, note=payload.note))


@router.get("/registry/sign-cleanups/{cleanup_id}", response={200: CleanupOut, **ERRORS})
def get_cleanup(request, cleanup_id: int):
    return selectors.cleanup_get(user=request.user, pk=cleanup_id)


@router.post("/registry/sign-cleanups/{cleanup_id}/close", response={200: CleanupOut, **ERRORS}, summary="Close a clean-up")
def close_cleanup(request, cleanup_id: int):
    cleanup = selectors.cleanup_get(user=request.user, pk=cleanup_id)
    require(request.user, "registry.add_signcleanup", cleanup)
    return services.sign_cleanup_close(actor=request.user, cleanup=cleanup)


# Suggestions to merge idle rooms [Huli] or swap unfit ones [Haining].

@router.get("/registry/room-suggestions", response=list[SuggestionOut], summary="Suggestions to merge or swap rooms")
@replica_reads
@paginate(PageNumber)
def list_suggestions(request, within: str | None = None, status: SuggestionStatus | None = None,
                     kind: SuggestionKind | None = None):
    return selectors.suggestion_list(user=request.user, within=_within(request, within), status=status, kind=kind)


@router.post("/registry/room-suggestions/generate", response={200: dict, **ERRORS},
             summary="Make the suggestions for a street, district or city now")
def generate_suggestions(request, payload: SuggestionsGenerateIn):
    division = division_get(user=request.user, code=payload.division_code)
    require(request.user, "registry.add_roomsuggestion", division)
    return services.room_suggestions_generate(actor=request.user, within=division)


@router.post("/registry/room-suggestions", response={201: SuggestionOut, **ERRORS}, summary="Propose a merge of two rooms")
def propose_merge(request, payload: MergeProposeIn):
    room = selectors.room_get(user=request.user, pk=payload.room_id)
    keep = selectors.room_get(user=request.user, pk=payload.keep_id)
    require(request.user, "registry.add_roomsuggestion", room)
    require(request.user, "registry.add_roomsuggestion", keep)
    return Status(201, services.room_merge_propose(actor=request.user, room=room, keep=keep))


@router.get("/registry/room-suggestions/{suggestion_id}", response={200: SuggestionOut, **ERRORS})
def get_suggestion(request, suggestion_id: int):
    return selectors.suggestion_get(user=request.user, pk=suggestion_id)


@router.post("/registry/room-suggestions/{suggestion_id}/accept", response={200: SuggestionOut, **ERRORS},
             summary="Accept a suggestion: the register changes")
def accept_suggestion(request, suggestion_id: int, payload: SuggestionAcceptIn):
    suggestion = selectors.suggestion_get(user=request.user, pk=suggestion_id)
    require(request.user, "registry.decide_roomsuggestion", suggestion)
    services.room_suggestion_accept(actor=request.user, suggestion=suggestion, note=payload.note)
    return selectors.suggestion_get(user=request.user, pk=suggestion_id)


@router.post("/registry/room-suggestions/{suggestion_id}/dismiss", response={200: SuggestionOut, **ERRORS},
             summary="Dismiss a suggestion, saying why")
def dismiss_suggestion(request, suggestion_id: int, payload: SuggestionDismissIn):
    suggestion = selectors.suggestion_get(user=request.user, pk=suggestion_id)
    require(request.user, "registry.decide_roomsuggestion", suggestion)
    services.room_suggestion_dismiss(actor=request.user, suggestion=suggestion, reason=payload.reason)
    return selectors.suggestion_get(user=request.user, pk=suggestion_id)
