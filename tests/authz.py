"""What the authorization matrix needs to aim a route at a neighbour's data.

The matrix (tests/test_authz_matrix.py) walks every API operation, every page and every admin
model it finds. To call a route it must fill the route's parameters with *the neighbour's*
objects; this module says how, by parameter name. A module that adds a route with a new
parameter adds a line here, or the matrix fails and says which parameter it could not fill.

Each factory takes (world, outsider node, acting user) and returns the value to send.
"""

from accounts import services as account_services
from accounts.models import RoleAssignment
from audit.models import AuditEvent
from excel.models import ExcelJob
from org.models import Division, Organisation
from tests.world import World, make_user


def _organisation_at(world: World, node: Division) -> Organisation:
    organisation = Organisation.objects.filter(served_divisions__path__startswith=node.path).order_by("pk").first()
    assert organisation is not None, f"the world has no organisation below {node.name}"
    return organisation


def _role_at(world: World, node: Division) -> RoleAssignment:
    assignment = RoleAssignment.objects.filter(division__path__startswith=node.path).order_by("pk").first()
    if assignment is None:
        user = make_user(f"someone_at_{node.code}", role="resident" if node.level == "community" else "street_admin"
                         if node.level == "street" else "supervisor", division=node)
        assignment = user.role_assignments.get()
    return assignment


def _event_at(world: World, node: Division) -> AuditEvent:
    return AuditEvent.objects.filter(division__path__startswith=node.path).order_by("pk").first()


def _someone_elses_token(world: World, node: Division, user):
    other = world.users["resident_b"] if user != world.users["resident_b"] else world.users["resident"]
    token, _raw = account_services.token_issue(actor=other, name="not yours")
    return token.pk


def _someone_elses_job(world: World, node: Division, user):
    other = world.users["resident_b"] if user != world.users["resident_b"] else world.users["resident"]
    return ExcelJob.objects.create(requested_by=other, direction="export", register="org.divisions").pk


# Path (and page URL) parameters, by name.
PARAMS = {
    "code": lambda world, node, user: node.code,
    "organisation_id": lambda world, node, user: _organisation_at(world, node).pk,
    "assignment_id": lambda world, node, user: _role_at(world, node).pk,
    "event_id": lambda world, node, user: _event_at(world, node).pk,
    "token_id": _someone_elses_token,
    "job_id": _someone_elses_job,
}

# Parameters that name no node's data: any valid value will do, and the response must simply
# not show the neighbour's data.
UNSCOPED_PARAMS = {
    "register_name": lambda world, node, user: "org.divisions",
}

# Query parameters that narrow a list to a division: aimed at the neighbour, they must be refused.
QUERY_PARAMS = {
    "parent": lambda world, node, user: node.code,
    "within": lambda world, node, user: node.code,
    "serving": lambda world, node, user: node.code,
}

# Bodies for operations whose body has required fields, aimed at the neighbour, by operationId.
BODIES = {
    "org_api_create_division": lambda world, node, user: {
        "parent_code": node.code, "code": f"{node.code[:9]}099" if node.level == "street" else node.code, "name": "x",
    },
    "org_api_create_organisation": lambda world, node, user: {
        "name": "越界机构", "kind": "operator", "operator_kind": "enterprise", "home_division_code": node.code,
    },
    "accounts_api_create_role_assignment": lambda world, node, user: {
        "username": world.users["resident_b"].username, "role": "community_worker",
        "division_code": node.code,
    },
    "accounts_api_create_staff_account": lambda world, node, user: {
        "username": "intruder", "display_name": "x", "password": "a-long-password-1", "role": "community_worker",
        "division_code": node.code,
    },
    "accounts_api_issue_token": lambda world, node, user: {"username": "resident_b", "password": "wrong-password"},
    "accounts_api_send_phone_code": lambda world, node, user: {"phone": "13900000000"},
    "accounts_api_register_resident": lambda world, node, user: {
        "phone": "13900000000", "code": "000000", "password": "a-long-password-1", "display_name": "x",
        "community_code": node.code,
    },
    "excel_api_start_export": lambda world, node, user: {"register_name": "org.divisions", "params": {"within": node.code}},
    "excel_api_start_import": None,  # multipart upload; covered by tests/test_excel_import.py
}

# Admin models: an object of the neighbour's, to try the change page with.
ADMIN_OBJECTS = {
    "org.division": lambda world, node: node,
    "org.organisation": _organisation_at,
    "accounts.roleassignment": _role_at,
    "audit.auditevent": _event_at,
    "accounts.user": None,  # system administrators only
    "accounts.apitoken": None,  # system administrators only
    "django_tasks_database.dbtaskresult": None,  # system administrators only
    "axes.accessattempt": None,  # system administrators only
    "axes.accesslog": None,
    "axes.accessfailurelog": None,
    "ledger.account": None,  # system administrators only
    "ledger.transaction": None,
    "ledger.leg": None,
}
