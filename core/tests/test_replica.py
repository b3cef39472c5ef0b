"""The read replica: dashboards and lists read from it, writes and whatever follows a write from the primary.

The ``replica`` alias is a test mirror of ``default`` (``TEST: {"MIRROR": "default"}``), so these tests
run on SQLite and PostgreSQL alike: the queries each connection runs show which alias the router chose.
The tests that read through the replica's own connection commit their data (``transaction=True``), as a
real replica only sees committed rows.
"""

import os
import re
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connections, router, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import ApiToken, RoleAssignment, User
from core import replica
from core.replica import PIN_COOKIE, REPLICA, reading_from_replica
from org import services as org_services
from org.models import Division
from registry import services as registry_services
from tests.world import build_world

BOTH = ["default", REPLICA]
# What the primary may still be asked while a replica-safe page reads: who the user is and may do.
PRIMARY_TABLES = re.compile(r"^(accounts_|auth_|django_session|django_content_type|axes_)")


@pytest.fixture
def with_replica(settings):
    """The settings DATABASE_REPLICA_URL brings: the flag, the router and the pinning middleware."""
    settings.READ_REPLICA = True
    settings.DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "core.replica.PinToPrimaryMiddleware"]
    replica.forget_health()
    yield settings
    replica.forget_health()


@contextmanager
def queries_by_alias():
    """The SQL each alias ran in the block: {"default": [...], "replica": [...]}."""
    with ExitStack() as stack:
        captured = {alias: stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in BOTH}
        found: dict[str, list[str]] = {}
        yield found
    found.update({alias: [q["sql"] for q in context.captured_queries] for alias, context in captured.items()})


def tables(queries: list[str]) -> set[str]:
    """The table each query reads or writes first (its model's)."""
    return {found.group(1) for sql in queries if (found := re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql))}


# -- The router's decisions ---------------------------------------------------------------------

@pytest.mark.django_db(databases=BOTH)
def test_reads_go_to_the_replica_only_inside_a_replica_safe_block(with_replica):
    assert router.db_for_read(Division) == "default"
    with reading_from_replica():
        assert router.db_for_read(Division) == REPLICA
        assert Division.objects.all().db == REPLICA
        assert router.db_for_write(Division) == "default"
    assert router.db_for_read(Division) == "default"


@pytest.mark.django_db(databases=BOTH, transaction=True)  # SQLite: the mirror's teardown check would wait on the write
def test_a_write_sends_the_rest_of_the_block_to_the_primary(with_replica):
    with reading_from_replica():
        assert router.db_for_read(Division) == REPLICA
        Division.objects.filter(pk=-1).update(name="x")  # any write, even one that changes nothing
        assert router.db_for_read(Division) == "default"
    with reading_from_replica():  # the next block starts afresh
        assert router.db_for_read(Division) == REPLICA


@pytest.mark.django_db(databases=BOTH)
def test_inside_a_transaction_and_for_locked_rows_reads_go_to_the_primary(with_replica):
    with reading_from_replica():
        with transaction.atomic():
            assert router.db_for_read(Division) == "default"
        assert router.db_for_read(Division) == REPLICA
        with transaction.atomic():
            assert Division.objects.select_for_update().db == "default"
        assert router.db_for_read(Division) == "default"  # rows locked are rows about to be written


@pytest.mark.django_db(databases=BOTH)
def test_who_may_do_what_is_always_read_from_the_primary(with_replica):
    with reading_from_replica():
        for model in (User, RoleAssignment, ApiToken, Session):
            assert router.db_for_read(model) == "default", model


@pytest.mark.django_db(databases=BOTH)
def test_migrations_run_on_the_primary_only(with_replica):
    assert router.allow_migrate(REPLICA, "org", model_name="division") is False
    assert router.allow_migrate("default", "org", model_name="division") is True


@pytest.mark.django_db(databases=BOTH)
def test_objects_read_on_either_may_be_related(with_replica):
    a, b = Division(name="a"), Division(name="b")
    a._state.db, b._state.db = "default", REPLICA
    assert router.allow_relation(a, b) is True


def _manage(*args: str, **env) -> subprocess.CompletedProcess:
    """``manage.py <args>`` in a process whose environment is ``env`` (and none of the tests')."""
    kept = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "REDIS_URL",
                                                             "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=Path(__file__).resolve().parents[2],
                          env={**kept, **env}, capture_output=True, text=True, timeout=120)


