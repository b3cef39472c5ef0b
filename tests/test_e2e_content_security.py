"""In Chromium, under the Content-Security-Policy every page carries: what the inline scripts and
on…= attributes did before still works from Linli's own files (core/linli.js and each page's
script), the API documentation renders, and no page breaks a rule of the policy (each violation
the browser reports fails the test)."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot, sign_in

pytestmark = [requires_chromium, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""


def watched(page) -> list[str]:
    """Every violation of the policy the page's documents report, and the console's complaints."""
    found: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None)
    return found


def violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__violations || []"), *console]


def test_the_api_documentation_and_the_sign_up_search_work_under_the_policy(live_server, world):
    with browser_page() as page:
        console = watched(page)
        page.goto(f"{live_server.url}/api/docs")
        page.wait_for_selector(".swagger-ui .opblock", timeout=30000)
        assert page.locator(".swagger-ui .opblock").count() > 20
        screenshot(page, "csp-api-docs")
        assert violations(page, console) == []

        page.goto(f"{live_server.url}/accounts/sign-up/")
        page.locator("#community-search").type("一街二社", delay=30)
        option = page.locator("#community-options [data-community-code]").first
        option.wait_for(timeout=15000)
        code = option.get_attribute("data-community-code")
        option.click()
        assert page.input_value("input[name='community_code']") == code
        assert page.input_value("#community-search") == world.node("甲市一区一街二社").name
        assert violations(page, console) == []


def test_a_supervisor_s_pages_run_their_scripts_and_filters_send_themselves(live_server, world):
    with browser_page() as page:
        console = watched(page)
        sign_in(page, live_server.url, "city_supervisor_a")
        page.goto(f"{live_server.url}/governance/")
        year = page.locator("select#year")
        other = year.locator("option").nth(1).get_attribute("value")
        with page.expect_navigation():
            year.select_option(other)  # data-autosubmit: the form goes without a button
        assert f"year={other}" in page.url
        page.goto(f"{live_server.url}/scheduling/utilisation/")
        page.wait_for_load_state("load")
        if page.locator("#usage-chart canvas").count():
            assert page.evaluate("!!Chart.getChart(document.querySelector('#usage-chart canvas'))")
        assert violations(page, console) == []


def test_a_confirmation_is_asked_before_a_role_is_revoked(live_server, world):
    from accounts.models import RoleAssignment
    from tests.world import make_user

    newcomer = make_user("h1_xinren", role="community_worker", division=world.node("甲市一区一街二社"))
    assignment = RoleAssignment.objects.get(user=newcomer)
    with browser_page() as page:
        console = watched(page)
        sign_in(page, live_server.url, "street_admin_a", next_path="/accounts/people/")
        button = page.locator(f"form[action='/accounts/people/roles/{assignment.pk}/revoke/'] button[data-confirm]")
        questions = []
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
        button.click()
        page.wait_for_timeout(500)
        assert questions == [button.get_attribute("data-confirm")]
        assignment.refresh_from_db()
        assert assignment.revoked_at is None  # dismissed: nothing sent
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            button.click()
        assignment.refresh_from_db()
        assert assignment.revoked_at is not None
        assert violations(page, console) == []


def test_a_resident_s_feedback_form_takes_the_phone_s_position(live_server, world):
    with browser_page(phone=True) as page:
        console = watched(page)
        sign_in(page, live_server.url, "resident_a", next_path="/neighbourhood/feedback/")
        page.context.grant_permissions(["geolocation"], origin=live_server.url)
        page.context.set_geolocation({"latitude": 24.479833, "longitude": 118.089425})
        page.click("#locate")
        page.wait_for_function("document.getElementById('located').textContent === '✓'")
        assert page.input_value("#id_latitude") == "24.479833"
        assert page.input_value("#id_longitude") == "118.089425"
        assert violations(page, console) == []
