from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from quotes.tests.factories import SubmittedQuoteFactory

AMOUNT = Template("{% load money %}{{ amount|money:currency }}")


@pytest.mark.parametrize(("language", "shown"), [("en", "€1,234.50"), ("de", "1.234,50\xa0€"), ("en-us", "€1,234.50")])
def test_one_filter_shows_an_amount_in_the_active_language(language, shown):
    with translation.override(language):
        assert AMOUNT.render(Context({"amount": Decimal("1234.5"), "currency": "EUR"})) == shown


@pytest.mark.django_db
def test_a_quote_total_is_shown_like_an_invoice_total(contact_client, account):
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("1234.50"))])
    with translation.override("en"):
        expected = AMOUNT.render(Context({"amount": Decimal("1234.50"), "currency": quote.currency}))
    page = contact_client.get(reverse("quotes:detail", args=[quote.pk])).content.decode()
    assert expected in page


@pytest.mark.parametrize(
    ("language", "currency", "shown"),
    [("en", "USD", "$1,234.56"), ("de", "USD", "1.234,56\xa0$"), ("de", "EUR", "1.234,56\xa0€"), ("en", "CHF", "CHF")],
)
def test_the_currency_symbol_is_where_the_language_puts_it(language, currency, shown):
    with translation.override(language):
        assert shown in AMOUNT.render(Context({"amount": Decimal("1234.56"), "currency": currency}))
