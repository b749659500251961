"""A known and an unknown User ID must not be told apart by the answer or its timing."""

import re
import statistics
import time

import pytest
from django.conf import global_settings
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TRIES = 200
# Under the production hasher one sign-in costs a few hundred milliseconds of hashing: fewer tries
# suffice, and a gap is measured against that cost.
SIGN_IN_TRIES = 25


def median_seconds(client, url, data, tries=TRIES) -> float:
    durations = []
    for _ in range(tries):
        started = time.perf_counter()
        client.post(url, data)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def paired_medians(client, url, first, second, tries) -> tuple[float, float]:
    """Median seconds of each of two requests, taking turns, so that a change of load hits both alike."""
    durations = ([], [])
    for _ in range(tries):
        for data, values in zip((first, second), durations, strict=True):
            started = time.perf_counter()
            client.post(url, data)
            values.append(time.perf_counter() - started)
    return statistics.median(durations[0]), statistics.median(durations[1])


def normalized(response, user_id: str) -> str:
    """The page without what differs on every request (CSRF token) and the echoed User ID."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return body.replace(user_id, "USER-ID")


@pytest.fixture
def no_lockout(settings):
    settings.AXES_ENABLED = False


@pytest.fixture
def production_hasher(settings, contact):
    """The suite hashes with MD5 for speed; an unknown User ID must cost the production hasher's time."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    contact.set_password("correct-horse-battery")
    contact.save(update_fields=["password"])


def test_sign_in_takes_as_long_for_an_unknown_user_id(client, contact, account, no_lockout, production_hasher):
    url = reverse("accounts:login")
    known = client.post(url, {"username": contact.username, "password": "wrong"})
    unknown = client.post(url, {"username": "nobody-at-all", "password": "wrong"})
    assert known.status_code == unknown.status_code == 200
    assert normalized(known, contact.username) == normalized(unknown, "nobody-at-all")
    known_seconds, unknown_seconds = paired_medians(
        client,
        url,
        {"username": contact.username, "password": "wrong"},
        {"username": "nobody-at-all", "password": "wrong"},
        SIGN_IN_TRIES,
    )
    assert known_seconds > 0.05, "not the production hasher"
    # Without the dummy hash an unknown User ID would answer in a fraction of the time (a gap near 100 %);
    # a quarter leaves room for a busy machine.
    assert abs(known_seconds - unknown_seconds) < 0.25 * known_seconds, (known_seconds, unknown_seconds)


def test_password_reset_takes_as_long_for_an_unknown_user_id(client, contact, account):
    url = reverse("accounts:password_reset")
    known = client.post(url, {"user_id": contact.username})
    unknown = client.post(url, {"user_id": "nobody-at-all"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    gap = abs(
        median_seconds(client, url, {"user_id": contact.username})
        - median_seconds(client, url, {"user_id": "nobody-at-all"})
    )
    assert gap < 0.005


def test_a_billing_contact_invitation_takes_as_long_whatever_the_user_id(contact_client, account, settings):
    settings.CONTACT_EMAIL_LIMIT_PER_USER = 1000  # the limit is tested on its own; this measures every branch
    from accounts.tests.factories import CompanyAccountFactory, StaffFactory, UserFactory

    CompanyAccountFactory(billing_contact=UserFactory(username="nora-billing", email="nora@customer.example"))
    StaffFactory(username="max-staff", email="max@portal.example")
    url = reverse("accounts:billing_contact")
    person = {"first_name": "Nora", "last_name": "New"}
    kinds = {
        "unused": lambda n: {**person, "user_id": f"nobody-{n}", "email": f"nobody-{n}@customer.example"},
        "existing customer": lambda n: {**person, "user_id": "nora-billing", "email": "nora@customer.example"},
        "staff": lambda n: {**person, "user_id": "max-staff", "email": "max@portal.example"},
        "someone else's": lambda n: {**person, "user_id": "nora-billing", "email": "other@customer.example"},
    }
    durations = {kind: [] for kind in kinds}
    # Taking turns spreads any change of load on the machine over every kind alike.
    for n in range(40):
        for kind, data in kinds.items():
            started = time.perf_counter()
            response = contact_client.post(url, {**data(n), "step": "confirm"})
            durations[kind].append(time.perf_counter() - started)
            assert (response.status_code, response.url) == (302, reverse("accounts:billing"))
    medians = {kind: statistics.median(values) for kind, values in durations.items()}
    assert max(medians.values()) - min(medians.values()) < 0.005, medians
