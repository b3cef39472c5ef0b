"""Every page of the demo city, opened by every demo account, reads in Chinese.

The demo city is built smaller than the full one to keep the test quick: a district of two
streets and a county of one town (so every kind of community, page and account is there), two
weeks of bookings instead of ten, and fewer operators and agreements; each account then walks every page it reaches from its home page (``tests.crawl.walk``:
menus, dashboards, lists, details, htmx fragments; each URL pattern once). A page fails when its
visible text holds an internal code (``neighbourhood.need.met``, ``employment_business``, a
Python value, a state arrow, a tick count) or an English word that is not on the short list of
product names and units in ``tests.crawl.ALLOWED_LATIN``. Text a page marks ``translate="no"``
(a username, a URL) is not read as words.

The audit trail's first page shows only the latest events; one event of every action the demo
recorded is opened too, so every label and change of the trail is read.
"""

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from tests.crawl import DEMO_ACCOUNTS, problems_in, visible_text, walk

# The fixture builds the city outside the tests' transactions; the mark makes the test database exist.
pytestmark = pytest.mark.django_db

SMALL_STREETS = {"359902000000": 2, "359921000000": 1}  # 鹭湖区 (the demo accounts' district) and 云溪县 (villages)
SMALL = {"scheduling.demo": {"WEEKS_BACK": 1, "WEEKS_AHEAD": 1},
         "operations.demo": {"MORE_OPERATORS": 12, "AGREEMENT_SHARE": 0.15}}


def _small_districts(districts):
    return [(code, name, types, streets[:SMALL_STREETS[code]], county)
            for code, name, types, streets, county in districts if code in SMALL_STREETS]


@pytest.fixture(scope="module")
def walks(django_db_setup, django_db_blocker):
    import importlib

    import org.demo
    from demo.builders import build_demo_city

    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(org.demo, "DISTRICTS", _small_districts(org.demo.DISTRICTS))
        for module, values in SMALL.items():
            for name, value in values.items():
                patch.setattr(importlib.import_module(module), name, value)
        build_demo_city(seed=2026, verbose=False)
        pages = {}
        for account in DEMO_ACCOUNTS:
            client = Client()
            client.force_login(User.objects.get(username=account))
            pages[account] = walk(client=client, account=account, per_pattern=1).pages
        events = {}
        for pk, action in AuditEvent.objects.filter(division__isnull=False).order_by("action", "-id").values_list("pk", "action"):
            events.setdefault(action, pk)
        client = Client()
        client.force_login(User.objects.get(username="minzheng"))
        trail = {action: client.get(f"/audit/{pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans") for action, pk in events.items()}
        yield {"pages": pages, "trail": trail}
        # Test files after this one share the worker's database: leave it as a transactional test leaves it.
        call_command("flush", interactive=False, verbosity=0)


def _report(found: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"{url}: {kind}: {word}" for url, kind, word in found[:40]) + (
        f"\n… {len(found) - 40} more" if len(found) > 40 else "")


@pytest.mark.parametrize("account", DEMO_ACCOUNTS)
def test_every_page_an_account_reaches_reads_in_chinese(walks, account):
    pages = walks["pages"][account]
    failed = [(p.url, p.status) for p in pages if p.status >= 500]
    assert failed == []
    html = [p for p in pages if p.status == 200 and p.content_type.startswith("text/html")]
    assert len(html) >= 8, f"{account} reached only {len(html)} pages"
    found = [(p.url, kind, word) for p in html for kind, word in problems_in(p.text)]
    assert found == [], _report(found)


def test_every_kind_of_audit_event_reads_in_chinese(walks):
    trail = walks["trail"]
    assert len(trail) > 40, "the demo records most kinds of action"
    found = []
    for action, response in trail.items():
        assert response.status_code == 200, action
        text, _links = visible_text(response.content.decode())
        found += [(action, kind, word) for kind, word in problems_in(text)]
    assert found == [], _report(found)