def test_the_replica_comes_from_the_environment_and_is_refused_where_it_cannot_work():
    primary, standby = "postgres://linli@db1.example.org/linli", "postgres://linli@db2.example.org/linli?sslmode=require"
    shown = _manage("shell", "-c", "from django.conf import settings as s; r = s.DATABASES['replica']; "
                           "print(r['HOST'], r['OPTIONS'], r['TEST']['MIRROR'], s.DATABASE_ROUTERS, s.MIDDLEWARE[-1])",
                           DATABASE_URL=primary, DATABASE_REPLICA_URL=standby)
    assert shown.stdout.strip().splitlines()[-1].split() == ["db2.example.org", "{'sslmode':", "'require',", "'connect_timeout':", "3}", "default",
                                    "['core.replica.ReplicaRouter']", "core.replica.PinToPrimaryMiddleware"], shown.stderr
    refused = _manage("check", DATABASE_REPLICA_URL=standby)  # a replica of SQLite
    assert refused.returncode != 0 and "DATABASE_REPLICA_URL must name a PostgreSQL replica" in refused.stderr
    refused = _manage("check", DATABASE_URL=primary, DATABASE_REPLICA_URL=standby, DATABASE_REPLICA_PIN_SECONDS="3")
    assert refused.returncode != 0 and "DATABASE_REPLICA_PIN_SECONDS must be at least" in refused.stderr


def test_without_a_replica_nothing_is_routed_and_nobody_is_pinned(settings):
    from django.conf import settings as live

    assert live.READ_REPLICA is False and live.DATABASE_ROUTERS == []
    assert "core.replica.PinToPrimaryMiddleware" not in live.MIDDLEWARE
    request = RequestFactory().get("/")
    assert replica.may_read_replica(request) is False


# -- Who may read from the replica --------------------------------------------------------------

@pytest.mark.django_db(databases=BOTH)
def test_only_gets_of_clients_that_did_not_write_lately_read_from_a_fit_replica(with_replica, monkeypatch):
    factory = RequestFactory()
    assert replica.may_read_replica(factory.get("/")) is True
    assert replica.may_read_replica(factory.head("/")) is True
    assert replica.may_read_replica(factory.post("/")) is False
    pinned = factory.get("/")
    pinned.COOKIES[PIN_COOKIE] = "1"
    assert replica.may_read_replica(pinned) is False
    for lag, fit in ((0.4, True), (60.0, False), (None, False)):  # a second behind; a minute; unreachable
        replica.forget_health()
        monkeypatch.setattr(replica, "replica_lag", lambda lag=lag: lag)
        assert replica.may_read_replica(factory.get("/")) is fit, lag


@pytest.mark.django_db(databases=BOTH)
def test_the_mirror_is_not_behind(with_replica):
    assert replica.replica_lag() == 0.0


# -- Pages and the API really read from the replica -----------------------------------------------

