"""API of accounts: tokens, "me", role assignments, staff accounts, resident sign-up."""

from axes.exceptions import AxesBackendPermissionDenied
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from core import ratelimit
from core.api import ERRORS, PageNumber
from core.errors import ApplicationError, RateLimited, ValidationFailed
from org.selectors import community_by_code, division_get

from . import selectors, services
from .models import PhoneVerification, Role
from .permissions import require
from .schemas import (
    MeOut,
    PhoneCodeOut,
    PhoneCodeRequest,
    ResidentRegistration,
    RoleAssignmentIn,
    RoleAssignmentOut,
    StaffAccountIn,
    TokenIssuedOut,
    TokenOut,
    TokenRequest,
)

auth_router = Router(tags=["auth"])
router = Router(tags=["accounts"])
residents_router = Router(tags=["residents"])


class SignInFailed(ApplicationError):
    status = 401
    code = "sign_in_failed"


@auth_router.post("/auth/tokens", response={201: TokenIssuedOut, **ERRORS}, auth=None, summary="Sign in for a token")
def issue_token(request, payload: TokenRequest):
    """Exchange a username (or mobile number) and password for a bearer token.

    Failed attempts are throttled like the sign-in page: five failures lock the account for
    this address for a while, and an address makes at most ``RATE_LIMIT_SIGN_IN`` attempts. The
    token expires after ``days`` (``API_TOKEN_DAYS`` by default) and does what its ``scope`` allows.
    """
    ratelimit.hit("sign_in", ratelimit.client_address(request))
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except AxesBackendPermissionDenied:
        user = None
    if getattr(request, "axes_locked_out", False):
        seconds, message = ratelimit.sign_in_lockout()
        raise RateLimited(message, retry_after=seconds)
    if user is None:
        raise SignInFailed(_("The username or password is not right."))
    token, raw = services.token_issue(actor=user, name=payload.name, days=payload.days, scope=payload.scope)
    token.token = raw
    return Status(201, token)


@auth_router.get("/auth/tokens", response=list[TokenOut], summary="My API tokens")
@paginate(PageNumber)
def list_tokens(request):
    return selectors.my_tokens(user=request.user)


@auth_router.delete("/auth/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke one of my tokens")
def revoke_token(request, token_id: int):
    token = selectors.my_token_get(user=request.user, pk=token_id)
    services.token_revoke(actor=request.user, token=token)
    return Status(204, None)


@router.get("/me", response=MeOut, summary="Who I am and the roles I hold")
def me(request):
    user = request.user
    user.roles = list(selectors.my_roles(user=user))
    return user


@router.get("/role-assignments", response=list[RoleAssignmentOut], summary="Role assignments in my scope")
@paginate(PageNumber)
def list_role_assignments(
    request, within: str | None = Query(None, description="Only at this division code and below"),
    role: Role | None = None, include_revoked: bool = False,
):
    within_division = division_get(user=request.user, code=within) if within else None
    return selectors.role_assignment_list(user=request.user, within=within_division, role=role, include_revoked=include_revoked)


@router.post("/role-assignments", response={201: RoleAssignmentOut, **ERRORS}, summary="Grant a role")
def create_role_assignment(request, payload: RoleAssignmentIn):
    division, organisation = selectors.grant_place_get(
        user=request.user, role=payload.role, division_code=payload.division_code, organisation_id=payload.organisation_id
    )
    # Only a person of the user's area, as on the page: anyone else is not found, their name never told.
    user = selectors.people_in_scope(user=request.user).filter(username=payload.username).first()
    if user is None:
        raise ValidationFailed(fields={"username": [_("No active account has this username.")]})
    assignment = services.role_assign(
        actor=request.user, user=user, role=payload.role, division=division, organisation=organisation
    )
    return Status(201, selectors.role_assignment_get(user=request.user, pk=assignment.pk))


@router.post("/role-assignments/{assignment_id}/revoke", response={200: RoleAssignmentOut, **ERRORS}, summary="Revoke a role")
def revoke_role_assignment(request, assignment_id: int):
    assignment = selectors.role_assignment_get(user=request.user, pk=assignment_id)
    require(request.user, "accounts.change_roleassignment", assignment)
    selectors.grant_place_get(
        user=request.user, role=assignment.role, division_code=assignment.division.code if assignment.division_id else None,
        organisation_id=assignment.organisation_id,
    )
    services.role_revoke(actor=request.user, assignment=assignment)
    return selectors.role_assignment_get(user=request.user, pk=assignment_id)


@router.post("/staff-accounts", response={201: RoleAssignmentOut, **ERRORS}, summary="Open an account with a role")
def create_staff_account(request, payload: StaffAccountIn):
    division, organisation = selectors.grant_place_get(
        user=request.user, role=payload.role, division_code=payload.division_code, organisation_id=payload.organisation_id
    )
    assignment = services.staff_account_create(
        actor=request.user, username=payload.username, password=payload.password, display_name=payload.display_name,
        phone=payload.phone, role=payload.role, division=division, organisation=organisation,
    )
    return Status(201, selectors.role_assignment_get(user=request.user, pk=assignment.pk))


@residents_router.post("/residents/phone-codes", response={202: PhoneCodeOut, **ERRORS}, auth=None,
                       summary="Text me a sign-up code")
def send_phone_code(request, payload: PhoneCodeRequest):
    ratelimit.hit("phone_code", ratelimit.client_address(request))
    verification = services.phone_code_send(phone=payload.phone, purpose=PhoneVerification.Purpose.REGISTER)
    return Status(202, {"sent": True, "expires_at": verification.expires_at})


@residents_router.post("/residents", response={201: MeOut, **ERRORS}, auth=None, summary="Sign up as a resident")
def register_resident(request, payload: ResidentRegistration):
    ratelimit.hit("sign_up", ratelimit.client_address(request))
    community = community_by_code(code=payload.community_code)
    if community is None:
        raise ValidationFailed(fields={"community_code": [_("No community has this code.")]})
    user = services.resident_register(
        phone=payload.phone, code=payload.code, password=payload.password,
        display_name=payload.display_name, community=community,
    )
    user.roles = list(selectors.my_roles(user=user))
    return Status(201, user)
