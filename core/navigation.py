"""The navigation bar, the home dashboard and where a person lands, assembled from what each module registers.

A module adds a menu entry with ``nav_item(...)``, a dashboard card with ``dashboard_card(...)`` and
a landing page with ``landing_page(...)`` in its ``AppConfig.ready()``; each says for whom it shows,
so the menu, the dashboard and the page after signing in follow the user's roles without any module
knowing the others.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

# Menus that gather related entries, so the bar stays one line however many modules there are.
# An entry names its group; a group with a single entry for the user shows as that entry.
NAV_GROUPS = {
    "places": (_("Places and rooms"), "houses"),
    "supervision": (_("Supervision"), "speedometer2"),
    "services": (_("Services and funds"), "people"),
    "admin": (_("Administration"), "sliders"),
}


@dataclass(frozen=True)
class NavItem:
    label: Any
    url_name: str
    visible: Callable[[Any], bool]
    order: int = 100
    icon: str = ""
    group: str = ""


@dataclass(frozen=True)
class DashboardCard:
    template: str
    # Returns the card's context for this user, or None when the card does not apply to them.
    context: Callable[[Any], dict | None]
    order: int = 100
    wide: bool = False


@dataclass(frozen=True)
class LandingPage:
    url_name: str
    applies: Callable[[Any], bool]


NAV_ITEMS: list[NavItem] = []
DASHBOARD_CARDS: list[DashboardCard] = []
LANDING_PAGES: list[LandingPage] = []


def nav_item(label, url_name: str, *, visible: Callable[[Any], bool], order: int = 100, icon: str = "", group: str = "") -> None:
    if group and group not in NAV_GROUPS:
        raise ValueError(f"Unknown menu group {group!r}: one of {', '.join(NAV_GROUPS)}")
    if not any(item.url_name == url_name for item in NAV_ITEMS):
        NAV_ITEMS.append(NavItem(label, url_name, visible, order, icon, group))
        NAV_ITEMS.sort(key=lambda item: item.order)


def dashboard_card(template: str, *, context: Callable[[Any], dict | None], order: int = 100, wide: bool = False) -> None:
    if not any(card.template == template for card in DASHBOARD_CARDS):
        DASHBOARD_CARDS.append(DashboardCard(template, context, order, wide))
        DASHBOARD_CARDS.sort(key=lambda card: card.order)


def nav_for(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAV_ITEMS if item.visible(user)]


def cards_for(user) -> list[tuple[DashboardCard, dict]]:
    cards = []
    for card in DASHBOARD_CARDS:
        context = card.context(user)
        if context is not None:
            cards.append((card, context))
    return cards


def landing_page(url_name: str, *, applies: Callable[[Any], bool]) -> None:
    """Where ``applies(user)`` people land after signing in (instead of the dashboard)."""
    if not any(page.url_name == url_name for page in LANDING_PAGES):
        LANDING_PAGES.append(LandingPage(url_name, applies))


def landing_for(user) -> str | None:
    """The name of the page ``user`` lands on after signing in; None for the dashboard."""
    return next((page.url_name for page in LANDING_PAGES if page.applies(user)), None)
