"""Writing the audit trail. Called by every writing service, inside its transaction."""

import datetime
import json
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.middleware import current_ip

from .models import AuditEvent


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The current values of ``fields`` in a JSON-ready form (foreign keys as ids)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = field.attname if field.is_relation and field.many_to_one else name
        values[name] = jsonable(getattr(instance, attname))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for every field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def audit_event(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    division=None,
    organisation=None,
    changes: dict | None = None,
    note: str = "",
) -> AuditEvent:
    """The entry recording that ``actor`` did ``action`` to ``target``, not yet written: for a
    service that writes it in the same statement as its change (see ``audit_record``)."""
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=actor_user,
        actor_name=actor_user.username if actor_user else (str(actor) if actor else "system"),
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None and target.pk is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        division=division,
        organisation=organisation,
        changes=jsonable(changes or {}),
        note=note,
        ip_address=current_ip(),
    )


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    division=None,
    organisation=None,
    changes: dict | None = None,
    note: str = "",
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``target``. Must run in the change's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record() must be called inside the transaction of the change it records")
    event = audit_event(actor=actor, action=action, target=target, division=division, organisation=organisation,
                        changes=changes, note=note)
    event.save(force_insert=True)
    return event


def audit_record_many(*, actor, action: str, entries: list[tuple[models.Model, object, dict]], note: str = "") -> int:
    """One event per ``(target, division, changes)``, written in a single insert (bulk imports)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record_many() must be called inside the transaction of the changes it records")
    if not entries:
        return 0
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    actor_name = actor_user.username if actor_user else (str(actor) if actor else "system")
    content_type = ContentType.objects.get_for_model(entries[0][0])
    ip = current_ip()
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=actor_user, actor_name=actor_name, action=action, target_type=content_type,
                   target_id=str(target.pk), target_repr=str(target)[:200], division=division,
                   changes=jsonable(changes), note=note, ip_address=ip)
        for target, division, changes in entries
    ], batch_size=2000)
    return len(entries)


# How long one person's opening of one record's personal data counts as one access (core.privacy).
ACCESS_WINDOW = datetime.timedelta(minutes=15)


def audit_record_access(*, actor, action: str, target: models.Model, division=None, changes: dict | None = None,
                        window: datetime.timedelta = ACCESS_WINDOW, now: datetime.datetime | None = None) -> bool:
    """Record that ``actor`` read ``target`` (a read, not a change: staff opening residents' personal data),
    unless the same person's same action on the same record was recorded within ``window``. One statement
    (``INSERT … SELECT … WHERE NOT EXISTS``), so a page costs the same whether it records or not and two
    requests at once record it once. Returns whether it recorded."""
    from django.db import connection

    now = now or timezone.now()
    event = audit_event(actor=actor, action=action, target=target, division=division, changes=changes)
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ["at", "actor_id", "actor_name", "action", "target_type_id", "target_id", "target_repr", "division_id",
               "organisation_id", "changes", "note", "ip_address"]
    placeholders = ["%s"] * len(columns)
    if connection.vendor == "postgresql":  # a SELECT list's parameters have no column to take their type from
        casts = {"at": "timestamptz", "actor_id": "bigint", "target_type_id": "bigint", "division_id": "bigint",
                 "organisation_id": "bigint", "changes": "jsonb", "ip_address": "inet"}
        placeholders = [f"%s::{casts[c]}" if c in casts else "%s" for c in columns]
    adapt = connection.ops.adapt_datetimefield_value
    values = [adapt(now), event.actor_id, event.actor_name, action, event.target_type_id, event.target_id, event.target_repr,
              event.division_id, event.organisation_id, json.dumps(event.changes, ensure_ascii=False), event.note, event.ip_address]
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) SELECT {', '.join(placeholders)} "
           f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE action = %s AND actor_id = %s AND target_type_id = %s "
           f"AND target_id = %s AND at > %s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, action, event.actor_id, event.target_type_id, event.target_id, adapt(now - window)])
        return cursor.rowcount == 1
