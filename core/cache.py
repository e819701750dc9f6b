"""Django's Redis cache with one client object per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` around the pool on
every cache call; constructing one copies redis-py's ~170 response callbacks, which cost
more than the round trip itself on the hot paths (a gate scan makes two cache calls: the
rate limit and the pass nonce). A `redis.Redis` is safe to share between threads (each
command borrows a connection from the pool), so one per pool is kept and reused.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PortalRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache`, reusing its client objects."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
