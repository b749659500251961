from decimal import Decimal

import pytest
from django.urls import reverse

from quotes import services

from .factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory, overdue
from .helpers import draft_order

pytestmark = pytest.mark.django_db


def url(quote):
    return reverse("quotes:detail", kwargs={"pk": quote.pk})


def test_it_shows_lines_totals_currency_and_expiry(contact_client, account):
    product = ProductFactory(name="Rescue Premium")
    quote = SubmittedQuoteFactory(account=account, lines=[(product, 10, Decimal("99.50"))])
    page = contact_client.get(url(quote)).content.decode()
    for text in (
        "Rescue Premium",
        ">10<",
        "$99.50",
        "$995.00",
        "Currency",
        "Expires",
        "left",
        "Proceed to Payment",
        "Decline Quote",
    ):
        assert text in page, text


def test_it_is_404_for_another_account(contact_client, other_quote):
    assert contact_client.get(url(other_quote)).status_code == 404


def test_it_is_404_for_a_draft(contact_client, account):
    assert contact_client.get(url(QuoteFactory(account=account))).status_code == 404


def test_an_expired_quote_has_no_accept_button(contact_client, account):
    quote = overdue(SubmittedQuoteFactory(account=account))
    page = contact_client.get(url(quote)).content.decode()
    assert "Proceed to Payment" not in page
    assert "Decline Quote" not in page
    assert "has expired" in page


def test_a_declined_quote_shows_the_comment_and_who_declined_it(contact_client, account, contact, open_quote):
    services.quote_decline(quote=open_quote, actor=contact, comment="Not this year")
    page = contact_client.get(url(open_quote)).content.decode()
    assert "Not this year" in page
    assert "by Carla Contact" in page
    assert "Ask your account manager to send you a new quote." in page


def test_an_accepted_quote_shows_its_service_order(contact_client, account, contact, open_quote):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    page = contact_client.get(url(open_quote)).content.decode()
    assert order.number in page
    assert "Proceed to Payment" not in page


def test_its_query_count_is_fixed(contact_client, account, django_assert_num_queries):
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("1"))] * 30)
    with django_assert_num_queries(7):
        contact_client.get(url(quote))
