"""Every permission rule of Linli, in one place.

A permission is granted by roles, each with the reach it has:

* ``SUBTREE``: rows at the role's division or below it;
* ``SERVED``: rows at or below a division that the role's organisation serves;
* ``ORGANISATION``: rows owned by the role's organisation;
* ``OWN``: rows owned by the user themself.

``GRANTS`` is the whole table. From it this module derives both the object checks (registered
with the ``rules`` library, so ``user.has_perm("org.change_division", division)`` works in
pages, the API and the admin alike) and the queryset filters (``visible_to``), so that what a
list shows and what a detail page allows can never disagree.

Each module adds its permissions to ``GRANTS``; the authorization matrix test walks every route
and checks that no role reaches a neighbour's rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import rules
from django.db.models import Model, Q, QuerySet

from core.errors import NotFound, PermissionDenied
from core.scoping import ScopeFields, ancestor_paths

from .models import ROLE_DIVISION_LEVELS, Role, RoleAssignment

SUBTREE = "subtree"
SERVED = "served"
ORGANISATION = "organisation"
OWN = "own"

R = Role
STAFF_READ = {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE}

GRANTS: dict[str, dict[str, str]] = {
    # The administrative tree.
    "org.view_division": {
        **STAFF_READ,
        R.FUND_COMMITTEE: SUBTREE,
        R.RESIDENT: SUBTREE,
        R.OPERATOR_STAFF: SERVED,
        R.CHARITY_STAFF: SERVED,
        R.UNIT_STAFF: SERVED,
    },
    "org.add_division": {R.SUPERVISOR: SUBTREE},
    "org.change_division": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # Organisations: operators, charities, departments.
    "org.view_organisation": {
        **STAFF_READ,
        R.FUND_COMMITTEE: SUBTREE,
        R.OPERATOR_STAFF: ORGANISATION,
        R.CHARITY_STAFF: ORGANISATION,
        R.UNIT_STAFF: ORGANISATION,
    },
    "org.add_organisation": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "org.change_organisation": {
        R.SUPERVISOR: SUBTREE,
        R.STREET_ADMIN: SUBTREE,
        R.OPERATOR_STAFF: ORGANISATION,
        R.CHARITY_STAFF: ORGANISATION,
    },
    # People and their roles.
    "accounts.view_roleassignment": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "accounts.add_roleassignment": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "accounts.change_roleassignment": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # The audit trail.
    "audit.view_auditevent": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # The rule pack: everyone at work in a city reads its standards; the city's bureau sets them.
    "rulepack.view_rulepack": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: SERVED, R.CHARITY_STAFF: SERVED},
    "rulepack.add_rulepack": {R.SUPERVISOR: SUBTREE},
    # The register of community service rooms: the street owns and keeps it [Haining]; the
    # community runs the rooms; residents and operators see the sites that serve them.
    "registry.view_site": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.RESIDENT: SUBTREE, R.OPERATOR_STAFF: SERVED,
                           R.CHARITY_STAFF: SERVED},
    "registry.add_site": {R.STREET_ADMIN: SUBTREE},
    "registry.change_site": {R.STREET_ADMIN: SUBTREE},
    "registry.view_room": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.RESIDENT: SUBTREE, R.OPERATOR_STAFF: SERVED,
                           R.CHARITY_STAFF: SERVED},
    "registry.add_room": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.change_room": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.view_photo": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.RESIDENT: SUBTREE, R.OPERATOR_STAFF: SERVED,
                            R.CHARITY_STAFF: SERVED},
    "registry.add_photo": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.view_cost": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "registry.add_cost": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.view_compliance": {**STAFF_READ},
    # Supervision: the indicators of one's area, its units ranked, its monthly figures.
    "supervision.view_indicators": {**STAFF_READ},
    # Notices (通报): the bureau drafts and publishes them; the units named read and answer them.
    "supervision.view_notice": {**STAFF_READ},
    "supervision.draft_notice": {R.SUPERVISOR: SUBTREE},
    "supervision.view_noticereceipt": {**STAFF_READ},
    "supervision.respond_notice": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    # Rectification (整改): the bureau and the street open items and verify them; the unit answers.
    "supervision.view_rectification": {**STAFF_READ},
    "supervision.open_rectification": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "supervision.answer_rectification": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "supervision.verify_rectification": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # The yearly target-responsibility assessment: the bureau assesses and signs off; units read their scores.
    "supervision.view_assessment": {**STAFF_READ},
    "supervision.assess": {R.SUPERVISOR: SUBTREE},
    # Double random inspections: drawn by the bureau (``supervision.assess``); read by the units drawn.
    "supervision.view_inspection": {**STAFF_READ},
    # One community, one plan: drawn up by the street (with the community), followed by the bureau.
    "supervision.view_plan": {**STAFF_READ},
    "supervision.add_plan": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.view_starrating": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: SERVED, R.CHARITY_STAFF: SERVED},
    "registry.add_starevidence": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "registry.switch_online_services": {R.STREET_ADMIN: SUBTREE},
    "registry.view_registryfiling": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "registry.add_registryfiling": {R.STREET_ADMIN: SUBTREE},
    "registry.view_provisionproject": {**STAFF_READ},
    "registry.add_provisionproject": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "registry.change_provisionproject": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.add_rent": {R.STREET_ADMIN: SUBTREE},
    # Signs and plaques [Huli]: communities and streets keep the register of signs and take redundant ones
    # down; a street or district runs a clean-up; supervisors follow the counts.
    "registry.view_sign": {**STAFF_READ},
    "registry.add_sign": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.remove_sign": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "registry.view_signcleanup": {**STAFF_READ},
    "registry.add_signcleanup": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # Suggestions to merge idle rooms [Huli] or swap unfit ones [Haining]: the street decides.
    "registry.view_roomsuggestion": {**STAFF_READ},
    "registry.add_roomsuggestion": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "registry.decide_roomsuggestion": {R.STREET_ADMIN: SUBTREE},
    # Scheduling of rooms: staff see and run every booking of their rooms; operators, charities and
    # residents book the rooms that serve them and see their own bookings.
    "scheduling.view_booking": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION, R.CHARITY_STAFF: ORGANISATION,
                                R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "scheduling.add_booking": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE, R.OPERATOR_STAFF: SERVED,
                               R.CHARITY_STAFF: SERVED, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE},
    "scheduling.approve_booking": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "scheduling.change_roompolicy": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "scheduling.add_closure": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "scheduling.view_rotation": {**STAFF_READ},
    "scheduling.add_rotation": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "scheduling.view_utilisation": {**STAFF_READ},
    "scheduling.view_waitlistentry": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION, R.CHARITY_STAFF: ORGANISATION,
                                      R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    # Units' open resources (驻区单位开放资源) [Xishan]: a unit's staff register its resources and decide
    # their requests; residents and staff of the area find and book them; the bureau counts them.
    "scheduling.view_openresource": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.RESIDENT: SUBTREE, R.UNIT_STAFF: ORGANISATION},
    "scheduling.add_openresource": {R.UNIT_STAFF: ORGANISATION},
    "scheduling.change_openresource": {R.UNIT_STAFF: ORGANISATION},
    "scheduling.view_openresource_figures": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # Community development funds [Zibo]: the community runs its fund and proposes projects, the
    # committee votes, the host charity holds the money, approves and pays; supervisors watch.
    "funds.view_fund": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    "funds.add_fund": {R.SUPERVISOR: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    "funds.change_fund": {R.COMMUNITY_WORKER: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    "funds.add_income": {R.COMMUNITY_WORKER: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    "funds.view_project": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    "funds.add_project": {R.COMMUNITY_WORKER: SUBTREE},
    "funds.vote_project": {R.FUND_COMMITTEE: SUBTREE},
    "funds.change_project": {R.COMMUNITY_WORKER: SUBTREE},
    "funds.decide_project": {R.CHARITY_STAFF: ORGANISATION},
    "funds.disburse_project": {R.CHARITY_STAFF: ORGANISATION},
    "funds.view_reach": {**STAFF_READ},
    "funds.export_audit": {R.SUPERVISOR: SUBTREE, R.CHARITY_STAFF: ORGANISATION},
    # Space for service (以场地换服务): streets and districts admit operators [Zibo]; communities (or
    # streets) draft agreements that the street approves; operators see and report on only their
    # own agreements; communities confirm reports; supervisors watch compliance and savings.
    "operations.view_admission": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_admission": {R.OPERATOR_STAFF: ORGANISATION},
    "operations.review_admission": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "operations.view_qualification": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_qualification": {R.OPERATOR_STAFF: ORGANISATION},
    "operations.view_agreement": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_agreement": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "operations.change_agreement": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "operations.approve_agreement": {R.STREET_ADMIN: SUBTREE},
    "operations.view_operatingreport": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_operatingreport": {R.OPERATOR_STAFF: ORGANISATION},
    "operations.confirm_operatingreport": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "operations.view_finding": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.view_funding": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_funding": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "operations.view_partnershipoffer": {**STAFF_READ, R.OPERATOR_STAFF: SERVED},
    "operations.add_partnershipoffer": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "operations.view_interest": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "operations.add_interest": {R.OPERATOR_STAFF: ORGANISATION},
    # Ledger accounts: read by whoever the account's division is in scope of.
    "ledger.view_account": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    # 15-minute life circle planning [Haining, Quanzhou]: supervisors and street administrators plan
    # (networks, demand, scenarios) for their subtree; a community worker reads their community's coverage.
    "planning.view_network": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.add_network": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.view_demandset": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.add_demandset": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.view_scenario": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.add_scenario": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.delete_scenario": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "planning.view_coveragearea": {**STAFF_READ},
    # The smart neighbourhood (智慧邻里): residents record and support needs, register for
    # activities, order services and send feedback; the community runs them; operators serving
    # it publish activities and take orders; the street handles feedback routed to it.
    "neighbourhood.view_need": {**STAFF_READ, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: SERVED},
    "neighbourhood.add_need": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE},
    "neighbourhood.change_need": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "neighbourhood.view_invitation": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "neighbourhood.view_activity": {**STAFF_READ, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: SERVED,
                                    R.CHARITY_STAFF: SERVED},
    "neighbourhood.add_activity": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: SERVED},
    "neighbourhood.change_activity": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: ORGANISATION},
    "neighbourhood.register_activity": {R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE},
    "neighbourhood.view_registration": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "neighbourhood.view_serviceorder": {**STAFF_READ, R.OPERATOR_STAFF: SERVED, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "neighbourhood.add_serviceorder": {R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE},
    "neighbourhood.change_serviceorder": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: SERVED},
    "neighbourhood.view_feedbackrequest": {**STAFF_READ, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "neighbourhood.add_feedbackrequest": {R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "neighbourhood.change_feedbackrequest": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "neighbourhood.view_household": {R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "neighbourhood.view_persontimes": {**STAFF_READ},
    # Volunteers (志愿者): residents sign up and apply in their community and see their own hours;
    # the community or street runs its teams and opportunities, an operator those of its own; the
    # organisers confirm hours (``volunteers.services.may_organise`` says which of them); staff read their subtree.
    "volunteers.view_volunteer": {**STAFF_READ, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "volunteers.add_volunteer": {R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE},
    "volunteers.view_team": {**STAFF_READ, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: ORGANISATION},
    "volunteers.add_team": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: SERVED},
    "volunteers.view_gridrole": {**STAFF_READ, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "volunteers.add_gridrole": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE},
    "volunteers.view_opportunity": {**STAFF_READ, R.RESIDENT: SUBTREE, R.FUND_COMMITTEE: SUBTREE, R.OPERATOR_STAFF: ORGANISATION},
    "volunteers.add_opportunity": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: SERVED},
    "volunteers.change_opportunity": {R.COMMUNITY_WORKER: SUBTREE, R.STREET_ADMIN: SUBTREE, R.OPERATOR_STAFF: ORGANISATION},
    "volunteers.view_application": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "volunteers.view_servicerecord": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION, R.RESIDENT: OWN, R.FUND_COMMITTEE: OWN},
    "volunteers.export_hours": {**STAFF_READ, R.OPERATOR_STAFF: ORGANISATION},
    "volunteers.view_hours": {**STAFF_READ},
    # Community governance: the district's affairs admission list [Huli] is public to everyone of the
    # district; the district's bureau files departments' applications, reviews them and the list; a
    # community refuses a task not on the list. Communities record their 五社联动 projects [Xishan].
    "governance.view_affair": {**STAFF_READ, R.FUND_COMMITTEE: SUBTREE, R.RESIDENT: SUBTREE},
    "governance.change_affair": {R.SUPERVISOR: SUBTREE},
    "governance.view_affairapplication": {R.SUPERVISOR: SUBTREE},
    "governance.apply_affair": {R.SUPERVISOR: SUBTREE},
    "governance.review_affair": {R.SUPERVISOR: SUBTREE},
    "governance.view_taskrefusal": {**STAFF_READ},
    "governance.refuse_task": {R.COMMUNITY_WORKER: SUBTREE},
    "governance.view_project": {**STAFF_READ},
    "governance.add_project": {R.STREET_ADMIN: SUBTREE, R.COMMUNITY_WORKER: SUBTREE},
    "governance.view_summary": {R.SUPERVISOR: SUBTREE, R.STREET_ADMIN: SUBTREE},
}

# Which roles a holder of a role may grant to others (always inside their own scope).
ASSIGNABLE_ROLES: dict[str, set[str]] = {
    R.SUPERVISOR: set(Role.values),
    R.STREET_ADMIN: {R.STREET_ADMIN, R.COMMUNITY_WORKER, R.FUND_COMMITTEE, R.RESIDENT, R.OPERATOR_STAFF, R.CHARITY_STAFF,
                     R.UNIT_STAFF},
}


@dataclass(frozen=True)
class Reach:
    """What one role assignment reaches for one permission."""

    kind: str
    paths: tuple[str, ...] = ()
    organisation_id: int | None = None
    user_id: int | None = None


def active_roles(user) -> list[RoleAssignment]:
    """The user's active role assignments, loaded once per user object (i.e. per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_linli_roles", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.active()
            .filter(user=user)
            .select_related("division", "organisation")
            .prefetch_related("organisation__served_divisions")
        )
        user._linli_roles = cached
    return cached


