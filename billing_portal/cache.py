"""The sessions' cache in Redis, which a request never depends on: unreachable, a read is a miss and a write is skipped.

Sessions use Django's `cached_db` backend: every session is written to PostgreSQL and to this cache, and
read from the cache first. While Redis is down or hangs, reads fall back to PostgreSQL and nothing is
lost: after one failure (at most the socket timeout) a process leaves Redis alone for RETRY_AFTER
seconds, so that a hung Redis does not cost every request a timeout.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER = 5.0


class OneClientPerServer(RedisCacheClient):
    """Django's Redis cache client with one `redis.Redis` per server, made on first use and kept (per cache
    instance: Django keeps one per thread).

    Django's makes a new one for every operation (about 60 µs each, building its table of reply handlers),
    and every signed-in request makes two: its session's read and its write. A `redis.Redis` holds no
    connection of its own; its pool does, and in a forked process it drops the inherited connections and
    opens new ones as needed, so one client serves every operation.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # pool -> its client; the pool is compared by identity and kept alive here

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCacheOrMiss(RedisCache):
    unreachable_until = 0.0  # per process: monotonic time before which Redis is not tried

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = OneClientPerServer

    def _or_miss(self, operation, miss, *args):
        if time.monotonic() < RedisCacheOrMiss.unreachable_until:
            return miss
        try:
            return getattr(super(), operation)(*args)
        except UNREACHABLE as error:
            RedisCacheOrMiss.unreachable_until = time.monotonic() + RETRY_AFTER
            logger.warning("Redis cache unreachable on %s (%s): using the database", operation, type(error).__name__)
            return miss

    def get(self, key, default=None, version=None):
        return self._or_miss("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._or_miss("set", None, key, value, timeout, version)

    def delete(self, key, version=None):
        return self._or_miss("delete", False, key, version)

    def has_key(self, key, version=None):
        return self._or_miss("has_key", False, key, version)
