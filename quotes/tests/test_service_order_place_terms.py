"""Placing a service order records the terms accepted, by whom and when; outdated terms and an expired PO refuse it."""

import datetime
import zoneinfo

import pytest
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from accounts.models import AuditEntry
from quotes.documents import RECEIPT_PDF
from quotes.models import QuoteState, ServiceOrder
from quotes.services import PurchaseOrderExpiredError, TermsOutdatedError, service_order_place

from .factories import SubmittedQuoteFactory, TermsVersionFactory
from .helpers import draft_order, emails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(account, contact):
    contact.first_name, contact.last_name = "Alice", "Anders"
    contact.save(update_fields=["first_name", "last_name"])
    account.time_zone = "Europe/Berlin"
    account.save(update_fields=["time_zone"])
    return draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)])


def _nothing_placed(order, contact):
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT
    assert (order.terms, order.terms_accepted_by_name, order.terms_accepted_at) == (None, "", None)
    assert {quote.state for quote in order.quotes.all()} == {QuoteState.SUBMITTED}
    assert not AuditEntry.objects.filter(action__in=["service_order_place", "quote_accept"]).exists()
    assert emails_to(contact.email) == []


def test_it_records_the_terms_the_name_and_the_time(order, contact, terms):
    before = timezone.now()
    service_order_place(order=order, actor=contact, terms=terms["de"])
    order.refresh_from_db()
    assert order.terms == terms["de"]
    assert order.terms_accepted_by_name == "Alice Anders"
    assert before <= order.terms_accepted_at <= timezone.now()
    assert order.terms_accepted_at == order.placed_at
    entry = AuditEntry.objects.get(action="service_order_place")
    assert entry.changes["terms"] == [None, str(terms["de"])]


def test_the_name_is_a_snapshot(order, contact, terms):
    service_order_place(order=order, actor=contact, terms=terms["en"])
    contact.first_name = "Alicia"
    contact.save(update_fields=["first_name"])
    order.refresh_from_db()
    assert order.terms_accepted_by_name == "Alice Anders"


def test_without_terms_given_the_current_ones_in_the_accounts_language_are_recorded(order, contact, account, terms):
    account.language = "de"
    account.save(update_fields=["language"])
    service_order_place(order=order, actor=contact)
    order.refresh_from_db()
    assert order.terms == terms["de"]


def test_the_receipt_says_under_which_terms_in_the_accounts_time_zone(order, contact, terms):
    service_order_place(order=order, actor=contact, terms=terms["en"])
    order.refresh_from_db()
    [receipt] = emails_to(contact.email)
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    with translation.override("en"):
        when = formats.date_format(order.terms_accepted_at.astimezone(berlin), "DATETIME_FORMAT")
    assert when.endswith(("CET", "CEST"))
    line = f"Accepted under terms {terms['en'].version} by Alice Anders on {when}"
    assert line in receipt.message
    assert line in receipt.html_message


def test_terms_outdated_by_a_newer_version_are_refused_and_nothing_is_placed(order, contact, terms):
    TermsVersionFactory(language="en")
    with pytest.raises(TermsOutdatedError, match="New terms have been published"):
        service_order_place(order=order, actor=contact, terms=terms["en"])
    _nothing_placed(order, contact)


def test_a_newer_version_in_another_language_does_not_outdate_them(order, contact, terms):
    TermsVersionFactory(language="de")
    service_order_place(order=order, actor=contact, terms=terms["en"])
    order.refresh_from_db()
    assert order.terms == terms["en"]


def test_an_expired_purchase_order_is_refused_and_nothing_is_placed(order, contact, account, terms):
    account.po_number = "PO-1"
    account.po_expires_on = timezone.localdate(timezone=account.zone) - datetime.timedelta(days=1)
    account.save(update_fields=["po_number", "po_expires_on"])
    with pytest.raises(PurchaseOrderExpiredError, match="Your purchase order expired on"):
        service_order_place(order=order, actor=contact, terms=terms["en"])
    _nothing_placed(order, contact)


def test_a_purchase_order_expiring_today_still_places(order, contact, account, terms):
    account.po_number = "PO-1"
    account.po_expires_on = timezone.localdate(timezone=account.zone)
    account.save(update_fields=["po_number", "po_expires_on"])
    service_order_place(order=order, actor=contact, terms=terms["en"])
    order.refresh_from_db()
    assert order.is_placed


def test_a_placed_order_placed_again_keeps_its_terms(order, contact, terms):
    first = service_order_place(order=order, actor=contact, terms=terms["en"])
    TermsVersionFactory(language="en")
    again = service_order_place(order=order, actor=contact, terms=terms["en"])
    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.terms == terms["en"]


def test_the_receipt_pdf_says_under_which_terms(order, contact, terms):
    service_order_place(order=order, actor=contact, terms=terms["en"])
    order = RECEIPT_PDF.queryset().get(pk=order.pk)
    with translation.override("en"):
        html = render_to_string(RECEIPT_PDF.template, RECEIPT_PDF.context(order))
    assert f"Accepted under terms {terms['en'].version} by Alice Anders on" in html
    assert "CET" in html or "CEST" in html
