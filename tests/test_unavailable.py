"""A Redis that cannot be reached (the cache at a port nothing listens on: no mock) answers a
signed-in page with the 503 page in Chinese and the API with its error shape, never a 500 or a
traceback; with Redis back, the same session works again. Sessions are those of production,
cached in Redis and kept in the database. The same with gunicorn, PostgreSQL and Redis really going
away and coming back: tests/test_production_mode.py."""

import pytest
from django.test import Client
from django.utils import translation

from core.views import UNAVAILABLE_MESSAGE
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def zh(message) -> str:
    with translation.override("zh-hans"):
        return str(message)


def test_a_signed_in_page_and_the_api_answer_503_while_redis_is_unreachable_and_work_again_after(world, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    working = settings.CACHES
    browser = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="zh-hans")
    browser.force_login(world.users["community_worker"])
    assert browser.get("/").status_code == 200

    settings.CACHES = {"default": {"BACKEND": "core.redis_cache.KeptClientRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{free_port()}/11",
                                   "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    page = browser.get("/")
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    text = page.content.decode()
    assert zh(UNAVAILABLE_MESSAGE) in text and '<html lang="zh-hans">' in text and "Traceback" not in text
    answer = browser.get("/api/v1/divisions")
    assert answer.status_code == 503
    assert answer.json() == {"code": "unavailable", "message": zh(UNAVAILABLE_MESSAGE), "fields": {}}
    fragment = browser.get("/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 503 and "<html" not in fragment.content.decode()

    settings.CACHES = working
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/divisions").status_code == 200
