"""The Quotes list's rows are formatted in the selector: each value must be what the quote's own properties and
the template filters give, in either language and in the account's time zone."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.timesince import timeuntil

from billing_portal.templatetags.money import money
from quotes import selectors, services
from quotes.models import QUOTE_VALIDITY

from .factories import SubmittedQuoteFactory, overdue

pytestmark = pytest.mark.django_db


def _rows(account, contact, menu, now):
    quotes = selectors.quote_list_for_account(account=account, contact=contact, menu=menu, now=now)
    return list(quotes), selectors.quote_rows(quotes, menu=menu, now=now)


@pytest.mark.parametrize("language", ["en", "de"])
def test_open_rows_show_what_the_quote_says(account, contact, language):
    soon = SubmittedQuoteFactory(account=account, lines=[(None, 3, Decimal("1200.00")), (None, 1, Decimal("9.99"))])
    soon.submitted_at = timezone.now() - QUOTE_VALIDITY + timedelta(hours=5)
    soon.expires_at = soon.submitted_at + QUOTE_VALIDITY
    soon.save(update_fields=["submitted_at", "expires_at"])
    later = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("100.00"))])
    services.cart_add(account=account, contact=contact, quote_ids=[later.pk])
    now = timezone.now()

    with translation.override(language), timezone.override(ZoneInfo("Europe/Berlin")):
        quotes, rows = _rows(account, contact, "open", now)
        assert [row.pk for row in rows] == [soon.pk, later.pk]
        for quote, row in zip(quotes, rows, strict=True):
            assert row.number == quote.number
            assert row.total == money(quote.gross, quote.currency)
            assert row.expires == date_filter(timezone.localtime(quote.expires_at), "DATETIME_FORMAT")
            assert row.time_left == timeuntil(quote.expires_at, now)
            assert row.expires_soon == quote.expires_soon
            assert row.in_cart == quote.in_cart
            assert row.detail_url == reverse("quotes:detail", args=[quote.pk])
            assert row.cart_remove_url == reverse("quotes:cart_remove", args=[quote.pk])
            assert quote.number in row.label
        assert rows[0].products == {"en": "2 products", "de": "2 Produkte"}[language]
        assert rows[1].products == {"en": "1 product", "de": "1 Produkt"}[language]
        assert (rows[0].expires_soon, rows[1].expires_soon) == (True, False)
        assert (rows[0].in_cart, rows[1].in_cart) == (False, True)
        assert "Europe/Berlin" not in rows[0].expires and ("CET" in rows[0].expires or "CEST" in rows[0].expires)


@pytest.mark.parametrize("language", ["en", "de"])
def test_decided_rows_show_the_state_as_the_customer_sees_it(account, contact, language):
    declined = SubmittedQuoteFactory(account=account)
    services.quote_decline(quote=declined, actor=contact, comment="Too expensive " * 20)
    due = overdue(SubmittedQuoteFactory(account=account))  # expired to the customer before the task ran
    now = timezone.now()

    with translation.override(language):
        for menu, quote in [("declined", declined), ("expired", due)]:
            quotes, rows = _rows(account, contact, menu, now)
            [row] = rows
            [listed] = quotes
            assert row.pk == quote.pk
            assert row.state == listed.display_state
            assert row.state_label == listed.display_state_label
            assert row.when == date_filter(timezone.localtime(listed.decided_or_expired_at), "DATETIME_FORMAT")
            assert row.total == money(listed.gross, listed.currency)
        declined_row = _rows(account, contact, "declined", now)[1][0]
        assert declined_row.decided_by == (contact.get_full_name() or contact.username)
        assert declined_row.decline_comment.startswith("Too expensive")
        assert _rows(account, contact, "expired", now)[1][0].state == "expired"
