"""The map background: read from the environment once (refusing what cannot work, loudly), and
carried by every page with a map from one place (``core.templatetags.maps``, ``core/maps.js``)."""

import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import map_background
from tests.test_settings import run_manage

KEY = "0123456789abcdef0123456789abcdef"
TIANDITU = {"MAP_TILES": "tianditu", "TIANDITU_KEY": KEY, "MAP_REVIEW_NUMBER": "GS(2024)0568号"}
VARIABLES = ("MAP_TILES", "MAP_TILE_URL", "MAP_TILE_ATTRIBUTION", "MAP_TILE_SUBDOMAINS", "TIANDITU_KEY", "MAP_REVIEW_NUMBER",
             "MAP_MAX_ZOOM")


@pytest.fixture
def environ(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return map_background()

    return set_


def test_the_plain_background_is_the_default_and_fetches_nothing(environ):
    assert environ() == {"layers": [], "attribution": "", "review_number": "", "max_zoom": 18}


def test_tianditu_is_its_vector_map_and_annotation_credited_to_it_with_its_approval_number(environ):
    background = environ(**TIANDITU)
    urls = [layer["url"] for layer in background["layers"]]
    assert [re.search(r"tianditu\.gov\.cn/(\w+)/wmts", url).group(1) for url in urls] == ["vec_w", "cva_w"]
    assert all(f"tk={KEY}" in url and "{z}" in url and "{x}" in url and "{y}" in url for url in urls)
    assert all(layer["subdomains"] == "01234567" for layer in background["layers"])
    assert background["attribution"] == "天地图" and background["review_number"] == "GS(2024)0568号"


def test_any_xyz_server_with_its_attribution(environ):
    background = environ(MAP_TILE_URL="https://{s}.tile.example.org/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="© 示例地图")
    assert background["layers"] == [{"url": "https://{s}.tile.example.org/{z}/{x}/{y}.png", "subdomains": "abc"}]
    assert background["attribution"] == "© 示例地图"


@pytest.mark.parametrize(("values", "message"), [
    ({"MAP_TILES": "google"}, "MAP_TILES must be one of none, custom, tianditu"),
    ({"MAP_TILES": "tianditu", "MAP_REVIEW_NUMBER": "GS(2024)0568号"}, "needs TIANDITU_KEY"),
    ({**TIANDITU, "TIANDITU_KEY": "not-a-key"}, "needs TIANDITU_KEY"),
    ({"MAP_TILES": "tianditu", "TIANDITU_KEY": KEY}, "needs MAP_REVIEW_NUMBER"),
    ({**TIANDITU, "MAP_REVIEW_NUMBER": "approved"}, "MAP_REVIEW_NUMBER must be a map approval number"),
    ({**TIANDITU, "MAP_TILE_URL": "https://tile.example.org/{z}/{x}/{y}.png"}, "remove one of them"),
    ({"MAP_TILE_URL": "https://tile.example.org/tiles.png", "MAP_TILE_ATTRIBUTION": "x"}, "with {z}, {x} and {y}"),
    ({"MAP_TILE_URL": "ftp://tile.example.org/{z}/{x}/{y}.png", "MAP_TILE_ATTRIBUTION": "x"}, "with {z}, {x} and {y}"),
    ({"MAP_TILE_URL": "https://tile.example.org/{z}/{x}/{y}.png"}, "MAP_TILE_ATTRIBUTION must name whose map"),
    ({"MAP_TILES": "custom"}, "with {z}, {x} and {y}"),
    ({"MAP_TILES": "none", "MAP_TILE_URL": "https://tile.example.org/{z}/{x}/{y}.png"}, "remove one of them"),
    ({"MAP_MAX_ZOOM": "30"}, "MAP_MAX_ZOOM must be between 1 and 22"),
    ({"MAP_MAX_ZOOM": "deep"}, "MAP_MAX_ZOOM must be an integer"),
])
def test_a_background_that_cannot_work_is_refused_with_the_reason(environ, values, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        environ(**values)


def test_the_server_refuses_to_start_with_a_bad_map_background():
    result = run_manage("check", MAP_TILES="tianditu", TIANDITU_KEY=KEY)
    assert result.returncode != 0 and "needs MAP_REVIEW_NUMBER" in result.stderr


def page_config(html: str) -> dict:
    found = re.search(r'<script id="linli-map-config" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries no map background"
    assert "core/maps.js" in html and "data-tiles" not in html
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_every_map_page_carries_the_one_background(client, world, settings, monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in TIANDITU.items():
        monkeypatch.setenv(name, value)
    settings.MAP_BACKGROUND = map_background()
    client.force_login(world.users["street_admin"])
    street = world.node("甲市一区一街")
    for url in (f"/divisions/{street.code}/", f"/registry/{street.code}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        config = page_config(response.content.decode())
        assert config["layers"] == settings.MAP_BACKGROUND["layers"] and config["attribution"] == "天地图"
        assert config["review_number"] == "GS(2024)0568号" and config["review_label"] == "审图号"
    settings.MAP_BACKGROUND = {"layers": [], "attribution": "", "review_number": "", "max_zoom": 18}
    assert page_config(client.get(f"/divisions/{street.code}/").content.decode())["layers"] == []
