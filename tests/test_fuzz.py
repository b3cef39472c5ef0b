"""schemathesis over the whole API document, as every role of the test world and anonymously.

Every operation of ``/api/openapi.json`` gets generated requests, valid and invalid, sent
through the WSGI application (no server), each one as every role. Each answer must not be a
5xx, must carry a status code the operation documents, and must match the documented schema
for that code.

The normal run keeps the budget small: two generated requests per operation (each sent as the
seven roles), the same ones every run. ``FUZZ_EXAMPLES=<n>`` sets a larger, random budget and
adds schemathesis's coverage cases (boundary values, every way to break each parameter);
``make fuzz`` runs that, on PostgreSQL when ``DATABASE_URL`` says so. ``FUZZ_SEED=<n>`` repeats
a random run. The module prints how many requests it sent and what they were answered.

Half of the generated requests name real objects of the world in their path (a site, a room, a
fund's project, an activity…, made by the authorization matrix's factories in ``tests.authz``)
so that they get past the lookup into the services; the others are generated whole.

The operations are parametrized here with schemathesis's strategies (``as_strategy``) rather
than its pytest plugin, whose items all get the same node id under pytest 9.2. The world is
built once for the module inside a transaction rolled back at its end, and each request runs
in a savepoint rolled back after it: every request meets the same world, and a failing
statement cannot poison the transaction around it.
"""

import os
import re
import time
from collections import Counter
from collections.abc import Iterator

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from accounts import services as account_services
from accounts.models import ApiToken
from config.wsgi import application
from rulepack.services import rulepack_ensure
from tests import authz
from tests.world import build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
LARGER = EXAMPLES > 0
SEED = os.environ.get("FUZZ_SEED")
ROLES = ["community_worker", "street_admin", "supervisor", "resident", "operator_staff", "charity_staff", "anonymous"]
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
HOME = "甲市一区一街一社"  # where the world's community worker and resident live

# The mark makes pytest-django create the test database (and wraps each test in a savepoint).
pytestmark = pytest.mark.django_db

SENT: Counter = Counter()  # requests sent, by status code
SERVED_SECONDS: list[float] = []  # the time the application took for each


def rolled_back(app):
    """The WSGI application, each request in a savepoint that is rolled back after it.

    As Django's test client does, the request signals do not close the database connection:
    it holds the test's transaction.
    """

    def wrapped(environ, start_response):
        def counting_start_response(status, headers, exc_info=None):
            SENT[int(status.split()[0])] += 1
            return start_response(status, headers, exc_info)

        started = time.perf_counter()
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            with transaction.atomic():
                body = list(app(environ, counting_start_response))
                transaction.set_rollback(True)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
        SERVED_SECONDS.append(time.perf_counter() - started)
        return body

    return wrapped


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "generation": {
            # The role's token is sent by the test; generated credentials would only replace it.
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"unexpected-methods": []}},
    })


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=_config())
schema.app = rolled_back(application)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


def path_names(operation) -> list[str]:
    return re.findall(r"{(\w+)}", operation.path)


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world()
        for city in ("甲市", "乙市"):
            rulepack_ensure(city=world.node(city))
        yield world
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def known_path_values(fuzz_world, request) -> Iterator[dict[str, object]]:
    """Real objects at 甲市一区一街一社 for the path parameters the authorization matrix knows how to
    fill (``tests.authz``), so that part of the requests reach past the lookup into the services.
    Prints what the module sent at its end."""
    node, user = fuzz_world.node(HOME), fuzz_world.users["community_worker"]
    names = {name for operation in OPERATIONS for name in path_names(operation)}
    values = {}
    for name in sorted(names):
        factory = authz.PARAMS.get(name) or authz.UNSCOPED_PARAMS.get(name)
        if factory is None:
            continue
        try:
            with transaction.atomic():
                values[name] = factory(fuzz_world, node, user)
        except Exception:  # noqa: BLE001 — a factory meant for a neighbour's node; generated values still go
            continue
    yield values
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and SENT:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(SENT.items()))
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(f"fuzz: {sum(SENT.values())} requests as {len(ROLES)} roles ({statuses}), served in "
                                f"{sum(SERVED_SECONDS):.0f} s; {len(values)} of {len(names)} path parameters named the world's objects")


@pytest.fixture(scope="module")
def credentials(fuzz_world) -> dict[str, dict[str, str]]:
    """The headers each role sends: its own API token; none for anonymous."""
    headers = {}
    for role in ROLES:
        if role == "anonymous":
            headers[role] = {}
        else:
            token, raw = account_services.token_issue(actor=fuzz_world.users[role], name="fuzz")
            # Marked as just used, so that requests do not each write it again (and roll it back).
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            headers[role] = {"Authorization": f"Bearer {raw}"}
    return headers


def _send_as_every_role(case, credentials) -> None:
    for role, headers in credentials.items():
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as failure:
            failure.add_note(f"Sent as {role}.")
            raise


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_the_api_answers_as_documented(operation, credentials, known_path_values):
    if LARGER:
        generation = schema.config.generation_for(operation=operation, phase="coverage")
        for case in schema.iter_coverage_cases(operation, generation_modes=MODES, generation_config=generation):
            _send_as_every_role(case, credentials)

    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    known = {name: known_path_values[name] for name in path_names(operation) if name in known_path_values}
    if known:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=known) for mode in MODES]
    strategy = st.one_of(strategies)

    @hypothesis.settings(
        max_examples=EXAMPLES or 2, derandomize=not LARGER, database=None, deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck), print_blob=LARGER,
    )
    @hypothesis.given(case=strategy)
    def fuzz(case):
        _send_as_every_role(case, credentials)

    if SEED:
        fuzz = hypothesis.seed(int(SEED))(fuzz)
    fuzz()
