"""Who may do what in a community's smart neighbourhood (residents, grid workers, staff, the operators serving it), and the checks every step shares."""


from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from core.errors import PermissionDenied, ValidationFailed
from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import param

from ..models import (
    ServiceOrder,
)

RESIDENT_ROLES = (Role.RESIDENT, Role.FUND_COMMITTEE)
# Who runs a community's needs, activities, orders and feedback: the roles that accounts.permissions.GRANTS
# lets change them. The civil-affairs supervisor reads and oversees, on pages as in the API.
STAFF_ROLES = (Role.COMMUNITY_WORKER, Role.STREET_ADMIN)



def rule_value(division: Division, key: str):
    """A parameter of this module from the city's pack (or the default pack's)."""
    return param(division=division, key=key)


def invalid(field: str, message, *, code: str | None = None) -> ValidationFailed:
    """A refusal of one field's value, its message also the error's message."""
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise invalid(field, _("At most %(n)s characters.") % {"n": max_length})
    return value


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(fields={field: [_("Choose one of: %(choices)s") % {
            "choices": "、".join(str(label) for label in choices.labels)}]})
    return value


# Who a person is here.

def resident_community(user) -> Division | None:
    """The community where ``user`` lives (their resident role), if any."""
    for assignment in active_roles(user):
        if assignment.role in RESIDENT_ROLES and assignment.division_id and assignment.division.level == DivisionLevel.COMMUNITY:
            return assignment.division
    return None


def is_resident_of(user, community: Division) -> bool:
    """Whether ``user`` lives in ``community`` (or, for a street's activity, in one of its communities)."""
    home = resident_community(user)
    return home is not None and home.path.startswith(community.path)


def _require_resident_of(user, community: Division) -> None:
    """Residents act in their own community (or, for a street's activity, one of its communities)."""
    if not is_resident_of(user, community):
        raise PermissionDenied(_("This is for the residents of %(community)s.") % {"community": community.name})


def worker_grids(user, community: Division | None = None) -> list[Division]:
    """The grids where ``user`` works as a grid worker (网格员: a community worker held at a grid
    [Zibo]), only those of ``community`` when it is given."""
    return [a.division for a in active_roles(user) if a.role == Role.COMMUNITY_WORKER and a.division_id
            and a.division.level == DivisionLevel.GRID and (community is None or a.division.parent_id == community.pk)]


def may_record_needs(user, community: Division) -> bool:
    """Whether ``user`` records needs for others in ``community``: its staff, or a grid worker of one of its grids."""
    return staff_reaches(user, community) or bool(worker_grids(user, community))


def staff_reaches(user, division: Division) -> bool:
    """Whether ``user`` runs things at ``division``: community or street staff working there or above it."""
    if getattr(user, "is_superuser", False):
        return True
    return any(a.role in STAFF_ROLES and a.division_id and division.path.startswith(a.division.path) for a in active_roles(user))


def operator_of(user) -> list[Organisation]:
    """The operators ``user`` works for."""
    return [a.organisation for a in active_roles(user) if a.role == Role.OPERATOR_STAFF and a.organisation_id]


def operators_in_scope(community: Division, *, category: str | None = None):
    """Operators that may serve ``community`` (for ``category``): admitted for it by its street or
    district, or bringing a service under an agreement in force there, or registered as serving it;
    never one blacklisted there."""
    from operations.selectors import admitted_operators, blacklisted_operator_ids, services_offered

    ids = set(admitted_operators(division=community, category=category).values_list("pk", flat=True))
    offered = services_offered(division=community)
    if category:
        offered = offered.filter(category=category)
    ids |= set(offered.values_list("agreement__operator_id", flat=True))
    ids |= set(Organisation.objects.serving(community).filter(kind=OrganisationKind.OPERATOR).values_list("pk", flat=True))
    ids -= blacklisted_operator_ids(division=community)
    return Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.OPERATOR, is_active=True).order_by("name")


def operator_serves(organisation: Organisation, community: Division) -> bool:
    return organisation.kind == OrganisationKind.OPERATOR and operators_in_scope(community).filter(pk=organisation.pk).exists()


def order_operator_for(user, order: ServiceOrder) -> Organisation | None:
    """The operator ``user`` works for that may act on ``order`` (accept, decline, confirm delivery):
    the one it was placed with or accepted by, or — while nobody has it — one in scope for its
    category in its community."""
    mine = operator_of(user)
    if order.operator_id is not None:
        return next((o for o in mine if o.pk == order.operator_id), None)
    if not mine:
        return None
    in_scope = set(operators_in_scope(order.community, category=order.category).filter(pk__in=[o.pk for o in mine])
                   .values_list("pk", flat=True))
    return next((o for o in mine if o.pk in in_scope), None)


def services_in_scope(community: Division):
    """Services agreed for the community (its own agreements and its street's) in force today."""
    from operations.selectors import services_offered

    return services_offered(division=community)


# Households.

