"""Signed-in pages and pages with a form are never kept by a shared cache or the browser's cache."""

import pytest
from django.urls import reverse
from django.utils.http import urlsafe_base64_encode

from invoices.tests.factories import IssuedInvoiceFactory
from invoices.tests.test_every_url_is_scoped import portal_patterns
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def own_object_args(url_name, account, contact):
    from quotes.services import service_order_place
    from quotes.tests.helpers import draft_order

    if url_name.startswith("quotes:order"):
        order = draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)])
        return [service_order_place(order=order, actor=contact).pk if "confirmation" in url_name else order.pk]
    if url_name.startswith("invoices:"):
        return [IssuedInvoiceFactory(account=account).pk]
    if url_name in ("accounts:recipient_remove", "accounts:recipient_xml"):
        return [account.invoice_recipients.create(email="ap@customer.example").pk]
    if url_name == "accounts:password_reset_confirm":
        return [urlsafe_base64_encode(b"1"), "set-password"]
    return [SubmittedQuoteFactory(account=account).pk]


# Answered by their own tests (rendered by a task).
PDF_URLS = {"quotes:order_receipt_pdf", "quotes:pdf", "invoices:pdf"}


@pytest.mark.parametrize("url_name", sorted(name for name, _params in portal_patterns() if name not in PDF_URLS))
def test_every_portal_page_to_a_signed_in_contact_is_private_and_not_stored(contact_client, account, contact, url_name):
    params = next(params for name, params in portal_patterns() if name == url_name)
    url = reverse(url_name, args=own_object_args(url_name, account, contact) if params else [])
    response = contact_client.get(url)
    assert {"private", "no-store"} <= directives(response), (response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize("url_name", ["accounts:login", "accounts:password_reset"])
def test_the_sign_in_and_reset_pages_are_not_stored(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_the_admin_is_private_and_not_stored(admin_client):
    for url in (reverse("admin:index"), reverse("admin:quotes_quote_changelist")):
        assert {"private", "no-store"} <= directives(admin_client.get(url))


def test_a_not_found_page_to_a_signed_in_contact_is_not_stored(contact_client, account):
    response = contact_client.get("/quotes/999999999/")
    assert response.status_code == 404
    assert {"private", "no-store"} <= directives(response)
