"""Django's Redis cache with one client object per connection pool.

Django's ``RedisCacheClient`` builds a ``redis.Redis`` object for every command, and redis-py fills a
table of about 170 response callbacks each time it builds one: on the busiest requests (a session
read, a kept list answer, an API token kept between calls) that cost as much as the round trip to
Redis itself. A ``redis.Redis`` object is safe to share between threads (each command takes a
connection from the pool and gives it back), so one per pool is kept and reused. Everything else is
Django's: the settings, the serializer, the pools, the read and write servers.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class KeptClientRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache``, reusing its ``redis.Redis`` objects."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
