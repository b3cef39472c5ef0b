"""The Redis cache keeps one client object per connection pool (core.redis_cache) and still behaves as
Django's: values round-trip and many threads share it (a Redis restart: tests/test_faults_production.py)."""

import threading
import uuid

import pytest
from django.core.cache import caches

from tests.servers import local_redis_url

pytestmark = pytest.mark.skipif(local_redis_url() is None, reason="needs Redis on 127.0.0.1:6379 (as on CI)")


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "core.redis_cache.KeptClientRedisCache", "LOCATION": local_redis_url(),
                                   "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    return caches["default"]  # its keys expire: nothing to clear (clear() would empty the shared database)


def test_one_client_object_serves_every_command(redis_cache):
    first = redis_cache._cache.get_client("a")
    redis_cache.set("a", {"活动": [1, 2]}, 60)
    assert redis_cache.get("a") == {"活动": [1, 2]}
    assert redis_cache.get_many(["a", "b"]) == {"a": {"活动": [1, 2]}}
    assert redis_cache._cache.get_client("b") is first
    assert redis_cache._cache.get_client("c", write=True) is first  # one server: reads and writes share its pool


def test_threads_share_it_without_mixing_answers(redis_cache):
    for n in range(20):
        redis_cache.set(f"k{n}", n, 60)
    wrong = []

    def read(n):
        for _ in range(50):
            if redis_cache.get(f"k{n}") != n:
                wrong.append(n)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
