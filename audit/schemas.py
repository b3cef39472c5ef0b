"""API shape of an audit event."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from .actions import action_label


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_name: str
    action: str
    action_label: str
    target_type: str | None = None
    target_id: str
    target_repr: str
    division_code: str | None = Field(None, alias="division.code")
    changes: dict[str, Any]
    note: str
    ip_address: str | None = None

    @staticmethod
    def resolve_action_label(obj) -> str:
        return action_label(obj.action)

    # Residents' personal data masked as on the trail's pages (audit.changes, core.privacy).
    @staticmethod
    def resolve_actor_name(obj) -> str:
        from core.privacy import mask_username

        return mask_username(obj.actor_name)

    @staticmethod
    def resolve_target_repr(obj) -> str:
        from .changes import _masked_record, _target_label

        return _masked_record(obj, _target_label(obj), obj.target_repr or "")

    @staticmethod
    def resolve_changes(obj) -> dict[str, Any]:
        from .changes import _is_pair, _masked_value, _target_label

        label = _target_label(obj)
        changes = obj.changes if isinstance(obj.changes, dict) else {}
        if label == "accounts.user":
            from .changes import mark_residents

            mark_residents([obj])
        return {key: [_masked_value(obj, label, key, v) for v in change] if _is_pair(None, key, change)
                else _masked_value(obj, label, key, change) for key, change in changes.items()}

    @staticmethod
    def resolve_target_type(obj) -> str | None:
        return f"{obj.target_type.app_label}.{obj.target_type.model}" if obj.target_type_id else None
