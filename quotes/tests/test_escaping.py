"""HTML and script in every free-text field come out escaped in the portal, the admin and the e-mails."""

import pytest
from django.urls import reverse
from post_office.models import Email

from accounts import services as account_services
from accounts.audit import AuditAction
from quotes import services
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;"


def assert_escaped(html: str) -> None:
    assert HOSTILE not in html and "<script>alert" not in html and "<img src=x" not in html
    assert ESCAPED in html


def test_a_decline_comment(contact_client, admin_client, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    services.quote_decline(quote=quote, actor=contact, comment=HOSTILE)
    assert_escaped(contact_client.get(reverse("quotes:detail", args=[quote.pk])).content.decode())
    assert_escaped(admin_client.get(reverse("admin:quotes_quote_change", args=[quote.pk])).content.decode())
    notice = Email.objects.get(to=[quote.account_manager.email])
    assert_escaped(notice.html_message)


def test_names_addresses_and_po_numbers(contact_client, admin_client, account, contact):
    account_services.account_update(
        account=account,
        actor=contact,
        action=AuditAction.ADDRESS_UPDATE,
        values={"address_line1": HOSTILE, "city": HOSTILE, "po_number": HOSTILE[:60]},
    )
    assert_escaped(contact_client.get(reverse("accounts:billing")).content.decode())
    quote = SubmittedQuoteFactory(account=account)
    order = services.service_order_draft_create(
        account=account,
        actor=contact,
        quote_ids=[quote.pk],
        admin_name=HOSTILE,
        admin_email="pat@customer.example",
        admin_phone="",
    )
    assert_escaped(contact_client.get(reverse("quotes:order_review", args=[order.pk])).content.decode())
    services.service_order_place(order=order, actor=contact)
    assert_escaped(contact_client.get(reverse("quotes:order_confirmation", args=[order.pk])).content.decode())
    assert_escaped(Email.objects.get(to=[contact.email]).html_message)
    assert_escaped(
        admin_client.get(reverse("admin:accounts_companyaccount_change", args=[account.pk])).content.decode()
    )


def test_a_request_message(contact_client, admin_client, account, contact, settings):
    account_request = account_services.account_request_create(
        account=account, contact=contact, kind="other", message=HOSTILE
    )
    assert_escaped(Email.objects.get(to=[settings.CAS_EMAIL]).html_message)
    assert_escaped(
        admin_client.get(reverse("admin:accounts_accountrequest_change", args=[account_request.pk])).content.decode()
    )
