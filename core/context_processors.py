"""Template context every page gets: the menu for the user's roles and site settings."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .navigation import nav_for


def navigation(request):
    items = []
    for item in nav_for(getattr(request, "user", None)):
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "icon": item.icon,
                      "active": request.path.startswith(url) and url != "/"})
    return {
        "nav_items": items,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
