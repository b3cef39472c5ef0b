"""The API's URL patterns are nested by module (core.api.grouped_by_prefix): every path ninja declares
is there under its name and reversed as before; a call is matched against its module's paths, not all of them."""

from django.urls import URLPattern, URLResolver, resolve, reverse
from ninja import NinjaAPI

from config.api import api


def _flat(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _flat(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_every_path_ninja_declares_is_there_under_its_name():
    declared = {str(p.pattern): p for p in NinjaAPI._get_urls(api) if isinstance(p, URLPattern)}
    served = dict(_flat(api._get_urls()))
    assert served.keys() == declared.keys()
    for route, pattern in declared.items():
        # ninja makes its views anew for each list: the same path under the same name is the same operation
        assert served[route].name == pattern.name and served[route].default_args == pattern.default_args, route


def test_a_call_is_matched_within_its_module():
    top = api._get_urls()
    assert len(top) < 60, "grouped: a few dozen prefixes, not every path"
    match = resolve("/api/v1/neighbourhood/activities")
    assert match.route.endswith("v1/neighbourhood/activities")
    assert reverse(f"{api.urls_namespace}:{match.url_name}") == "/api/v1/neighbourhood/activities"
