"""Reading the audit trail within the reader's scope."""

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.utils import timezone

from accounts.permissions import get_for_user, visible_to
from org.models import Division

from .models import AuditEvent


def audit_event_list(
    *, user, within: Division | None = None, action: str | None = None, actor: str | None = None,
    actor_id: int | None = None, since: date | None = None, until: date | None = None, target_type: str | None = None,
    target_id: str | None = None,
) -> QuerySet[AuditEvent]:
    events = visible_to(user, "audit.view_auditevent", AuditEvent.objects.select_related("division", "target_type", "actor"))
    if within is not None:
        events = events.filter(division__path__under=within.path)
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor_name=actor)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since:
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until:
        events = events.filter(at__lt=timezone.make_aware(datetime.combine(until, time.max)))
    if target_type:
        app_label, _, model = target_type.partition(".")
        events = events.filter(target_type__app_label=app_label, target_type__model=model)
    if target_id:
        events = events.filter(target_id=target_id)
    return events.order_by("-at", "-id")


def audit_event_get(*, user, pk: int) -> AuditEvent:
    return get_for_user(user, "audit.view_auditevent", AuditEvent.objects.select_related("division", "target_type", "actor"), pk=pk)
