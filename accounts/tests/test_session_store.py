"""Sessions live in PostgreSQL and are read from a copy in Redis (cached_db): the copy is never needed."""

import socket
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.urls import reverse

from billing_portal.cache import RETRY_AFTER, RedisCacheOrMiss

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _redis_tried_again():
    RedisCacheOrMiss.unreachable_until = 0.0
    yield
    RedisCacheOrMiss.unreachable_until = 0.0


def sign_in(client, contact) -> str:
    response = client.post(
        reverse("accounts:login"),
        {"username": contact.username, "password": "correct-horse-battery"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 302
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def is_signed_in(client, key: str) -> bool:
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    response = client.get(reverse("quotes:list"))
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_session_survives_an_emptied_cache(client, contact, account):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    cache = caches[settings.SESSION_CACHE_ALIAS]
    key = sign_in(client, contact)
    assert cache.get(KEY_PREFIX + key) is not None
    assert Session.objects.filter(session_key=key).exists()

    cache.delete(KEY_PREFIX + key)  # Redis restarted or emptied
    assert is_signed_in(client, key)
    assert cache.get(KEY_PREFIX + key) is not None  # read from PostgreSQL, and cached again


def test_signing_out_ends_the_session_in_the_cache_and_the_database(client, contact, account):
    cache = caches[settings.SESSION_CACHE_ALIAS]
    key = sign_in(client, contact)
    assert is_signed_in(client, key)

    assert client.post(reverse("accounts:logout")).status_code == 302
    assert cache.get(KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    assert not is_signed_in(client, key)  # the old cookie signs nobody in


def _sessions_cache_at(settings, port: int) -> None:
    sessions = {**settings.CACHES["sessions"], "LOCATION": f"redis://127.0.0.1:{port}/0"}
    settings.CACHES = {**settings.CACHES, "sessions": sessions}


@pytest.fixture
def unreachable_redis(settings):
    """The sessions' cache pointed at a port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _sessions_cache_at(settings, port)


@pytest.fixture
def hung_redis(settings):
    """The sessions' cache pointed at a server that takes connections and never answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listener:
        _sessions_cache_at(settings, listener.getsockname()[1])
        yield


def test_the_portal_works_while_redis_is_unreachable(client, contact, account, unreachable_redis):
    key = sign_in(client, contact)
    assert Session.objects.filter(session_key=key).exists()
    assert is_signed_in(client, key)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert not is_signed_in(client, key)


def test_a_hung_redis_costs_one_timeout_not_one_per_request(client, contact, account, hung_redis):
    started = time.monotonic()
    key = sign_in(client, contact)
    for _ in range(5):
        assert is_signed_in(client, key)
    assert time.monotonic() - started < RETRY_AFTER
    # Each of these requests would otherwise wait for the socket timeout up to three times (read, cache, save).
    assert time.monotonic() - started < 1.5, "Redis was asked again after it had hung"


def test_the_session_cache_makes_one_redis_client_for_all_operations(client, contact, account, monkeypatch):
    import redis

    made = []
    original_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    sessions = settings.CACHES[settings.SESSION_CACHE_ALIAS]
    cache = RedisCacheOrMiss(sessions["LOCATION"], {"KEY_PREFIX": "client-test", "OPTIONS": sessions["OPTIONS"]})

    cache.set("key", {"a": 1})
    assert cache.get("key") == {"a": 1}
    cache.delete("key")
    assert cache.get("key") is None
    assert len(made) == 1

    key = sign_in(client, contact)  # a signed-in request reads its session and writes it back
    made.clear()
    assert is_signed_in(client, key)
    assert made == []  # Django's own client made two per request: the read and the write of the session
    assert caches[settings.SESSION_CACHE_ALIAS].get(KEY_PREFIX + key) is not None  # and Redis was used
