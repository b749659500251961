"""Paying an order by SEPA direct debit (accounts in the SEPA zone) or ACH (US accounts) on the payment page."""

import pytest
from django.urls import reverse

from accounts.audit import AuditAction
from accounts.models import AuditEntry, PaymentMethod, SepaMandate
from quotes.models import ServiceOrder

from .factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

SEPA = {
    "payment_method": "sepa_debit",
    "sepa_account_holder": "Kunde GmbH",
    "sepa_iban": "DE02 1203 0000 0000 2020 51",
    "sepa_mandate_accepted": "on",
}


def form_data(**overrides):
    data = {
        "admin-admin_name": "Pat Admin",
        "admin-admin_email": "pat@kunde.example",
        "address-address_line1": "Hauptstraße 5",
        "address-postal_code": "80331",
        "address-city": "München",
        "save_as": "default",
    }
    return {**data, **overrides}


@pytest.fixture
def german(account):
    account.country, account.language, account.currency = "DE", "de", "EUR"
    account.save()
    return account


def _checkout(client, account, data):
    quote = SubmittedQuoteFactory(account=account)
    return client.post(reverse("quotes:checkout", kwargs={"pk": quote.pk}), data)


def test_it_records_the_mandate_and_the_order_names_it(contact_client, contact, german):
    response = _checkout(contact_client, german, form_data(**SEPA))
    assert response.status_code == 302, response.content.decode()
    german.refresh_from_db()
    order = ServiceOrder.objects.get()
    assert german.payment_method == PaymentMethod.SEPA_DEBIT
    assert order.payment_method == PaymentMethod.SEPA_DEBIT
    assert f"IBAN DE02…2051 under mandate {german.sepa_mandate.reference}" in order.payment_display
    assert AuditEntry.objects.filter(action=AuditAction.SEPA_MANDATE_SIGN, actor=contact).count() == 1


def test_the_mandate_in_force_is_kept_when_no_iban_is_typed(contact_client, german):
    _checkout(contact_client, german, form_data(**SEPA))
    response = _checkout(contact_client, german, form_data(payment_method="sepa_debit"))
    assert response.status_code == 302
    assert SepaMandate.objects.count() == 1


def test_for_this_order_only_the_mandate_is_still_recorded(contact_client, german):
    response = _checkout(contact_client, german, form_data(**SEPA, save_as="order"))
    assert response.status_code == 302
    german.refresh_from_db()
    order = ServiceOrder.objects.get()
    assert german.payment_method == PaymentMethod.WIRE
    assert german.sepa_mandate is not None
    assert german.sepa_mandate.reference in order.payment_display


def test_a_missing_acceptance_is_a_form_error_and_saves_nothing(contact_client, german):
    response = _checkout(contact_client, german, form_data(**{**SEPA, "sepa_mandate_accepted": ""}))
    assert response.status_code == 200
    assert "Accept the mandate to pay by SEPA direct debit." in response.content.decode()
    assert not SepaMandate.objects.exists() and not ServiceOrder.objects.exists()


def test_ach_is_refused_to_a_german_account(contact_client, german):
    response = _checkout(
        contact_client,
        german,
        form_data(
            payment_method="direct_debit",
            bank_account_holder="Kunde GmbH",
            bank_routing_number="021000021",
            bank_account_number="000123456789",
        ),
    )
    assert response.status_code == 200
    assert "not offered for accounts in Germany" in response.content.decode()
    assert not ServiceOrder.objects.exists()


def test_a_us_account_pays_by_ach_and_a_wrong_routing_number_is_refused(contact_client, account):
    ach = {
        "payment_method": "direct_debit",
        "bank_account_holder": "Acme Inc.",
        "bank_account_number": "000123456789",
        "address-address_line1": "1 Main Street",
        "address-postal_code": "10001",
        "address-city": "New York",
    }
    response = _checkout(contact_client, account, form_data(**ach, bank_routing_number="021000022"))
    assert response.status_code == 200
    assert "This routing number does not exist" in response.content.decode()
    response = _checkout(contact_client, account, form_data(**ach, bank_routing_number="021000021"))
    assert response.status_code == 302
    assert ServiceOrder.objects.get().payment_display == "ACH direct debit from the account ending in 6789"
