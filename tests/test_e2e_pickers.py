"""End to end on a phone: a street administrator grants a colleague a role, picking the person and the
community by typing part of their names and choosing with the keyboard; nobody types a code."""

import pytest

from tests.browser import browser_page, requires_chromium, screenshot, sign_in
from tests.world import make_user


def settled(page, listbox: str) -> None:
    """Wait until the list shows the matches of what was typed last (no search on its way)."""
    page.wait_for_selector(f"{listbox}:not([hidden]):not([aria-busy]) [role=option]")


@requires_chromium
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_role_is_granted_with_pickers_on_a_phone(live_server, world):
    from accounts.models import RoleAssignment

    newcomer = make_user("xinren", role="resident", division=world.node("甲市一区一街二社"))
    newcomer.display_name = "新人小王"
    newcomer.save(update_fields=["display_name"])
    with browser_page(phone=True) as page:
        sign_in(page, live_server.url, "street_admin_a", next_path="/accounts/people/")
        person = page.locator("#id_grant-person")
        person.click()
        person.type("小王", delay=30)
        settled(page, "#id_grant-person-list")
        assert page.get_attribute("#id_grant-person", "aria-expanded") == "true"
        page.keyboard.press("ArrowDown")
        assert page.get_attribute("#id_grant-person", "aria-activedescendant") == "id_grant-person-list-0"
        page.keyboard.press("Enter")
        assert page.input_value("input[name='grant-person']") == str(newcomer.pk)
        assert person.input_value() == "新人小王"

        page.select_option("#id_grant-role", "community_worker")
        place = page.locator("#id_grant-division_code")
        place.click()
        place.type("一街二社", delay=30)
        settled(page, "#id_grant-division_code-list")
        assert "甲市一区 › 甲市一区一街 › 甲市一区一街二社" in page.inner_text("#id_grant-division_code-list")
        assert "甲市一区二街" not in page.inner_text("#id_grant-division_code-list")
        page.keyboard.press("Escape")
        assert page.get_attribute("#id_grant-division_code", "aria-expanded") == "false"
        page.keyboard.press("ArrowDown")  # opens the list again
        settled(page, "#id_grant-division_code-list")
        page.keyboard.press("ArrowDown")
        screenshot(page, "picker-grant-phone")
        page.keyboard.press("Enter")
        assert page.input_value("input[name='grant-division_code']") == world.node("甲市一区一街二社").code
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px phone"
        page.locator("form", has=page.locator("#id_grant-person")).locator("button").click()
        page.wait_for_load_state("networkidle")
        assert "角色已授予" in page.content()
    assert RoleAssignment.objects.filter(user=newcomer, role="community_worker", division=world.node("甲市一区一街二社")).exists()
