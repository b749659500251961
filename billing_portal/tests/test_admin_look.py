"""The staff admin names the portal and labels every field of the line tables."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from invoices.tests.factories import draft_with_lines
from quotes.tests.factories import QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_the_site_header_says_corporate_billing_portal(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert '<a href="/admin/">Corporate Billing Portal</a>' in page


def test_every_field_of_a_draft_quotes_lines_is_labelled(admin_client, account):
    quote = QuoteFactory(account=account)
    page = admin_client.get(reverse("admin:quotes_quote_change", args=[quote.pk])).content.decode()
    for name in ("product", "description", "seats", "term_months", "unit_price", "discount_percent"):
        field = re.search(rf'<(?:input|select|textarea)[^>]*name="lines-0-{name}"[^>]*>', page).group(0)
        assert 'aria-label="' in field, field


def test_every_field_of_a_draft_invoices_lines_is_labelled(admin_client, account):
    invoice = draft_with_lines(account)
    page = admin_client.get(reverse("admin:invoices_invoice_change", args=[invoice.pk])).content.decode()
    for name in ("position", "description", "product", "quantity", "unit_price"):
        field = re.search(rf'<(?:input|select|textarea)[^>]*name="lines-0-{name}"[^>]*>', page).group(0)
        assert 'aria-label="' in field, field
