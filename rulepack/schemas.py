"""API shapes of rule packs."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class RuleOut(Schema):
    key: str
    module: str
    kind: str
    title: str
    params: dict[str, Any]
    source: str = Field(..., alias="source.title")
    source_short: str = Field(..., alias="source.short_name", description="The document's short name (湖里区)")
    source_tag: str = Field(..., alias="source.tag")
    citation: str
    note: str
    enabled: bool


class PackOut(Schema):
    id: int
    city_code: str = Field(..., alias="city.code")
    version: str
    title: str
    sha256: str
    loaded_at: datetime
    note: str
    is_active: bool


class PackDetailOut(PackOut):
    content: str
    rules: list[RuleOut]

    @staticmethod
    def resolve_rules(obj) -> list:
        return list(obj.rules.select_related("source").order_by("order"))


class PackIn(Schema):
    city_code: str
    content: str = Field(..., min_length=10, max_length=512 * 1024, description="The whole rule pack file (TOML)")
    note: str = Field("", max_length=200)
