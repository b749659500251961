"""Quotes read at a glance: a badge per state, quotes about to expire marked, no expiry on closed quotes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quotes import services

from .factories import SubmittedQuoteFactory, overdue

pytestmark = pytest.mark.django_db


def detail(client, quote) -> str:
    return client.get(reverse("quotes:detail", args=[quote.pk])).content.decode()


def test_each_state_has_its_own_badge(contact_client, account, contact, staff):
    quotes = {
        "open": SubmittedQuoteFactory(account=account),
        "declined": services.quote_decline(quote=SubmittedQuoteFactory(account=account), actor=contact, comment="No"),
        "expired": overdue(SubmittedQuoteFactory(account=account)),
        "withdrawn": services.quote_withdraw(quote=SubmittedQuoteFactory(account=account), actor=staff),
    }
    for state, quote in quotes.items():
        page = detail(contact_client, quote)
        assert f'class="badge status-badge status-{state}"' in page, state


def test_a_quote_with_less_than_48_hours_left_is_marked(contact_client, account):
    soon = SubmittedQuoteFactory(account=account, submitted_at=timezone.now() - timedelta(days=5, hours=1))
    later = SubmittedQuoteFactory(account=account, submitted_at=timezone.now() - timedelta(days=4, hours=23))
    assert "data-expires-soon" in detail(contact_client, soon)
    assert "data-expires-soon" not in detail(contact_client, later)
    listing = contact_client.get(reverse("quotes:list")).content.decode()
    assert listing.count("data-expires-soon") == 1
    assert "Expires soon" in listing


def test_a_closed_quote_does_not_show_when_it_expires(contact_client, account, contact):
    declined = services.quote_decline(quote=SubmittedQuoteFactory(account=account), actor=contact, comment="No")
    page = detail(contact_client, declined)
    assert "Expires" not in page
    assert 'id="quote-expires"' in detail(contact_client, SubmittedQuoteFactory(account=account))


def test_the_total_is_below_the_lines_not_inside_a_scrolled_table(contact_client, account):
    page = detail(contact_client, SubmittedQuoteFactory(account=account))
    assert "<tfoot>" not in page and "table-responsive" not in page
    assert '<dt class="grand-total">Total</dt><dd class="grand-total money">$600.00</dd>' in page
