"""A known and an unknown User ID must not be told apart by the answer or its timing."""

import re
import statistics
import time

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TRIES = 200


def median_seconds(client, url, data) -> float:
    durations = []
    for _ in range(TRIES):
        started = time.perf_counter()
        client.post(url, data)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def normalized(response, user_id: str) -> str:
    """The page without what differs on every request (CSRF token) and the echoed User ID."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return body.replace(user_id, "USER-ID")


@pytest.fixture
def no_lockout(settings):
    settings.AXES_ENABLED = False


def test_sign_in_takes_as_long_for_an_unknown_user_id(client, contact, account, no_lockout):
    url = reverse("accounts:login")
    known = client.post(url, {"username": contact.username, "password": "wrong"})
    unknown = client.post(url, {"username": "nobody-at-all", "password": "wrong"})
    assert known.status_code == unknown.status_code == 200
    assert normalized(known, contact.username) == normalized(unknown, "nobody-at-all")
    gap = abs(median_seconds(client, url, {"username": contact.username, "password": "wrong"})
              - median_seconds(client, url, {"username": "nobody-at-all", "password": "wrong"}))
    assert gap < 0.005


def test_password_reset_takes_as_long_for_an_unknown_user_id(client, contact, account):
    url = reverse("accounts:password_reset")
    known = client.post(url, {"user_id": contact.username})
    unknown = client.post(url, {"user_id": "nobody-at-all"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    gap = abs(median_seconds(client, url, {"user_id": contact.username}) - median_seconds(client, url, {"user_id": "nobody-at-all"}))
    assert gap < 0.005
