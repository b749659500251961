import logging
import subprocess

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

CARD_NUMBER = "4111111111111111"
BANK_ACCOUNT = "000123456789"


@pytest.mark.django_db(transaction=True)
def test_a_card_number_entered_is_nowhere_in_the_database_or_the_logs(client, contact, account, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(contact)
    card = {
        "payment_method": "card",
        "card_holder": "Carla",
        "card_number": CARD_NUMBER,
        "card_exp_month": "12",
        "card_exp_year": "2031",
        "card_cvc": "737",
    }
    assert client.post(reverse("accounts:payment_method"), card).status_code == 302
    bank = {
        "payment_method": "direct_debit",
        "bank_account_holder": "Customer Inc.",
        "bank_routing_number": "021000021",
        "bank_account_number": BANK_ACCOUNT,
    }
    assert client.post(reverse("accounts:payment_method"), bank).status_code == 302
    # A rejected form must not leak the number either.
    client.post(reverse("accounts:payment_method"), {**card, "card_exp_year": "1999"})

    db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            db["NAME"],
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "021000021" in dump  # the dump does hold the data that is meant to be stored
    assert CARD_NUMBER not in dump and "4111 1111 1111 1111" not in dump
    assert BANK_ACCOUNT not in dump
    assert CARD_NUMBER not in caplog.text and BANK_ACCOUNT not in caplog.text


@pytest.mark.django_db
def test_sign_in_rotates_the_session_key(client, contact, account):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("accounts:login"), {"username": contact.username, "password": "correct-horse-battery"})
    assert client.session.session_key != before
    assert client.session["_auth_user_id"] == str(contact.pk)


def test_sessions_end_after_30_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_every_page_sends_the_security_headers(contact_client):
    response = contact_client.get(reverse("accounts:billing"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_portal_refuses_a_post_without_csrf_token(contact, account):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(contact)
    response = client.post(reverse("accounts:recipient_add"), {"email": "x@customer.example"})
    assert response.status_code == 403
    assert not account.invoice_recipients.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_billing_contact(contact_client):
    response = contact_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.django_db
def test_the_baseline_and_frame_pages_are_off_unless_enabled(contact_client):
    assert settings.BASELINE_VIEW_ENABLED is False
    assert contact_client.get("/_baseline/").status_code == 404
    assert contact_client.get("/_frame/").status_code == 404
