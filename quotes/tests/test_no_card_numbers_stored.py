"""After card and bank numbers are entered through every form, no dump or log holds a full one."""

import logging
import re
import subprocess

import pytest
from django.db import connection
from django.urls import reverse

from accounts.forms import luhn_valid
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CARDS = ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"]
BANK_ACCOUNTS = ["000123456789", "98765432101234"]


def full_card_numbers(text: str) -> set[str]:
    """Every Luhn-valid run of 13 to 19 digits (spaces or dashes allowed between them).

    Hex digests (password hashes, tokens) and e-mail Message-IDs hold long random digit runs
    that are no card numbers; they are left out so that the scan never fails by chance.
    """
    text = re.sub(r"<[^<>@\s]+@[^<>\s]+>", "", re.sub(r"[0-9a-f]{32,}", "", text))
    found = set()
    for match in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", text):
        digits = re.sub(r"\D", "", match.group(0))
        if luhn_valid(digits):
            found.add(digits)
    return found


def test_no_full_card_or_bank_account_number_is_stored_or_logged(client, contact, account, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(contact)
    card = {
        "payment_method": "card",
        "card_holder": "Carla",
        "card_exp_month": "12",
        "card_exp_year": "2031",
        "card_cvc": "737",
    }
    bank = {
        "payment_method": "direct_debit",
        "bank_account_holder": "Customer Inc.",
        "bank_routing_number": "021000021",
    }
    checkout = {
        "admin-admin_name": "Pat",
        "admin-admin_email": "pat@customer.example",
        "address-address_line1": "1 Main St",
        "address-postal_code": "10001",
        "address-city": "New York",
        "save_as": "default",
    }
    for number in CARDS[:2]:
        assert client.post(reverse("accounts:payment_method"), {**card, "card_number": number}).status_code == 302
    client.post(
        reverse("accounts:payment_method"), {**card, "card_number": CARDS[0], "card_exp_year": "1999"}
    )  # refused
    assert (
        client.post(reverse("accounts:payment_method"), {**bank, "bank_account_number": BANK_ACCOUNTS[0]}).status_code
        == 302
    )
    for number in CARDS[2:]:
        quote = SubmittedQuoteFactory(account=account)
        response = client.post(reverse("quotes:checkout", args=[quote.pk]), {**checkout, **card, "card_number": number})
        assert response.status_code == 302
    quote = SubmittedQuoteFactory(account=account)
    response = client.post(
        reverse("quotes:checkout", args=[quote.pk]), {**checkout, **bank, "bank_account_number": BANK_ACCOUNTS[1]}
    )
    assert response.status_code == 302

    db = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "021000021" in dump and "6789" in dump  # what is meant to be stored is there
    assert full_card_numbers(dump) == set()
    assert not any(number in dump for number in BANK_ACCOUNTS)
    assert full_card_numbers(caplog.text) == set()
    assert not any(number in caplog.text for number in BANK_ACCOUNTS)


def test_the_scan_finds_card_numbers_however_written():
    assert full_card_numbers("x 4111 1111 1111 1111 y 5555-5555-5555-4444 z378282246310005.") == {
        "4111111111111111",
        "5555555555554444",
        "378282246310005",
    }
    assert full_card_numbers("4111111111111112 and 1234") == set()


IBANS = ["DE02120300000000202051", "AT611904300234573201", "FR1420041010050500013M02606"]


def test_no_full_iban_is_stored_or_logged(client, contact, account, caplog):
    caplog.set_level(logging.DEBUG)
    account.country, account.language, account.currency = "DE", "de", "EUR"
    account.save()
    client.force_login(contact)
    sepa = {"payment_method": "sepa_debit", "sepa_account_holder": "Kunde GmbH", "sepa_mandate_accepted": "on"}
    checkout = {
        "admin-admin_name": "Pat",
        "admin-admin_email": "pat@customer.example",
        "address-address_line1": "Hauptstraße 1",
        "address-postal_code": "10117",
        "address-city": "Berlin",
        "save_as": "default",
    }
    spaced = " ".join(IBANS[0][i : i + 4] for i in range(0, len(IBANS[0]), 4))
    assert client.post(reverse("accounts:payment_method"), {**sepa, "sepa_iban": spaced}).status_code == 302
    client.post(reverse("accounts:payment_method"), {**sepa, "sepa_iban": IBANS[1], "sepa_bic": "XX"})  # refused
    quote = SubmittedQuoteFactory(account=account, currency="EUR")
    response = client.post(reverse("quotes:checkout", args=[quote.pk]), {**checkout, **sepa, "sepa_iban": IBANS[2]})
    assert response.status_code == 302

    db = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "DE02…2051" in dump and "FR14…2606" in dump  # what is meant to be stored is there
    for iban in IBANS:
        bban = iban[4:]
        assert bban not in dump and bban[:-4] not in dump, iban
        assert iban[4:12] not in caplog.text and bban not in caplog.text, iban
