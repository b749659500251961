"""Every portal URL that names an object answers 404 for another account's object, whatever the method.

The URL patterns are enumerated, so a new view that takes an id fails here until it is listed.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import InvoiceRecipient
from accounts.tests.factories import CompanyAccountFactory
from invoices.tests.factories import IssuedInvoiceFactory
from quotes.models import Quote
from quotes.tests.factories import SubmittedQuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = pytest.mark.django_db
PORTAL_NAMESPACES = ("accounts", "quotes", "invoices")


def _other_quote(other):
    return SubmittedQuoteFactory(account=other).pk


def _other_order(other, placed=False):
    from quotes.services import service_order_place

    order = draft_order(account=other, contact=other.billing_contact, quotes=[SubmittedQuoteFactory(account=other)])
    return (service_order_place(order=order, actor=other.billing_contact) if placed else order).pk


# URL name -> a function that makes the object of *another* account that the URL would name.
OTHER_ACCOUNTS_OBJECT = {
    "accounts:recipient_remove": lambda other: (
        InvoiceRecipient.objects.create(account=other, email="ap@other.example").pk
    ),
    "accounts:recipient_remove_confirm": lambda other: (
        InvoiceRecipient.objects.create(account=other, email="ap@other.example").pk
    ),
    "accounts:recipient_xml": lambda other: InvoiceRecipient.objects.create(account=other, email="ap@other.example").pk,
    "quotes:detail": _other_quote,
    "quotes:pdf": _other_quote,
    "quotes:decline": _other_quote,
    "quotes:checkout": _other_quote,
    "quotes:cart_remove": _other_quote,
    "quotes:order_review": _other_order,
    "quotes:order_place": _other_order,
    "quotes:order_confirmation": lambda other: _other_order(other, placed=True),
    "quotes:order_receipt_pdf": lambda other: _other_order(other, placed=True),
    "invoices:detail": lambda other: IssuedInvoiceFactory(account=other).pk,
    "invoices:pdf": lambda other: IssuedInvoiceFactory(account=other).pk,
    "invoices:xml": lambda other: IssuedInvoiceFactory(account=other).pk,
}


# Parameters that name no account's object: the signed user id and token of the reset and e-mail change
# links, and the signed invitation to become billing contact (answered only for the invitee it names).
NOT_AN_OBJECT = {
    "accounts:password_reset_confirm",
    "accounts:email_change_confirm",
    "accounts:billing_contact_accept",
    "accounts:billing_contact_decline",
    "accounts:billing_contact_welcome",
}


def portal_patterns():
    """(url name, its parameter names) for every pattern in the portal's namespaces."""
    found = []
    for resolver in get_resolver().url_patterns:
        if isinstance(resolver, URLResolver) and resolver.namespace in PORTAL_NAMESPACES:
            for pattern in resolver.url_patterns:
                if isinstance(pattern, URLPattern):
                    found.append((f"{resolver.namespace}:{pattern.name}", list(pattern.pattern.converters)))
    return found


def test_every_url_with_an_id_is_listed_here():
    with_ids = {name for name, params in portal_patterns() if params} - NOT_AN_OBJECT
    assert with_ids == set(OTHER_ACCOUNTS_OBJECT), "list the new view's object in OTHER_ACCOUNTS_OBJECT"


@pytest.mark.parametrize("url_name", sorted(OTHER_ACCOUNTS_OBJECT))
def test_another_accounts_object_is_404(contact_client, account, url_name):
    other = CompanyAccountFactory()
    url = reverse(url_name, args=[OTHER_ACCOUNTS_OBJECT[url_name](other)])
    answers = {
        contact_client.get(url).status_code,
        contact_client.post(url, {"comment": "x", "token": "x"}).status_code,
    }
    assert 404 in answers and answers <= {404, 405}, answers


def test_adding_another_accounts_quote_to_the_cart_changes_nothing(contact_client, account):
    foreign = SubmittedQuoteFactory(account=CompanyAccountFactory())
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [foreign.pk]})
    assert not Quote.objects.filter(pk=foreign.pk, carts__isnull=False).exists()


@pytest.mark.parametrize("url_name", sorted(name for name, params in portal_patterns() if not params))
def test_every_page_sends_the_security_headers(contact_client, account, url_name):
    response = contact_client.get(reverse(url_name))
    assert response.status_code in (200, 302, 405)
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
