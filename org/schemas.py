"""API shapes of the administrative tree and the organisations register."""

from typing import Any

from ninja import Field, Schema

from .models import CommunityType, DivisionLevel, OperatorKind, OrganisationKind


class DivisionOut(Schema):
    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None = Field(None, alias="parent.code")
    population: int
    households: int
    community_type: CommunityType | None = None
    latitude: float | None = None
    longitude: float | None = None

    @staticmethod
    def resolve_community_type(obj) -> str | None:
        return obj.community_type or None


class FiguresOut(Schema):
    districts: int
    streets: int
    communities: int
    grids: int
    population: int
    households: int
    community_types: dict[str, int]


class DivisionDetailOut(DivisionOut):
    boundary: dict[str, Any] | None = None
    figures: FiguresOut


class DivisionChildOut(DivisionOut):
    community_count: int
    people: int
    homes: int


class DivisionIn(Schema):
    parent_code: str | None = Field(None, description="Code of the division above; empty only for a city")
    code: str = Field(..., max_length=20, examples=["350206001001"])
    name: str = Field(..., min_length=1, max_length=100)
    population: int = Field(0, ge=0, le=50_000_000)
    households: int = Field(0, ge=0, le=20_000_000)
    community_type: CommunityType | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    boundary: dict[str, Any] | None = None


class DivisionPatch(Schema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, min_length=1, max_length=100)
    population: int | None = Field(None, ge=0, le=50_000_000)
    households: int | None = Field(None, ge=0, le=20_000_000)
    community_type: CommunityType | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    boundary: dict[str, Any] | None = None


class CommunityPickOut(Schema):
    code: str
    name: str
    street: str = Field(..., alias="parent.name")
    district: str = Field(..., alias="parent.parent.name")


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrganisationKind
    operator_kind: OperatorKind | None = None
    credit_code: str | None = None
    public_fundraising: bool
    home_division_code: str = Field(..., alias="home_division.code")
    served_division_codes: list[str]
    contact_name: str
    contact_phone: str
    address: str
    description: str
    is_active: bool

    @staticmethod
    def resolve_operator_kind(obj) -> str | None:
        return obj.operator_kind or None

    @staticmethod
    def resolve_served_division_codes(obj) -> list[str]:
        return [d.code for d in obj.served_divisions.all()]


class OrganisationIn(Schema):
    name: str = Field(..., min_length=2, max_length=200)
    kind: OrganisationKind
    operator_kind: OperatorKind | None = None
    credit_code: str | None = Field(None, max_length=18)
    public_fundraising: bool = False
    home_division_code: str
    served_division_codes: list[str] | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)


class OrganisationPatch(Schema):
    name: str | None = Field(None, min_length=2, max_length=200)
    operator_kind: OperatorKind | None = None
    credit_code: str | None = Field(None, max_length=18)
    public_fundraising: bool | None = None
    served_division_codes: list[str] | None = None
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    is_active: bool | None = None
