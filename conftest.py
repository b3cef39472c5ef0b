"""Fixtures shared by every test: a small two-city world and a user for every role in it.

The world is symmetric so that every node has a sibling: cities 甲市 and 乙市, each with two
districts, each with two streets, each with two communities (each with one grid). Names carry
their position ("甲市一区二街一社"), so a test can tell from a page or a payload whether it
shows anything of a node's neighbour.
"""

import os
import uuid

import pytest
from django.conf import settings
from django.utils import translation

from tests.world import World, build_world


def pytest_configure(config):
    # Tests never send real text messages, and tasks run when the test asks the worker to.
    settings.SMS_BACKEND = "accounts.sms.MemoryBackend"
    # Argon2 is deliberately slow; tests hash dozens of passwords, so they use a fast hasher.
    # tests/test_settings.py checks that the real settings hash with Argon2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture
def api_client(client):
    return client


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language: a request in English earlier in the same worker leaves
    English active in its thread (the locale middleware sets it and nothing resets it)."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    from accounts.sms import MemoryBackend

    MemoryBackend.outbox.clear()
    yield


@pytest.fixture(autouse=True)
def _isolated_cache(settings):
    """Each test gets its own cache namespace, so nothing of one test leaks into another.

    With REDIS_URL set (as in CI) the cache really is Redis, under a key prefix of the test's
    own, so parallel workers never touch each other's keys.
    """
    name = uuid.uuid4().hex
    if settings.REDIS_URL:
        settings.CACHES = {"default": {"BACKEND": "core.redis_cache.KeptClientRedisCache",
                                       "LOCATION": settings.REDIS_URL, "KEY_PREFIX": f"test-{name}"}}
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}}
    yield

