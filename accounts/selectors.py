"""Reading accounts and role assignments within the reader's scope."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, PermissionDenied, ValidationFailed
from org.models import Division, Organisation
from org.selectors import division_get

from .models import ApiToken, RoleAssignment
from .permissions import can_assign, get_for_user, require, visible_to


def role_assignment_list(
    *, user, within: Division | None = None, role: str | None = None, include_revoked: bool = False
) -> QuerySet[RoleAssignment]:
    assignments = visible_to(
        user, "accounts.view_roleassignment",
        RoleAssignment.objects.select_related("user", "division", "organisation"),
    )
    if not include_revoked:
        assignments = assignments.filter(revoked_at__isnull=True)
    if within is not None:
        assignments = assignments.filter(division__path__under=within.path) | assignments.filter(
            organisation__home_division__path__under=within.path
        )
    if role:
        assignments = assignments.filter(role=role)
    return assignments.order_by("division__path", "role", "user__username")


def role_assignment_get(*, user, pk: int) -> RoleAssignment:
    return get_for_user(
        user, "accounts.view_roleassignment",
        RoleAssignment.objects.select_related("user", "division", "organisation__home_division"), pk=pk,
    )


def my_roles(*, user) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active().filter(user=user).select_related("division", "organisation")


def my_tokens(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def my_token_get(*, user, pk: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound()
    return token


def grant_place_get(
    *, user, role: str, division_code: str | None, organisation_id: int | None
) -> tuple[Division | None, Organisation | None]:
    """Where ``user`` wants to grant ``role``, checked: the place must be theirs to grant at."""
    division = division_get(user=user, code=division_code) if division_code else None
    organisation = (
        get_for_user(user, "org.view_organisation", Organisation.objects.select_related("home_division"), pk=organisation_id)
        if organisation_id else None
    )
    if division is None and organisation is None:
        raise ValidationFailed(fields={"division_code": [_("Say where the role is held.")]})
    require(user, "accounts.add_roleassignment", division or organisation.home_division)
    if not can_assign(user, role=role, division=division, organisation=organisation):
        raise PermissionDenied(_("Your role cannot grant this role there."))
    return division, organisation
