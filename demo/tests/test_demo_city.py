"""The demo city: realistic, deterministic, and with an account for every role; every page it
shows, opened by every demo account, answers and reads in Chinese.

The city is built once for this file. Each account then walks every page it reaches from its
home page (``tests.crawl.walk``: menus, dashboards, lists, details, htmx fragments; each kind of
page twice), once for all the page checks: no link answers "forbidden" or "not found" to the
person shown it, and no page's visible text holds an internal code (``neighbourhood.need.met``,
``employment_business``, a Python value, a state arrow, a tick count) or an English word that is
not on the short list of product names and units in ``tests.crawl.ALLOWED_LATIN``. Text a page
marks ``translate="no"`` (a username, a URL) is not read as words. The audit trail's first page
shows only the latest events, so one event of every action the demo recorded is opened too.
"""

import pytest
from django.core.management import call_command

from accounts.models import Role, RoleAssignment
from demo.builders import build_demo_city
from demo.context import DEMO_PASSWORD
from org.models import Division, Organisation
from org.services import division_code_errors
from registry.models import Room
from tests.crawl import DEMO_ACCOUNTS, problems_in, visible_text


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ctx = build_demo_city(seed=2026, verbose=False)
        yield ctx
        # Test files after this one share the worker's database: leave it as a transactional test leaves it.
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def walks(demo, django_db_blocker):
    """What every demo account reaches, and one audit event of each kind opened by the city."""
    from django.test import Client

    from accounts.models import User
    from audit.models import AuditEvent
    from tests.crawl import DEMO_ACCOUNTS, walk

    with django_db_blocker.unblock():
        pages = {}
        for account in DEMO_ACCOUNTS:
            client = Client()
            client.force_login(User.objects.get(username=account))
            pages[account] = walk(client=client, account=account).pages
        events = {}
        for pk, action in AuditEvent.objects.filter(division__isnull=False).order_by("action", "-id").values_list("pk", "action"):
            events.setdefault(action, pk)
        client = Client()
        client.force_login(User.objects.get(username="minzheng"))
        trail = {action: client.get(f"/audit/{pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans") for action, pk in events.items()}
    return {"pages": pages, "trail": trail}


def _report(found: list[tuple[str, str, str]]) -> str:
    return "\n".join(f"{url}: {kind}: {word}" for url, kind, word in found[:40]) + (
        f"\n… {len(found) - 40} more" if len(found) > 40 else "")


