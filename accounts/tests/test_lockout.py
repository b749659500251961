from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt(client, user_id, password="wrong", address="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": user_id, "password": password}, REMOTE_ADDR=address)


def test_ten_failures_lock_the_user_id_from_any_address(client, contact, account):
    for number in range(10):
        attempt(client, contact.username.upper() if number % 2 else contact.username, address=f"10.0.0.{number}")
    response = attempt(client, contact.username, "correct-horse-battery", address="10.9.9.9")
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


def test_ten_failures_lock_the_client_address_for_any_user_id(client, contact, account):
    for number in range(10):
        attempt(client, f"guess-{number}")
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 429
    assert attempt(client, contact.username, "correct-horse-battery", address="10.0.0.2").status_code == 302


def test_the_lock_ends_after_the_cool_off(client, contact, account):
    for _ in range(10):
        attempt(client, contact.username)
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 429
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 302


def test_nine_failures_do_not_lock(client, contact, account):
    for _ in range(9):
        attempt(client, contact.username)
    assert attempt(client, contact.username, "correct-horse-battery").status_code == 302
