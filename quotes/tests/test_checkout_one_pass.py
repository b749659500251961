"""The payment page reports every error in one pass, keeps what it can, and asks before changing the account."""

import datetime

import pytest

from accounts.models import PaymentMethod
from quotes.models import ServiceOrder

from .test_checkout import form_data, url

pytestmark = pytest.mark.django_db

NEXT_YEAR = str(datetime.date.today().year + 1)


@pytest.fixture
def card_on_file(account):
    account.payment_method, account.card_brand, account.card_last4 = PaymentMethod.CARD, "Visa", "1111"
    account.card_exp_month, account.card_exp_year, account.card_holder = 12, 2099, "Carla"
    account.save()
    return account


def test_a_new_card_with_a_bad_number_reports_every_missing_field_at_once(contact_client, card_on_file, open_quote):
    response = contact_client.post(
        url(open_quote), form_data(payment_method="card", card_holder="", card_number="4111 1111 1111 1112")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "card_holder",
        "card_number",
        "card_exp_month",
        "card_exp_year",
        "card_cvc",
    }


def test_a_postal_code_error_keeps_the_valid_card_number_and_security_code(contact_client, account, open_quote):
    response = contact_client.post(
        url(open_quote),
        form_data(
            **{
                "payment_method": "card",
                "card_holder": "Carla",
                "card_number": "4242424242424242",
                "card_exp_month": "12",
                "card_exp_year": NEXT_YEAR,
                "card_cvc": "123",
                "address-postal_code": "",
            }
        ),
    )
    page = response.content.decode()
    assert response.context["address_form"].errors["postal_code"]
    assert 'value="4242424242424242"' in page
    assert 'value="123"' in page
    assert not ServiceOrder.objects.exists()


def test_an_invalid_card_number_is_never_written_back(contact_client, account, open_quote):
    page = contact_client.post(
        url(open_quote), form_data(payment_method="card", card_number="4111111111111112", card_cvc="123")
    ).content.decode()
    assert "4111111111111112" not in page
    assert 'value="123"' in page


def test_an_error_summary_at_the_top_links_to_each_field(contact_client, account, open_quote):
    page = contact_client.post(
        url(open_quote), form_data(**{"admin-admin_email": "not-an-email", "address-city": ""})
    ).content.decode()
    summary = page[page.index('id="error-summary"') : page.index('id="checkout-form"')]
    assert 'href="#id_admin-admin_email"' in summary
    assert 'href="#id_address-city"' in summary
    assert "Please correct 2 errors:" in summary


def test_it_asks_whether_to_save_the_payment_method_and_address_as_the_default(contact_client, account, open_quote):
    page = contact_client.get(url(open_quote)).content.decode()
    assert "Use for this order only" in page
    assert "Also save as the account&#x27;s default" in page


def test_for_this_order_only_leaves_the_account_as_it_was(contact_client, card_on_file, open_quote):
    response = contact_client.post(
        url(open_quote),
        form_data(
            **{
                "save_as": "order",
                "payment_method": "card",
                "card_holder": "Dana",
                "card_number": "4242424242424242",
                "card_exp_month": "12",
                "card_exp_year": NEXT_YEAR,
                "card_cvc": "123",
                "address-address_line1": "5 Other Road",
            }
        ),
    )
    assert response.status_code == 302
    order = ServiceOrder.objects.get()
    assert order.payment_display.startswith("Visa ending in 4242")
    assert order.billing_address.startswith("5 Other Road")
    card_on_file.refresh_from_db()
    assert card_on_file.card_last4 == "1111"
    assert card_on_file.card_holder == "Carla"
    assert card_on_file.address_line1 != "5 Other Road"


def test_the_choice_is_required(contact_client, account, open_quote):
    data = form_data()
    del data["save_as"]
    response = contact_client.post(url(open_quote), data)
    assert response.status_code == 200
    assert response.context["save_form"].errors["save_as"]
