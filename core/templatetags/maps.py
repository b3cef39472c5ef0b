"""Every map of Linli reads its background from one place: ``{% map_head %}`` in a page's head and
``{% map_scripts %}`` before its own script put Leaflet, the deployment's background
(``settings.MAP_BACKGROUND``: tile layers, whose map it is, its approval number) and
``core/maps.js`` on the page; the page's script then makes its map with ``LinliMap.create``."""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.translation import gettext

register = template.Library()


def map_config() -> dict:
    """What ``core/maps.js`` draws every map on, with the words it shows in the page's language."""
    background = settings.MAP_BACKGROUND
    return {**background, "review_label": gettext("Map approval number")}


@register.simple_tag
def map_head():
    return format_html('<link rel="stylesheet" href="{}">', static("vendor/leaflet/leaflet.css"))


@register.simple_tag
def map_scripts():
    return format_html('<script src="{}"></script>{}<script src="{}"></script>', static("vendor/leaflet/leaflet.js"),
                       json_script(map_config(), "linli-map-config"), static("core/maps.js"))