def _world_with_sites():
    world = build_world()
    street = world.node("甲市一区一街")
    for n in range(3):
        registry_services.site_create(actor=world.users["street_admin"], division=world.node("甲市一区一街一社"),
                                      name=f"服务站{n}", kind="service_station", address=f"一街{n}号", floor_area=Decimal("120"),
                                      property_class="state_admin", property_source="street_owned")
    return world, street


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_dashboard_and_a_list_read_from_the_replica_and_the_user_from_the_primary(with_replica, client):
    world, _street = _world_with_sites()
    client.force_login(world.users["city_supervisor"])
    city = world.node("甲市")
    assert client.get(f"/supervision/{city.code}/").status_code == 200  # loads the city's rule pack once
    with queries_by_alias() as run:
        assert client.get(f"/supervision/{city.code}/").status_code == 200
    assert {"org_division"} <= tables(run[REPLICA]), run[REPLICA]
    assert all(PRIMARY_TABLES.match(name) for name in tables(run["default"])), tables(run["default"])

    _token, raw = account_services.token_issue(actor=world.users["street_admin"], name="list")
    with queries_by_alias() as run:
        response = client.get("/api/v1/registry/sites", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["count"] == 3
    assert "registry_site" in tables(run[REPLICA])
    assert "registry_site" not in tables(run["default"])


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_client_that_wrote_reads_its_write_from_the_primary_until_the_pin_ends(with_replica, client):
    world, street = _world_with_sites()
    admin = world.users["street_admin"]
    client.force_login(admin)
    sites = f"/registry/{street.code}/sites/"
    with queries_by_alias() as run:
        assert client.get(sites).status_code == 200
    assert "registry_site" in tables(run[REPLICA])

    # A write through the API (with the session): the answer pins this browser, and the user everywhere.
    community = world.node("甲市一区一街一社")
    with queries_by_alias() as run:
        response = client.post("/api/v1/registry/sites", {"division_code": community.code, "name": "新站", "kind": "service_station",
                                                          "address": "一街9号", "floor_area": "80", "property_class": "state_admin",
                                                          "property_source": "street_owned"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert not run[REPLICA] and response.cookies[PIN_COOKIE]["max-age"] == with_replica.DATABASE_REPLICA_PIN_SECONDS
    with queries_by_alias() as run:
        page = client.get(sites)
    assert "新站" in page.content.decode() and not run[REPLICA]
    # The same user with a token (no cookie) is pinned too, through the cache every app server shares.
    _token, raw = account_services.token_issue(actor=admin, name="script")
    with queries_by_alias() as run:
        listed = client.generic("GET", "/api/v1/registry/sites", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert any(site["name"] == "新站" for site in listed.json()["items"]) and not run[REPLICA]

    # When the pin has run out, the replica serves the pages again.
    client.cookies.pop(PIN_COOKIE)
    from django.core.cache import cache

    cache.delete(f"replica-pin:{admin.pk}")
    with queries_by_alias() as run:
        assert "新站" in client.get(sites).content.decode()
    assert "registry_site" in tables(run[REPLICA])


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_write_inside_a_replica_safe_block_goes_to_the_primary_and_so_do_the_reads_after_it(with_replica):
    city = org_services.division_create(actor="test", parent=None, code="350100000000", name="甲市")
    with queries_by_alias() as run, reading_from_replica():
        assert Division.objects.filter(pk=city.pk).exists()
        district = org_services.division_create(actor="test", parent=city, code="350101000000", name="甲市一区")
        assert Division.objects.filter(pk=district.pk).exists()  # read after write: the primary has it
    assert len(run[REPLICA]) == 1 and "org_division" in run[REPLICA][0]
    assert any(sql.startswith("INSERT") and "org_division" in sql for sql in run["default"])
    assert run["default"][-1].startswith("SELECT") and "org_division" in run["default"][-1]


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_replica_failing_during_a_page_costs_no_request_the_page_is_read_again_from_the_primary(with_replica, client,
                                                                                                   monkeypatch):
    world, street = _world_with_sites()
    client.force_login(world.users["street_admin"])
    answers = iter([0.0, None])  # fit when the page starts; down when asked after the failure
    monkeypatch.setattr(replica, "replica_lag", lambda: next(answers))

    def gone(execute, sql, params, many, context):
        raise OperationalError("the replica went away")

    with connections[REPLICA].execute_wrapper(gone), queries_by_alias() as run:
        page = client.get(f"/registry/{street.code}/sites/")
    assert page.status_code == 200 and "服务站0" in page.content.decode()
    assert "registry_site" in tables(run["default"])
    assert replica.replica_fit() is False  # and it is not read from until the next check finds it fit


@pytest.mark.django_db(databases=BOTH, transaction=True)
def test_a_view_that_failed_after_writing_is_not_done_again(with_replica):
    calls = []

    @replica.replica_reads
    def view(request):
        calls.append(request.path)
        Division.objects.filter(pk=-1).update(name="x")  # a write: the rest goes to the primary
        raise OperationalError("the primary went away")

    with pytest.raises(OperationalError):
        view(RequestFactory().get("/dashboard/"))
    assert calls == ["/dashboard/"]


def test_the_marked_api_operations_are_reading_lists_and_the_dashboards_are_marked():
    from config.api import api
    from governance import views as governance_views
    from supervision import views as supervision_views

    marked = [(tuple(operation.methods), prefix + path) for prefix, router in api._routers
              for path, path_view in router.path_operations.items() for operation in path_view.operations
              if getattr(operation.view_func, "replica_safe", False)]
    assert len(marked) >= 40 and {methods for methods, _path in marked} == {("GET",)}
    assert not [path for _methods, path in marked if "mine" in path or "tokens" in path]
    assert supervision_views.board.replica_safe and governance_views.overview.replica_safe
