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

    @staticmethod
    def resolve_target_type(obj) -> str | None:
        return f"{obj.target_type.app_label}.{obj.target_type.model}" if obj.target_type_id else None
