"""The authorization matrix: every role, at its node, is refused its neighbour's data.

It walks every operation of the OpenAPI document, every page of the URL configuration and
every model of the back office, so routes that later modules add are checked without anyone
listing them. For each role (at the 甲市一区一街一社 branch of the test world) the neighbour is
the sibling node; the routes are aimed at the neighbour's objects (tests/authz.py says how to
fill each parameter) and must answer 403 or 404 and write nothing, and lists must not show a
single name from the neighbour's subtree.
"""

import contextlib
import json
import re
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Role
from audit.models import AuditEvent
from config.api import api
from tests import authz
from tests.world import World, home_node

ROLES = [*Role.values, "city_supervisor"]
WRITE_METHODS = {"post", "put", "patch", "delete"}
REFUSED = {403, 404}
SKIPPED_PAGE_PREFIXES = ("api/", "admin/", "i18n/", "static/", "media/")


SCHEMA = api.get_openapi_schema(path_prefix="/api/")


def api_operations():
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def _body_has_required_fields(operation) -> bool:
    for content in operation["requestBody"].get("content", {}).values():
        schema = content.get("schema", {})
        if "$ref" in schema:
            schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if schema.get("required"):
            return True
    return False


def _fill(template: str, values: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), template)


def _param_value(name: str, world, node, user):
    if name in authz.PARAMS:
        return authz.PARAMS[name](world, node, user), True
    if name in authz.UNSCOPED_PARAMS:
        return authz.UNSCOPED_PARAMS[name](world, node, user), False
    pytest.fail(f"The authorization matrix cannot fill parameter {name!r}: add it to tests/authz.py")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content


def _shows_neighbour(content: bytes, outsider_names: list[str]) -> str | None:
    text = content.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):
        # Decode JSON and dump it unescaped, so "\u7532" cannot hide a name.
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return next((name for name in outsider_names if name in text), None)


def _request(client, method: str, url: str, body=None, multipart: bool = False):
    if method == "get":
        return client.get(url)
    if multipart:
        return getattr(client, method)(url, data=body or {})  # the test client's default: multipart/form-data
    return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")


def _is_multipart(operation) -> bool:
    return "multipart/form-data" in operation.get("requestBody", {}).get("content", {})


def _make_the_neighbours_data(world: World, outsider, user) -> None:
    """Every kind of the neighbour's record the matrix can make, made before any list is read, so that
    a list showing one of them is caught whatever the order of the routes."""
    for factory in authz.PARAMS.values():
        factory(world, outsider, user)


