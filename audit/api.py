"""API of the audit trail: /api/v1/audit-events (supervisors and street administrators)."""

from datetime import date

from ninja import Query, Router
from ninja.pagination import paginate

from accounts.permissions import holds_any
from core.api import ERRORS, PageNumber
from core.errors import PermissionDenied
from core.replica import replica_reads
from org.selectors import division_get

from . import selectors
from .schemas import AuditEventOut

router = Router(tags=["audit"])


@router.get("/audit-events", response=list[AuditEventOut], summary="Who changed what, in my scope")
@replica_reads
@paginate(PageNumber)
def list_audit_events(
    request,
    within: str | None = Query(None, description="Only events at this division code and below"),
    action: str | None = Query(None, description="Action name or its beginning, e.g. org.division"),
    actor: str | None = Query(None, description="Username of the actor"),
    since: date | None = None,
    until: date | None = None,
    target_type: str | None = Query(None, description="app.model, e.g. org.division"),
    target_id: str | None = None,
):
    if not holds_any(request.user, "audit.view_auditevent"):
        raise PermissionDenied()
    within_division = division_get(user=request.user, code=within) if within else None
    return selectors.audit_event_list(
        user=request.user, within=within_division, action=action, actor=actor, since=since, until=until,
        target_type=target_type, target_id=target_id,
    )


@router.get("/audit-events/{event_id}", response={200: AuditEventOut, **ERRORS})
def get_audit_event(request, event_id: int):
    return selectors.audit_event_get(user=request.user, pk=event_id)
