"""Reading accounts and role assignments within the reader's scope."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.pickers import LIMIT, Option
from org.models import Division, Organisation
from org.selectors import division_picked

from .models import ApiToken, RoleAssignment, User
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


def people_in_scope(*, user, within: Division | None = None, role: str | None = None) -> QuerySet[User]:
    """The active accounts holding a role the user sees (at their divisions and below, or at the
    organisations registered there): the people they may grant roles to and pick by name."""
    held = role_assignment_list(user=user, within=within, role=role).values("user_id")
    return User.objects.filter(is_active=True, pk__in=held)


def person_get(*, user, pk: int) -> User:
    """A person of the user's scope; anyone else is "not found"."""
    person = people_in_scope(user=user).filter(pk=pk).first()
    if person is None:
        raise NotFound()
    return person


def masked_phone(phone: str | None) -> str:
    """A mobile number as a list shows it to tell people of one name apart: 138****8000."""
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) == 11 else ""


def person_choices(*, people: list[User], roles: QuerySet[RoleAssignment]) -> list[Option]:
    """People as picker options: the name, then the masked mobile number and the roles the reader may see
    (``roles``: the assignments to show), in one query for all of them."""
    held: dict[int, list[str]] = {}
    for assignment in roles.filter(user__in=people).select_related("division", "organisation").order_by("role"):
        place = assignment.organisation.name if assignment.organisation_id else assignment.division.name
        held.setdefault(assignment.user_id, []).append(f"{assignment.get_role_display()}（{place}）")
    return [Option(str(p.pk), p.label, " · ".join(filter(None, [masked_phone(p.phone), "、".join(held.get(p.pk, []))])))
            for p in people]


def person_options(
    *, user, q: str = "", within: Division | None = None, role: str | None = None, ids: list[int] | None = None,
    limit: int = LIMIT,
) -> list[Option]:
    """People for a picker: those of the user's scope matching ``q``, with the roles the user sees."""
    return people_options(people_in_scope(user=user, within=within, role=role), roles=role_assignment_list(user=user),
                          q=q, ids=ids, limit=limit)


def people_options(people: QuerySet[User], *, roles: QuerySet[RoleAssignment], q: str = "", ids: list[int] | None = None,
                   limit: int = LIMIT) -> list[Option]:
    """Those of ``people`` whose name or username contains ``q``, or whose mobile number contains it (four
    digits or more), as picker options with their ``roles``."""
    if q:
        match = Q(display_name__icontains=q) | Q(username__icontains=q)
        if q.isdigit() and len(q) >= 4:
            match |= Q(phone__contains=q)
        people = people.filter(match)
    if ids is not None:
        people = people.filter(pk__in=ids)
    return person_choices(people=list(people.order_by("display_name", "username")[:limit]), roles=roles)


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
    division = division_picked(user=user, code=division_code, field="division_code") if division_code else None
    try:
        organisation = (
            get_for_user(user, "org.view_organisation", Organisation.objects.select_related("home_division"), pk=organisation_id)
            if organisation_id else None
        )
    except NotFound:
        raise ValidationFailed(fields={"organisation_id": [_("Choose an organisation of your area from the list.")]}) from None
    if division is None and organisation is None:
        raise ValidationFailed(fields={"division_code": [_("Say where the role is held.")]})
    require(user, "accounts.add_roleassignment", division or organisation.home_division)
    if not can_assign(user, role=role, division=division, organisation=organisation):
        raise PermissionDenied(_("Your role cannot grant this role there."))
    return division, organisation
