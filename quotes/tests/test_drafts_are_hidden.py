"""To a customer a draft quote does not exist: every portal URL that names a quote answers 404 for it."""

import pytest
from django.urls import reverse

from invoices.tests.test_every_url_is_scoped import OTHER_ACCOUNTS_OBJECT, _other_quote
from quotes.models import Cart
from quotes.services import cart_get_or_create

from .factories import QuoteFactory

pytestmark = pytest.mark.django_db

QUOTE_URLS = sorted(name for name, make in OTHER_ACCOUNTS_OBJECT.items() if make is _other_quote)


def test_the_quote_urls_are_found():
    assert {"quotes:detail", "quotes:decline", "quotes:checkout", "quotes:cart_remove"} <= set(QUOTE_URLS)


@pytest.mark.parametrize("url_name", QUOTE_URLS)
def test_every_quote_url_is_404_for_a_draft(contact_client, account, contact, url_name):
    draft = QuoteFactory(account=account)
    # Even a draft that found its way into the cart stays hidden.
    cart_get_or_create(account=account, contact=contact).quotes.add(draft)
    url = reverse(url_name, args=[draft.pk])

    answers = {contact_client.get(url).status_code, contact_client.post(url, {"comment": "x"}).status_code}

    assert 404 in answers and answers <= {404, 405}, answers
    assert draft.number not in str(contact_client.get(reverse("quotes:cart")).content)


def test_a_draft_cannot_be_added_to_the_cart(contact_client, account, contact):
    draft = QuoteFactory(account=account)
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [draft.pk]})
    assert not Cart.objects.filter(quotes=draft).exists()
