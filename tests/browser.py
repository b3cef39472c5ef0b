"""Headless Chromium for end-to-end tests: Debian's browser, driven by Playwright.

Tests skip with a message where /usr/bin/chromium is missing; CI installs it, so there they
always run. Screenshots go to test-artifacts/ for a person to look at.
"""

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

requires_chromium = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
    reason="Debian's chromium is not installed here (apt-get install -y chromium); CI installs it",
)


@contextmanager
def browser_page(*, phone: bool = False, locale: str = "zh-CN"):
    """A page in a browser set up like a user's here: their language, and the city's clock."""
    from django.conf import settings
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                                             args=[*ARGS, f"--lang={locale}"])
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 900}
        context = browser.new_context(viewport=viewport, locale=locale, timezone_id=settings.TIME_ZONE, is_mobile=phone,
                                      has_touch=phone)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
            # Queries made inside Playwright's context run on a connection of their own; close it,
            # or it would keep the test database from being dropped at the end of the run.
            connections.close_all()


def sign_in(page, base: str, username: str, *, next_path: str = "/") -> None:
    """Sign in on the login page as a user of the test world, landing on ``next_path`` (asked for, so a
    resident, who would land on My neighbourhood, lands there too)."""
    from tests.world import PASSWORD

    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}{next_path}")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    # The whole page in the window first, so no chart redraws for a resize while it is taken,
    # then a second for charts to grow into place (Chart.js's default animation).
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": max(viewport["height"],
                                                                       page.evaluate("document.documentElement.scrollHeight"))})
    page.wait_for_timeout(1100)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path
