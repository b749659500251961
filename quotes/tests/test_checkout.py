"""The payment page: "Proceed to Payment" → "Save and Proceed to Service Order"."""

import pytest
from django.urls import reverse

from accounts.models import PaymentMethod
from quotes import services
from quotes.models import AdminContact, ServiceOrder

from .factories import SubmittedQuoteFactory, overdue

pytestmark = pytest.mark.django_db


def url(quote):
    return reverse("quotes:checkout", kwargs={"pk": quote.pk})


def form_data(**overrides):
    data = {
        "admin-admin_name": "Pat Admin",
        "admin-admin_email": "pat@acme.example",
        "admin-admin_phone": "",
        "payment_method": "wire",
        "address-address_line1": "1 Main Street",
        "address-address_line2": "",
        "address-postal_code": "10001",
        "address-city": "New York",
        "address-region": "NY",
        "save_as": "default",
    }
    return {**data, **overrides}


def test_it_shows_three_sections_prefilled(contact_client, account, open_quote):
    AdminContact.objects.create(account=account, name="Existing Admin", email="existing@acme.example")
    page = contact_client.get(url(open_quote)).content.decode()
    for text in (
        "Admin contact",
        "Payment method",
        "Billing address",
        "existing@acme.example",
        "Existing Admin",
        '<span id="country" aria-labelledby="country-label country" aria-describedby="country-help">'
        "United States of America</span>",
        "Save and Proceed to Service Order",
    ):
        assert text in page, text
    assert '<input id="country"' not in page


def test_it_saves_payment_and_address_and_drafts_the_order(contact_client, account, open_quote):
    response = contact_client.post(
        url(open_quote),
        form_data(
            **{
                "payment_method": "card",
                "card_holder": "Carla Contact",
                "card_number": "4242 4242 4242 4242",
                "card_exp_month": "12",
                "card_exp_year": str(__import__("datetime").date.today().year + 2),
                "card_cvc": "123",
                "address-address_line1": "5 New Road",
            }
        ),
    )
    order = ServiceOrder.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("quotes:order_review", kwargs={"pk": order.pk})
    account.refresh_from_db()
    assert account.payment_method == PaymentMethod.CARD
    assert account.card_last4 == "4242"
    assert account.address_line1 == "5 New Road"
    assert order.payment_display.startswith("Visa ending in 4242")
    assert "4242424242424242" not in str(order.__dict__)
    assert list(order.quotes.all()) == [open_quote]


def test_it_keeps_the_card_on_file(contact_client, account, open_quote):
    account.payment_method, account.card_brand, account.card_last4 = PaymentMethod.CARD, "Visa", "1111"
    account.card_exp_month, account.card_exp_year, account.card_holder = 12, 2099, "Carla"
    account.save()
    response = contact_client.post(url(open_quote), form_data(payment_method="card"))
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.card_last4 == "1111"
    assert "1111" in ServiceOrder.objects.get().payment_display


def test_it_shows_form_errors_for_bad_input(contact_client, account, open_quote):
    response = contact_client.post(
        url(open_quote),
        form_data(
            **{"admin-admin_email": "not-an-email", "payment_method": "card", "card_number": "1234", "address-city": ""}
        ),
    )
    assert response.status_code == 200
    assert response.context["admin_form"].errors["admin_email"]
    assert response.context["form"].errors["card_number"]
    assert response.context["address_form"].errors["city"]
    assert not ServiceOrder.objects.exists()
    account.refresh_from_db()
    assert account.city == "New York"


def test_it_cannot_change_the_country(contact_client, account, open_quote):
    contact_client.post(url(open_quote), form_data(**{"address-country": "DE", "country": "DE"}))
    account.refresh_from_db()
    assert account.country == "US"


def test_it_refuses_an_expired_quote(contact_client, account, open_quote):
    overdue(open_quote)
    response = contact_client.post(url(open_quote), form_data())
    assert response.status_code == 200
    assert "can no longer be accepted" in response.content.decode()
    assert not ServiceOrder.objects.exists()


def test_it_is_404_for_another_account(contact_client, other_quote):
    assert contact_client.get(url(other_quote)).status_code == 404
    assert contact_client.post(url(other_quote), form_data()).status_code == 404


def test_the_cart_checkout_drafts_one_order_for_every_quote(contact_client, account, contact):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    response = contact_client.post(reverse("quotes:cart_checkout"), form_data())
    assert response.status_code == 302
    assert set(ServiceOrder.objects.get().quotes.all()) == set(quotes)


def test_the_cart_checkout_of_an_empty_cart_goes_back_to_the_cart(contact_client):
    assert contact_client.get(reverse("quotes:cart_checkout")).url == reverse("quotes:cart")


def test_its_query_count_is_fixed(contact_client, account, django_assert_max_num_queries, open_quote):
    with django_assert_max_num_queries(8):
        contact_client.get(url(open_quote))


def test_the_cart_checkout_query_count_is_fixed(contact_client, account, contact, django_assert_max_num_queries):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(5)]
    services.cart_add(account=account, contact=contact, quote_ids=[q.pk for q in quotes])
    with django_assert_max_num_queries(8):
        contact_client.get(reverse("quotes:cart_checkout"))