def _is_local_page(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", reverse("accounts:login"), "/api/", "/admin/"))


def _unaimed_page_status(status: int) -> bool:
    """A page the matrix neither aims at the neighbour nor reads (200) nor sees refused."""
    return status not in REFUSED and status != 200


def test_every_route_is_checked_or_listed_with_a_reason():
    """A route nobody aims at a neighbour fails here until it is: public operations and pages, and bodies
    the matrix cannot build, are listed in tests/authz.py with the reason; nothing listed is stale."""
    problems = route_problems()
    assert not problems, "\n".join(problems)


def test_a_route_left_out_of_the_lists_is_caught(monkeypatch):
    """Proof that the completeness check has teeth: take a public page, a public operation and a body out
    of tests/authz.py, and it names each of them."""
    monkeypatch.setattr(authz, "PUBLIC_PAGES", {k: v for k, v in authz.PUBLIC_PAGES.items() if k != "healthz"})
    monkeypatch.setattr(authz, "PUBLIC_OPERATIONS", {k: v for k, v in authz.PUBLIC_OPERATIONS.items()
                                                     if k != "org_api_pick_community"})
    monkeypatch.setattr(authz, "BODIES", {k: v for k, v in authz.BODIES.items() if k != "funds_api_vote"})
    problems = "\n".join(route_problems())
    assert "'healthz'" in problems and "org_api_pick_community" in problems and "funds_api_vote" in problems


def route_problems() -> list[str]:
    problems = []
    operation_ids = set()
    for path, method, operation in api_operations():
        op_id = operation["operationId"]
        operation_ids.add(op_id)
        if not operation.get("security"):
            if not str(authz.PUBLIC_OPERATIONS.get(op_id, "")).strip():
                problems.append(f"{method.upper()} {path} ({op_id}) is open without signing in: list it in "
                                "tests/authz.py PUBLIC_OPERATIONS with the reason, or require sign-in")
            continue
        if op_id in authz.PUBLIC_OPERATIONS:
            problems.append(f"{op_id} requires sign-in but is listed in PUBLIC_OPERATIONS")
        if "requestBody" in operation and _body_has_required_fields(operation):
            factory = authz.BODIES.get(op_id)
            if factory is None or (isinstance(factory, str) and not factory.strip()):
                problems.append(f"{method.upper()} {path} ({op_id}): no body in tests/authz.py BODIES aimed at the "
                                "neighbour, nor the reason why none can be")
        for p in operation.get("parameters", []):
            if p["in"] == "path" and p["name"] not in authz.PARAMS and p["name"] not in authz.UNSCOPED_PARAMS:
                problems.append(f"{op_id}: path parameter {p['name']!r} is not in tests/authz.py")
    problems += [f"BODIES names {op_id}, which no operation has" for op_id in set(authz.BODIES) - operation_ids]
    problems += [f"{listing} names {op_id}, which no operation has"
                 for listing, entries in (("PUBLIC_OPERATIONS", authz.PUBLIC_OPERATIONS),
                                          ("SELF_ONLY_OPERATIONS", authz.SELF_ONLY_OPERATIONS))
                 for op_id in set(entries) - operation_ids]
    problems += [f"SELF_ONLY_OPERATIONS lists {op_id} without a reason"
                 for op_id, reason in authz.SELF_ONLY_OPERATIONS.items() if not reason.strip()]
    routes = set()
    for route, pattern in page_patterns():
        routes.add(route)
        if _is_public(pattern.callback):
            if not authz.PUBLIC_PAGES.get(route, "").strip():
                problems.append(f"page {route!r} is open without signing in: list it in tests/authz.py PUBLIC_PAGES "
                                "with the reason, or require sign-in")
            continue  # not walked: its parameters are its own (tests/test_public_api.py)
        if route in authz.PUBLIC_PAGES:
            problems.append(f"page {route!r} requires sign-in but is listed in PUBLIC_PAGES")
        if route in authz.SELF_ONLY_PAGES and not authz.SELF_ONLY_PAGES[route].strip():
            problems.append(f"page {route!r} is listed in SELF_ONLY_PAGES without a reason")
        for name in re.findall(r"<(?:\w+:)?(\w+)>", route):
            if name not in authz.PARAMS and name not in authz.UNSCOPED_PARAMS:
                problems.append(f"page {route!r}: parameter {name!r} is not in tests/authz.py")
    problems += [f"{listing} names page {route!r}, which no URL pattern has"
                 for listing, entries in (("PUBLIC_PAGES", authz.PUBLIC_PAGES), ("SELF_ONLY_PAGES", authz.SELF_ONLY_PAGES))
                 for route in set(entries) - routes]
    return problems


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_api_refuses_the_neighbours_data(client, world: World, role: str):
    check_api(client, world, role)


@pytest.mark.django_db
def test_the_matrix_catches_a_leak(client, world: World, monkeypatch):
    """Proof that the matrix has teeth: with the division scope switched off, it fails."""
    import org.selectors

    monkeypatch.setattr(org.selectors, "visible_to", lambda user, perm, queryset: queryset)
    with pytest.raises(AssertionError, match="neighbour"):
        check_api(client, world, Role.COMMUNITY_WORKER)


def check_api(client, world: World, role: str) -> None:
    user = world.users[role]
    node = home_node(world, role)
    outsider = world.sibling(node)
    outsider_names = world.names_below(outsider)
    client.force_login(user)
    _make_the_neighbours_data(world, outsider, user)
    checked = 0
    for path, method, operation in api_operations():
        if not operation.get("security"):
            continue  # public operations: listed with their reason in tests/authz.py, checked in tests/test_public_api.py
        op_id = operation["operationId"]
        params = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        has_body = "requestBody" in operation
        body = None
        if has_body and not _body_has_required_fields(operation):
            body = {}
        elif has_body:
            if op_id not in authz.BODIES:
                pytest.fail(f"No body for {op_id} in tests/authz.py BODIES: the matrix cannot aim it at a neighbour")
            if isinstance(authz.BODIES[op_id], str):
                continue  # the reason is given there
            body = authz.BODIES[op_id](world, outsider, user)

        values, scoped = {}, False
        for p in params:
            values[p["name"]], is_scoped = _param_value(p["name"], world, outsider, user)
            scoped = scoped or is_scoped
        url = _fill(path, values)
        required_query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")]
        if required_query:
            filled = []
            for name in required_query:
                if name in authz.QUERY_PARAMS:
                    value, is_scoped = authz.QUERY_PARAMS[name](world, outsider, user), True
                else:
                    value, is_scoped = _param_value(name, world, outsider, user)
                filled.append(f"{name}={quote(str(value))}")
                scoped = scoped or is_scoped
            url = f"{url}?{'&'.join(filled)}"
        events_before = AuditEvent.objects.count()
        response = _request(client, method, url, body, multipart=_is_multipart(operation))
        checked += 1
        assert response.status_code < 500, f"{role} {method.upper()} {url}: {response.status_code}"
        if scoped or (method in WRITE_METHODS and body is not None):
            assert response.status_code in REFUSED | {400, 409, 422}, (
                f"{role} reached the neighbour's data: {method.upper()} {url} -> {response.status_code} {response.content[:200]!r}"
            )
            if scoped:
                assert response.status_code in REFUSED, f"{role} {method.upper()} {url} -> {response.status_code}"
            assert AuditEvent.objects.count() == events_before, f"{role} {method.upper()} {url} wrote something"
        elif op_id not in authz.SELF_ONLY_OPERATIONS:
            leaked = _shows_neighbour(_body(response), outsider_names)
            assert leaked is None, f"{role} {method.upper()} {url} shows the neighbour's {leaked}"
        if method == "get":
            for name in query:
                if name not in authz.QUERY_PARAMS or name in required_query:
                    continue
                joiner = "&" if "?" in url else "?"
                aimed = f"{url}{joiner}{name}={quote(str(authz.QUERY_PARAMS[name](world, outsider, user)))}"
                response = client.get(aimed)
                assert response.status_code < 500, aimed
                if response.status_code == 200:
                    leaked = _shows_neighbour(_body(response), outsider_names)
                    assert leaked is None, f"{role} GET {aimed} shows the neighbour's {leaked}"
                else:
                    assert response.status_code in REFUSED, f"{role} GET {aimed} -> {response.status_code}"
    assert checked > 10


@pytest.mark.django_db
def test_api_turns_anonymous_callers_away(client, world: World):
    for path, method, operation in api_operations():
        if not operation.get("security"):
            continue
        values = {p["name"]: 1 if p.get("schema", {}).get("type") == "integer" else "350100000000"
                  for p in operation.get("parameters", []) if p["in"] == "path"}
        response = _request(client, method, _fill(path, values), {})
        assert response.status_code in (401, 403), f"anonymous {method.upper()} {path} -> {response.status_code}"


def page_patterns(resolver=None, prefix=""):
    """Every page URL pattern outside the API and the admin, with its view."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PAGE_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from page_patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _page_url(route: str, values: dict) -> str:
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)
    return "/" + url.lstrip("^").rstrip("$")


def _is_public(callback) -> bool:
    return bool(getattr(callback, "linli_public", False) or getattr(getattr(callback, "view_class", None), "linli_public", False))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_pages_refuse_the_neighbours_data(client, world: World, role: str):
    user = world.users[role]
    node = home_node(world, role)
    outsider = world.sibling(node)
    outsider_names = world.names_below(outsider)
    client.force_login(user)
    _make_the_neighbours_data(world, outsider, user)
    checked = 0
    for route, pattern in page_patterns():
        if _is_public(pattern.callback):
            continue  # open to everyone by design (a fund's disclosure): listed with the reason in tests/authz.py
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        values, scoped = {}, False
        for name in names:
            values[name], is_scoped = _param_value(name, world, outsider, user)
            scoped = scoped or is_scoped
        url = _page_url(route, values)
        events_before = AuditEvent.objects.count()
        client.force_login(user)  # a page before may have signed out
        response = client.get(url)
        posted = response.status_code == 405
        if posted:
            response = client.post(url, {})
        checked += 1
        assert response.status_code < 500, f"{role} {url}: {response.status_code}"
        if not scoped and not posted and response.status_code in (301, 302) and _is_local_page(response["Location"]):
            # A page that sends the person on to their own (the division list to their division): read that one.
            response = client.get(response["Location"])
            assert response.status_code < 500, f"{role} {url} -> {response.request['PATH_INFO']}: {response.status_code}"
        if scoped:
            assert response.status_code in REFUSED, f"{role} reached the neighbour's page {url} -> {response.status_code}"
            assert AuditEvent.objects.count() == events_before
        elif route in authz.SELF_ONLY_PAGES:
            continue  # the user's own: listed with the reason
        elif response.status_code == 200:
            leaked = _shows_neighbour(_body(response), outsider_names)
            assert leaked is None, f"{role} {url} shows the neighbour's {leaked}"
        elif posted and response.status_code in (400, 409, 422):
            assert AuditEvent.objects.count() == events_before, f"{role} POST {url} was refused but wrote something"
        elif _unaimed_page_status(response.status_code):
            raise AssertionError(
                f"{role} {url} -> {response.status_code}: the matrix neither aims this page at the neighbour nor reads it; "
                "give it a parameter tests/authz.py fills with the neighbour's data, or list it in SELF_ONLY_PAGES with the reason")
    assert checked > 5


@pytest.mark.django_db
def test_pages_turn_anonymous_visitors_to_sign_in(client, world: World):
    login = reverse("accounts:login")
    for route, pattern in page_patterns():
        if _is_public(pattern.callback):
            continue
        values = {name: 1 if converter == "int" else "350100000000"
                  for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)}
        response = client.get(_page_url(route, values))
        assert response.status_code in (302, 405), f"anonymous reached {route}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith(login), route


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.STREET_ADMIN, "city_supervisor"])
def test_back_office_refuses_the_neighbours_data(client, world: World, role: str):
    user = world.users[role]
    node = home_node(world, role)
    outsider = world.sibling(node)
    outsider_names = world.names_below(outsider)
    client.force_login(user)
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        if label not in authz.ADMIN_OBJECTS:
            pytest.fail(f"Admin model {label} has no entry in tests/authz.py ADMIN_OBJECTS")
        changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code in (200, 302, 403), f"{role} {changelist}: {response.status_code}"
        if response.status_code == 200:
            leaked = _shows_neighbour(_body(response), outsider_names)
            assert leaked is None, f"{role} sees the neighbour's {leaked} in {changelist}"
        factory = authz.ADMIN_OBJECTS[label]
        if factory is None:
            assert response.status_code != 200 or model_admin.has_module_permission(response.wsgi_request), label
            continue
        obj = factory(world, outsider)
        change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        response = client.get(change)
        # Django answers an object outside the queryset with a redirect to the index ("does not exist").
        assert response.status_code in (302, 403, 404), f"{role} opened the neighbour's {label} #{obj.pk}"