# One worker builds the city once for all of them: make test sends a file's tests to one worker.
@pytest.mark.django_db
class TestDemoCity:
    def test_has_the_size_of_a_real_city(self, demo):
        assert Division.objects.filter(level="city").count() == 1
        assert 5 <= Division.objects.filter(level="district").count() <= 7
        assert 35 <= Division.objects.filter(level="street").count() <= 45
        assert 350 <= Division.objects.filter(level="community").count() <= 450
        assert Division.objects.filter(level="grid").count() > 1000

    def test_codes_follow_the_national_scheme(self, demo):
        for division in Division.objects.exclude(level="grid").select_related("parent"):
            assert division_code_errors(code=division.code, level=division.level, parent=division.parent) == [], division

    def test_every_community_type_occurs_with_fitting_populations(self, demo):
        communities = Division.objects.filter(level="community")
        assert set(communities.values_list("community_type", flat=True)) == {
            "historic", "old_estate", "industrial", "new_estate", "urban_village", "village"}
        villages = communities.filter(community_type="village")
        assert all(1000 <= v.population <= 4500 for v in villages)
        assert all(v.name.endswith("村") for v in villages)
        assert all(c.boundary["type"] == "Polygon" and c.latitude for c in communities)

    def test_totals_add_up_the_tree(self, demo):
        city = Division.objects.get(level="city")
        assert city.population == sum(Division.objects.filter(level="community").values_list("population", flat=True))

    def test_has_operators_charities_and_departments(self, demo):
        assert Organisation.objects.filter(kind="operator").count() >= 40
        assert Organisation.objects.filter(kind="charity", public_fundraising=True).count() >= 7
        assert Organisation.objects.filter(kind="department").exists()

    def test_every_role_has_a_demo_account_that_signs_in(self, demo, client):
        held = set(RoleAssignment.objects.active().values_list("role", flat=True))
        assert held == set(Role.values)
        for username in ("minzheng", "jiedao", "shequ", "yunying", "cishan", "jijin", "jumin"):
            response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 302, username
            assert client.get("/").status_code == 200
            client.logout()

    def test_the_demo_neighbours_are_next_to_each_other(self, demo):
        shequ = RoleAssignment.objects.get(user__username="shequ").division
        shequ2 = RoleAssignment.objects.get(user__username="shequ2").division
        assert shequ.parent == shequ2.parent and shequ != shequ2

    def test_the_command_does_not_build_twice(self, demo, capsys):
        call_command("demo", "--if-empty")
        assert "not built again" in capsys.readouterr().out
        assert Division.objects.filter(level="city").count() == 1

    def test_space_for_service_has_operators_agreements_reports_and_a_handful_of_breaches(self, demo):
        from operations.models import Agreement, AgreementService, Finding, OperatingReport

        street = Division.objects.get(name="中山街道")
        assert Organisation.objects.filter(kind="operator").count() >= 250
        in_force = Agreement.objects.filter(status="active")
        assert in_force.count() >= 100
        assert set(in_force.values_list("mode", flat=True)) == {"self_run", "co_operated", "entrusted"}
        assert set(AgreementService.objects.values_list("tier", flat=True)) == {"free", "low_cost", "market"}
        assert OperatingReport.objects.filter(agreement__division__path__startswith=street.path).count() >= 40
        assert OperatingReport.objects.filter(fund_income__isnull=False).exists()
        breaches = Finding.objects.filter(resolved_at__isnull=True, severity="breach")
        assert 3 <= breaches.filter(agreement__division__path__startswith=street.path).count() <= 10
        assert breaches.count() <= 20
        assert Agreement.objects.filter(operator_renovation_cost=600000, operator_running_cost=200000).exists()

    def test_no_link_answers_403_or_404_to_the_person_who_sees_it(self, walks):
        """No page an account is shown a link to answers "forbidden" or "not found" to that person, nor fails."""
        refused = [f"{page.status} {account} {page.url} (linked from {page.found_on})"
                   for account, pages in walks["pages"].items() for page in pages
                   if page.status in (403, 404) or page.status >= 500]
        assert refused == []

    @pytest.mark.parametrize("account", DEMO_ACCOUNTS)
    def test_every_page_an_account_reaches_reads_in_chinese(self, walks, account):
        html = [p for p in walks["pages"][account] if p.status == 200 and p.content_type.startswith("text/html")]
        assert len(html) >= 8, f"{account} reached only {len(html)} pages"
        # The account's own sign-in name is theirs to read (我的个人信息 lists it), not an internal code.
        found = [(p.url, kind, word) for p in html for kind, word in problems_in(p.text, allowed={account})]
        assert found == [], _report(found)

    def test_every_kind_of_audit_event_reads_in_chinese(self, walks):
        trail = walks["trail"]
        assert len(trail) > 40, "the demo records most kinds of action"
        found = []
        for action, response in trail.items():
            assert response.status_code == 200, action
            text, _links = visible_text(response.content.decode())
            found += [(action, kind, word) for kind, word in problems_in(text)]
        assert found == [], _report(found)

    def test_rooms_in_use_are_not_idle_and_places_without_bookings_say_so(self, demo):
        """梅阳社区's rooms in use are booked above the idle share over the stated period; a community that
        records no bookings has no rate (无预约记录) rather than 0 %, and none of its rooms is idle."""
        from accounts.models import User
        from scheduling.selectors import idle_rooms, idle_share, usage_period, utilisation

        meiyang = Division.objects.get(name="梅阳社区")
        period = usage_period(division=meiyang)
        rooms = utilisation(user=User.objects.get(username="jiedao"), within=meiyang, period=period)
        threshold = idle_share(meiyang)
        in_use = [usage for usage in rooms if usage.booked_hours > 0 and not usage.idle(threshold)]
        assert len(in_use) >= len(rooms) // 2, [(u.label, u.rate) for u in rooms]
        city = Division.objects.get(level="city")
        minzheng = User.objects.get(username="minzheng")
        communities = utilisation(user=minzheng, within=city, period=period, group="community")
        silent = [usage for usage in communities if not usage.recorded]
        assert silent and all(usage.rate is None for usage in silent)
        silent_ids = {usage.key for usage in silent}
        idle_paths = Division.objects.filter(pk__in=silent_ids).values_list("path", flat=True)
        idle = idle_rooms(user=minzheng, within=city, period=period)
        idle_places = set(Room.objects.filter(pk__in=[u.key for u in idle]).values_list("site__division__path", flat=True))
        assert not idle_places & set(idle_paths)