def forget_roles(user) -> None:
    if hasattr(user, "_linli_roles"):
        del user._linli_roles


def reaches(user, perm: str) -> list[Reach]:
    grants = GRANTS.get(perm)
    if grants is None:
        raise KeyError(f"Unknown permission {perm!r}: add it to accounts.permissions.GRANTS")
    found = []
    for assignment in active_roles(user):
        kind = grants.get(assignment.role)
        if kind is None:
            continue
        if kind == SUBTREE and assignment.division_id:
            found.append(Reach(SUBTREE, paths=(assignment.division.path,)))
        elif kind == SERVED and assignment.organisation_id:
            paths = tuple(d.path for d in assignment.organisation.served_divisions.all())
            found.append(Reach(SERVED, paths=paths, organisation_id=assignment.organisation_id))
        elif kind == ORGANISATION and assignment.organisation_id:
            found.append(Reach(ORGANISATION, organisation_id=assignment.organisation_id))
        elif kind == OWN:
            found.append(Reach(OWN, user_id=user.pk))
    return found


def _division_q(scope: ScopeFields, paths: Iterable[str]) -> Q:
    q = Q()
    for lookup in scope.division_paths():
        for path in paths:
            q |= Q(**{f"{lookup}__under": path})
            if scope.include_ancestors:
                above = ancestor_paths(path)
                if above:
                    q |= Q(**{f"{lookup}__in": above})
    return q


