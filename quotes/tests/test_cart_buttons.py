"""Adding a quote to the cart, and removing it, from its row in the quote list and from its own page."""

import re

import pytest
from django.urls import reverse

from quotes import services
from quotes.models import Cart, Quote

from .factories import SubmittedQuoteFactory
from .test_quote_list import _bulk_quotes

pytestmark = pytest.mark.django_db

LIST = reverse("quotes:list")


def cart_of(account, contact):
    cart = Cart.objects.filter(account=account, contact=contact).first()
    return set(cart.quotes.all()) if cart else set()


def test_each_open_row_has_its_own_add_button_named_after_the_quote(contact_client, account):
    quote = SubmittedQuoteFactory(account=account)
    page = contact_client.get(LIST + "?state=open").content.decode()
    form = re.search(rf'<form method="post" action="{reverse("quotes:cart_add")}"[^>]*>.*?</form>', page).group(0)
    assert f'name="quotes" value="{quote.pk}"' in form
    assert 'name="next" value="/quotes/?state=open"' in form
    assert f'Add to Cart<span class="visually-hidden"> {quote.number}</span></button>' in form


def test_a_row_in_the_cart_says_so_and_offers_removing_it(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    services.cart_add(account=account, contact=contact, quote_ids=[quote.pk])
    page = contact_client.get(LIST).content.decode()
    assert "In cart" in page
    assert f'action="{reverse("quotes:cart_remove", kwargs={"pk": quote.pk})}"' in page
    assert f'Remove from cart<span class="visually-hidden"> {quote.number}</span></button>' in page
    assert f'Add to Cart<span class="visually-hidden"> {quote.number}</span>' not in page


def test_adding_from_a_row_returns_to_the_same_menu_and_page(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    back = "/quotes/?state=open&page=2"
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [quote.pk], "next": back})
    assert response.status_code == 302
    assert response.url == back
    assert cart_of(account, contact) == {quote}


def test_removing_from_a_row_returns_to_the_same_menu_and_page(contact_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    services.cart_add(account=account, contact=contact, quote_ids=[quote.pk])
    back = "/quotes/?state=open&page=2"
    response = contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": quote.pk}), {"next": back})
    assert response.url == back
    assert cart_of(account, contact) == set()


def test_removing_without_a_page_to_return_to_shows_the_cart(contact_client, account, contact, open_quote):
    services.cart_add(account=account, contact=contact, quote_ids=[open_quote.pk])
    response = contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": open_quote.pk}))
    assert response.url == reverse("quotes:cart")


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/quotes/", "quotes", "javascript:alert(1)"])
def test_it_never_returns_to_another_site(contact_client, account, open_quote, back):
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [open_quote.pk], "next": back})
    assert response.url == LIST
    response = contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": open_quote.pk}), {"next": back})
    assert response.url == reverse("quotes:cart")


def test_an_error_returns_to_the_same_page_too(contact_client, other_quote):
    back = "/quotes/?state=open&page=3"
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [other_quote.pk], "next": back})
    assert response.url == back
    assert not Cart.objects.filter(quotes=other_quote).exists()


def test_the_added_message_links_to_the_cart(contact_client, account, open_quote):
    response = contact_client.post(reverse("quotes:cart_add"), {"quotes": [open_quote.pk]}, follow=True)
    page = response.content.decode()
    assert (
        f'Your cart now holds 1 quote. <a class="alert-link" href="{reverse("quotes:cart")}">View Cart</a></div>'
        in page
    )


def test_the_quote_page_adds_and_removes_it(contact_client, account, contact, open_quote):
    url = reverse("quotes:detail", kwargs={"pk": open_quote.pk})
    page = contact_client.get(url).content.decode()
    assert f'Add to Cart<span class="visually-hidden"> {open_quote.number}</span>' in page
    assert f'name="next" value="{url}"' in page

    assert contact_client.post(reverse("quotes:cart_add"), {"quotes": [open_quote.pk], "next": url}).url == url
    page = contact_client.get(url).content.decode()
    assert "In cart" in page
    assert f'Remove from cart<span class="visually-hidden"> {open_quote.number}</span>' in page

    assert contact_client.post(reverse("quotes:cart_remove", kwargs={"pk": open_quote.pk}), {"next": url}).url == url
    assert cart_of(account, contact) == set()


def test_a_closed_quote_page_has_no_cart_button(contact_client, account, contact, open_quote):
    services.quote_decline(quote=open_quote, actor=contact, comment="No")
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()
    assert "Add to Cart" not in page
    assert "Remove from cart" not in page


def test_the_list_query_count_does_not_grow_with_quotes_in_the_cart(
    contact_client, account, contact, django_assert_num_queries
):
    _bulk_quotes(account, 200)
    services.cart_add(
        account=account, contact=contact, quote_ids=Quote.objects.order_by("pk").values_list("pk", flat=True)[:100]
    )
    # The same 7 as with an empty cart: whether a row is in the cart comes with the page of quotes.
    with django_assert_num_queries(7):
        page = contact_client.get(LIST).content.decode()
    assert page.count("Remove from cart<span") == 50
