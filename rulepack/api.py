"""API of rule packs: /api/v1/rule-packs (read by everyone at work in a city, loaded by its bureau)."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from accounts.permissions import require
from core.api import ERRORS, PageNumber
from core.errors import NotFound
from core.replica import replica_reads
from org.selectors import division_get, user_home_division

from . import selectors, services
from .schemas import PackDetailOut, PackIn, PackOut

router = Router(tags=["rule packs"])


@router.get("/rule-packs/active", response={200: PackDetailOut, **ERRORS}, summary="The rules in force for a division")
def active_pack(request, division: str | None = Query(None, description="A division code; default: my own")):
    place = division_get(user=request.user, code=division) if division else user_home_division(user=request.user)
    if place is None:
        raise NotFound()
    pack = selectors.active_pack(division=place)
    return selectors.pack_get(user=request.user, pk=pack.pk)


@router.get("/rule-packs", response=list[PackOut], summary="Every version loaded, newest first")
@replica_reads
@paginate(PageNumber)
def list_packs(request):
    return selectors.pack_list(user=request.user)


@router.get("/rule-packs/{pack_id}", response={200: PackDetailOut, **ERRORS})
def get_pack(request, pack_id: int):
    return selectors.pack_get(user=request.user, pk=pack_id)


@router.post("/rule-packs", response={201: PackDetailOut, **ERRORS}, summary="Load a new version of a city's pack")
def load_pack(request, payload: PackIn):
    city = division_get(user=request.user, code=payload.city_code)
    require(request.user, "rulepack.add_rulepack", city)
    pack = services.rulepack_load(actor=request.user, city=city, content=payload.content, note=payload.note)
    return Status(201, selectors.pack_get(user=request.user, pk=pack.pk))