def _reach_q(scope: ScopeFields, reach: Reach) -> Q | None:
    if reach.kind in (SUBTREE, SERVED):
        q = _division_q(scope, reach.paths) if scope.division and reach.paths else None
        if reach.kind == SERVED and scope.organisation:
            own = Q(**{"pk" if scope.organisation == "self" else scope.organisation: reach.organisation_id})
            q = own if q is None else q | own
        return q
    if reach.kind == ORGANISATION and scope.organisation:
        return Q(**{"pk" if scope.organisation == "self" else scope.organisation: reach.organisation_id})
    if reach.kind == OWN and scope.owner:
        return Q(**{scope.owner: reach.user_id})
    return None


def scope_q(user, perm: str, model: type[Model]) -> Q | None:
    """The filter selecting the rows of ``model`` that ``perm`` lets ``user`` reach; None for none."""
    scope: ScopeFields = model.scope
    combined = None
    for reach in reaches(user, perm):
        q = _reach_q(scope, reach)
        if q is not None:
            combined = q if combined is None else combined | q
    return combined


def visible_to(user, perm: str, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` to the rows ``perm`` lets ``user`` reach."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return queryset
    q = scope_q(user, perm, queryset.model)
    if q is None:
        return queryset.none()
    if queryset.model.scope.many:
        inner = queryset.model._default_manager.filter(q).values("pk")
        return queryset.filter(pk__in=inner)
    return queryset.filter(q)


def in_scope(user, perm: str, obj: Model) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    scope: ScopeFields = type(obj).scope
    if scope.division == "self" and not scope.organisation and not scope.owner:
        # A division: decide from its path without a query.
        for reach in reaches(user, perm):
            if reach.kind in (SUBTREE, SERVED) and any(obj.path.startswith(p) for p in reach.paths):
                return True
        return False
    return visible_to(user, perm, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def permitted_ids(user, perm: str, objects: Iterable[Model]) -> set:
    """The ids among ``objects`` on which ``user`` has ``perm``, in one query: what a list may link to
    (the same check as ``user.has_perm(perm, obj)`` for each of them)."""
    objects = list(objects)
    if not objects:
        return set()
    model = type(objects[0])
    ids = [obj.pk for obj in objects]
    return set(visible_to(user, perm, model._default_manager.filter(pk__in=ids)).values_list("pk", flat=True))


def get_for_user(user, perm: str, queryset: QuerySet, **lookup):
    """Fetch one row the user may reach with ``perm``; anything else is "not found" (404)."""
    obj = visible_to(user, perm, queryset).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj


def require(user, perm: str, obj: Model | None = None) -> None:
    """Refuse (403) unless ``user`` has ``perm`` (on ``obj`` when given)."""
    if not user.has_perm(perm, obj):
        raise PermissionDenied()


def holds_any(user, perm: str) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or bool(reaches(user, perm))


def can_assign(user, *, role: str, division=None, organisation=None) -> bool:
    """May ``user`` grant ``role`` at ``division`` (or ``organisation``)?"""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    place_path = division.path if division is not None else organisation.home_division.path
    for assignment in active_roles(user):
        if role not in ASSIGNABLE_ROLES.get(assignment.role, set()):
            continue
        if assignment.division_id is None or not place_path.startswith(assignment.division.path):
            continue
        if GRANTS["accounts.add_roleassignment"].get(assignment.role) is None:
            continue
        # Nobody makes a peer of their own rank at their own node except a supervisor above it.
        if role == assignment.role and division is not None and division.path == assignment.division.path:
            continue
        return True
    return False


def allowed_levels(role: str) -> set[str]:
    return ROLE_DIVISION_LEVELS.get(role, set())


def _predicate(perm: str):
    @rules.predicate(name=perm)
    def check(user, obj=None):
        if obj is None:
            return bool(reaches(user, perm))
        return in_scope(user, perm, obj)

    return check


def register_rules() -> None:
    for perm in GRANTS:
        if not rules.perm_exists(perm):
            rules.add_perm(perm, _predicate(perm))


register_rules()
