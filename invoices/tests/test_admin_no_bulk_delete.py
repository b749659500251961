"""Staff are not offered a bulk delete of quotes or invoices."""

import pytest
from django.urls import reverse

from invoices.tests.factories import IssuedInvoiceFactory
from quotes.tests.factories import QuoteFactory, SubmittedQuoteFactory

pytestmark = pytest.mark.django_db


def test_the_quote_list_offers_no_bulk_delete(admin_client, account):
    QuoteFactory(account=account)
    SubmittedQuoteFactory(account=account)
    page = admin_client.get(reverse("admin:quotes_quote_changelist")).content.decode()
    assert 'value="submit_to_customer"' in page
    assert 'value="delete_selected"' not in page


def test_the_invoice_list_offers_no_bulk_delete(admin_client, account):
    IssuedInvoiceFactory(account=account)
    page = admin_client.get(reverse("admin:invoices_invoice_changelist")).content.decode()
    assert 'value="issue_and_email"' in page
    assert 'value="delete_selected"' not in page
