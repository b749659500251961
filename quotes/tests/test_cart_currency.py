"""A cart holds quotes of one currency: amounts in different currencies are never added up."""

import pytest
from django.urls import reverse

from quotes import services
from quotes.models import Cart, ServiceOrder

from .factories import SubmittedQuoteFactory
from .helpers import draft_order

pytestmark = pytest.mark.django_db


def cart_of(account, contact):
    return set(Cart.objects.get(account=account, contact=contact).quotes.all())


def test_adding_a_quote_in_another_currency_is_refused(contact_client, account, contact):
    usd = SubmittedQuoteFactory(account=account, currency="USD")
    eur = SubmittedQuoteFactory(account=account, currency="EUR")
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [usd.pk]})

    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [eur.pk]}, follow=True)

    assert (
        "Your cart holds quotes in USD. Place that order first, or remove them, to add a quote in EUR."
        in response.content.decode()
    )
    assert cart_of(account, contact) == {usd}


def test_adding_two_currencies_at_once_is_refused(contact_client, account, contact):
    quotes = [
        SubmittedQuoteFactory(account=account, currency="USD"),
        SubmittedQuoteFactory(account=account, currency="EUR"),
    ]

    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [q.pk for q in quotes]}, follow=True)

    assert "Quotes in different currencies must be accepted one by one." in response.content.decode()
    assert not Cart.objects.filter(quotes__in=quotes).exists()


def test_more_quotes_in_the_carts_currency_are_added(contact_client, account, contact):
    quotes = [SubmittedQuoteFactory(account=account, currency="EUR") for _ in range(2)]
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [quotes[0].pk]})
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [quotes[1].pk]})
    assert cart_of(account, contact) == set(quotes)


@pytest.mark.parametrize("path", ["/quotes/cart/review/", "/quotes/cart/payment/"])
def test_a_cart_that_already_mixes_currencies_is_never_added_up(contact_client, account, contact, path):
    cart = services.cart_get_or_create(account=account, contact=contact)
    cart.quotes.add(
        SubmittedQuoteFactory(account=account, currency="USD"), SubmittedQuoteFactory(account=account, currency="EUR")
    )

    response = contact_client.get(path, follow=True)

    assert response.redirect_chain[-1][0] == reverse("quotes:cart")
    assert "Quotes in different currencies must be accepted one by one." in response.content.decode()


def test_placing_an_order_whose_quotes_mix_currencies_is_refused(account, contact):
    usd = SubmittedQuoteFactory(account=account, currency="USD")
    order = draft_order(account=account, contact=contact, quotes=[usd])
    order.quotes.add(SubmittedQuoteFactory(account=account, currency="EUR"))

    with pytest.raises(services.QuoteError, match="different currencies"):
        services.service_order_place(order=order, actor=contact)
    assert ServiceOrder.objects.get(pk=order.pk).state == ServiceOrder.State.DRAFT
