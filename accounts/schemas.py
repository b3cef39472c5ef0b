"""API shapes of accounts, roles and tokens."""

from datetime import datetime

from ninja import Field, Schema

from .models import PHONE_RE, Role, TokenScope


class RoleOut(Schema):
    id: int
    role: Role
    role_label: str
    division_code: str | None = Field(None, alias="division.code")
    division_name: str | None = Field(None, alias="division.name")
    organisation_id: int | None = None
    organisation_name: str | None = Field(None, alias="organisation.name")
    granted_at: datetime

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class RoleAssignmentOut(RoleOut):
    username: str
    user_label: str
    revoked_at: datetime | None = None

    # A resident's name and username (their mobile number) as the reader may see them (core.privacy).
    @staticmethod
    def resolve_username(obj, context) -> str:
        from core.privacy import PHONE, mask_username, viewer_of

        if obj.role != Role.RESIDENT or not viewer_of(_reader(context)).sees(PHONE, division=obj.division_id, owner=obj.user_id):
            return mask_username(obj.user.username) if obj.role == Role.RESIDENT else obj.user.username
        return obj.user.username

    @staticmethod
    def resolve_user_label(obj, context) -> str:
        from core.privacy import NAME, viewer_of

        if obj.role != Role.RESIDENT:
            return obj.user.label
        return viewer_of(_reader(context)).show(obj.user.label, NAME, division=obj.division_id, owner=obj.user_id)


def _reader(context):
    return getattr((context or {}).get("request"), "user", None)


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    phone: str | None = None
    is_superuser: bool
    roles: list[RoleOut]


class TokenRequest(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="Username or mobile number")
    password: str = Field(..., min_length=1, max_length=256)
    name: str = Field("API", max_length=100, description="What the token is for")
    days: int | None = Field(None, ge=1, le=3650, description=(
        "Valid for this many days: API_TOKEN_DAYS (90) when empty, at most API_TOKEN_MAX_DAYS (365). Every token expires."))
    scope: TokenScope = Field(TokenScope.FULL, description=(
        "What the token may do: full (everything its owner may), read (GET only), open311 (only the api_key of "
        "/open311/v2/, filing feedback; refused by /api/v1/)"))


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None = None
    expires_at: datetime
    revoked_at: datetime | None = None


class TokenIssuedOut(TokenOut):
    token: str = Field(..., description="Shown only once: keep it safe")


class PhoneCodeRequest(Schema):
    phone: str = Field(..., pattern=PHONE_RE, examples=["13800138000"])


class PhoneCodeOut(Schema):
    sent: bool
    expires_at: datetime


class ResidentRegistration(Schema):
    phone: str = Field(..., pattern=PHONE_RE)
    code: str = Field(..., min_length=4, max_length=8)
    password: str = Field(..., min_length=8, max_length=128)
    display_name: str = Field(..., min_length=1, max_length=50)
    community_code: str = Field(..., max_length=20)


class StaffAccountIn(Schema):
    username: str = Field(..., min_length=3, max_length=150, pattern=r"^[\w.@+-]+$")
    display_name: str = Field(..., min_length=1, max_length=50)
    password: str = Field(..., min_length=8, max_length=128)
    phone: str | None = Field(None, pattern=PHONE_RE)
    role: Role
    division_code: str | None = None
    organisation_id: int | None = None


class RoleAssignmentIn(Schema):
    username: str
    role: Role
    division_code: str | None = None
    organisation_id: int | None = None
