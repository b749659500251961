"""Every numeric field accepts the ASCII digits 0-9 only: other digits get a form error, never a 500."""

import logging

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.forms import card_brand, luhn_valid
from accounts.models import AuditEntry, CompanyAccount
from quotes.models import ServiceOrder
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

NOT_ASCII = "Use the digits 0 to 9 only."
FOREIGN = {
    "fullwidth": str.maketrans("0123456789", "０１２３４５６７８９"),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "superscript": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
}
CARD = {
    "payment_method": "card",
    "card_holder": "Carla Contact",
    "card_number": "4111 1111 1111 1111",
    "card_exp_month": "12",
    "card_exp_year": "2031",
    "card_cvc": "737",
}
BANK = {
    "payment_method": "direct_debit",
    "bank_account_holder": "Customer Inc.",
    "bank_routing_number": "021000021",
    "bank_account_number": "000123456789",
}

# (url name, a valid form, the field whose digits are swapped)
FIELDS = [
    ("accounts:payment_method", CARD, "card_number"),
    ("accounts:payment_method", CARD, "card_cvc"),
    ("accounts:payment_method", BANK, "bank_routing_number"),
    ("accounts:payment_method", BANK, "bank_account_number"),
    ("accounts:phone", {"phone": "+1 415 555 0123"}, "phone"),
    (
        "accounts:address",
        {"address_line1": "2 Broad Street", "postal_code": "10004", "city": "New York"},
        "postal_code",
    ),
]


def snapshot(account):
    return CompanyAccount.objects.filter(pk=account.pk).values().get(), AuditEntry.objects.count()


@pytest.mark.parametrize("url_name, data, field", FIELDS, ids=[f"{f[0]}:{f[2]}" for f in FIELDS])
def test_the_valid_form_is_saved(contact_client, account, url_name, data, field):
    assert contact_client.post(reverse(url_name), data).status_code == 302


@pytest.mark.parametrize("digits", FOREIGN, ids=list(FOREIGN))
@pytest.mark.parametrize("url_name, data, field", FIELDS, ids=[f"{f[0]}:{f[2]}" for f in FIELDS])
def test_other_digits_are_a_form_error(contact_client, account, url_name, data, field, digits):
    before = snapshot(account)
    response = contact_client.post(reverse(url_name), {**data, field: data[field].translate(FOREIGN[digits])})
    assert response.status_code == 200
    assert NOT_ASCII in response.content.decode()
    assert snapshot(account) == before


@pytest.mark.parametrize("digits", FOREIGN, ids=list(FOREIGN))
@pytest.mark.parametrize(
    "field, value",
    [
        ("card_number", "4111 1111 1111 1111"),
        ("card_cvc", "737"),
        ("admin-admin_phone", "+1 415 555 0123"),
        ("address-postal_code", "10004"),
    ],
)
def test_the_checkout_refuses_other_digits(contact_client, account, field, value, digits):
    quote = SubmittedQuoteFactory(account=account)
    data = {
        "admin-admin_name": "Pat",
        "admin-admin_email": "pat@customer.example",
        "admin-admin_phone": "",
        "address-address_line1": "1 Main St",
        "address-postal_code": "10001",
        "address-city": "New York",
        "save_as": "default",
        **CARD,
    }
    assert contact_client.post(reverse("quotes:checkout", args=[quote.pk]), {**data, field: value}).status_code == 302
    ServiceOrder.objects.all().delete()

    response = contact_client.post(
        reverse("quotes:checkout", args=[quote.pk]), {**data, field: value.translate(FOREIGN[digits])}
    )
    assert response.status_code == 200
    assert NOT_ASCII in response.content.decode()
    assert not ServiceOrder.objects.exists()


