"""The sessions' cache in Redis, which a request never depends on: unreachable, a read is a miss and a write is skipped.

Sessions use Django's `cached_db` backend: every session is written to PostgreSQL and to this cache, and
read from the cache first. While Redis is down or hangs, each read falls back to PostgreSQL after the
socket timeout, and nothing is lost.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class RedisCacheOrMiss(RedisCache):
    def _unreachable(self, operation: str, error: Exception) -> None:
        logger.warning("Redis cache unreachable on %s (%s): using the database", operation, type(error).__name__)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE as error:
            self._unreachable("get", error)
            return default

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as error:
            self._unreachable("set", error)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE as error:
            self._unreachable("delete", error)
            return False

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE as error:
            self._unreachable("has_key", error)
            return False