def test_the_checkout_stores_the_admin_phone_as_e164(contact_client, account):
    quote = SubmittedQuoteFactory(account=account)
    contact_client.post(
        reverse("quotes:checkout", args=[quote.pk]),
        {
            "admin-admin_name": "Pat",
            "admin-admin_email": "pat@customer.example",
            "admin-admin_phone": "(415) 555-0123",
            "address-address_line1": "1 Main St",
            "address-postal_code": "10001",
            "address-city": "New York",
            "payment_method": "wire",
            "save_as": "default",
        },
    )
    assert ServiceOrder.objects.get().admin_phone == "+14155550123"


def test_a_routing_number_with_a_wrong_check_digit_is_refused(contact_client, account):
    response = contact_client.post(reverse("accounts:payment_method"), {**BANK, "bank_routing_number": "021000022"})
    assert response.status_code == 200
    assert "This routing number does not exist: check its 9 digits." in response.content.decode()


def test_a_us_postal_code_must_be_a_zip_code(contact_client, account):
    response = contact_client.post(
        reverse("accounts:address"), {"address_line1": "1 Main St", "postal_code": "1000", "city": "New York"}
    )
    assert response.status_code == 200
    assert "Enter a valid postal code, e.g. 94105." in response.content.decode()
    assert (
        contact_client.post(
            reverse("accounts:address"), {"address_line1": "1 Main St", "postal_code": "10001-1234", "city": "New York"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize("digits", FOREIGN, ids=list(FOREIGN))
def test_luhn_and_brand_take_only_ascii_digits(digits):
    number = "4111111111111111".translate(FOREIGN[digits])
    assert luhn_valid(number) is False
    assert card_brand(number) == ""
    assert card_brand("2221000000000009") == "Mastercard"
    assert card_brand("") == ""


def test_a_card_of_no_known_brand_is_a_card_in_the_readers_language(account):
    account.payment_method, account.card_last4, account.card_exp_month, account.card_exp_year = "card", "0004", 1, 2030
    account.card_brand = card_brand("6200000000000005")
    with translation.override("de"):
        assert account.payment_method_display.startswith("Karte ")


@pytest.mark.parametrize(
    "field, value",
    [("bank_routing_number", "０２１００００２１"), ("phone", "+1 ２１２ 555 0111"), ("postal_code", "１０００１")],
)
def test_the_admin_refuses_other_digits(admin_client, account, field, value):
    url = reverse("admin:accounts_companyaccount_change", args=[account.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: v for name, v in form.initial.items() if v is not None}
    data.update(
        {
            field: value,
            "billing_contact": account.billing_contact_id,
            "account_manager": account.account_manager_id,
            "invoice_recipients-TOTAL_FORMS": 0,
            "invoice_recipients-INITIAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-TOTAL_FORMS": 0,
            "accounts-auditentry-content_type-object_id-INITIAL_FORMS": 0,
        }
    )
    data.pop("po_expires_on", None)
    before = snapshot(account)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert NOT_ASCII in str(response.context["adminform"].form.errors[field])
    assert snapshot(account) == before


def test_a_500_log_line_holds_no_customer_data(client, contact, account, caplog, monkeypatch):
    """Whatever fails inside a request, PostgreSQL's copy of the failing row stays out of the log."""
    from accounts import forms

    account.address_line1, account.po_number, account.phone, account.card_holder = (
        "77 Secret Lane",
        "PO-SECRET-4711",
        "+12125550177",
        "Hidden Holder",
    )
    account.save()
    # A value no form lets through any more, to reach the database's check.
    monkeypatch.setattr(forms.PaymentMethodForm, "account_values", lambda self: {"card_last4": "４２４２"})
    client.force_login(contact)
    client.raise_request_exception = False
    caplog.set_level(logging.INFO)

    response = client.post(reverse("accounts:payment_method"), CARD)

    assert response.status_code == 500
    assert "Internal Server Error" in caplog.text and "account_card_last4_digits" in caplog.text
    for secret in ("77 Secret Lane", "PO-SECRET-4711", "+12125550177", "Hidden Holder"):
        assert secret not in caplog.text
