import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import InvoiceRecipient
from accounts.tests.factories import StaffFactory
from invoices import services as invoice_services
from invoices.tests.factories import draft_with_lines
from quotes import services as quote_services
from quotes.tests.factories import SubmittedQuoteFactory, overdue
from quotes.tests.helpers import draft_order

PASSWORD = "correct-horse-battery"


@pytest.fixture
def portal(contact, account, terms, django_capture_on_commit_callbacks):
    """One account with a quote and an invoice in every state the portal shows, and the URLs of their pages."""
    contact.set_password(PASSWORD)
    contact.save(update_fields=["password"])
    staff = StaffFactory(username="cas-admin", is_superuser=True)
    staff.set_password(PASSWORD)
    staff.save(update_fields=["password"])
    lines = [(None, 25, Decimal("1234567.89")), (None, 3, Decimal("19.99"))]

    open_quote = SubmittedQuoteFactory(account=account, lines=lines, notes="Includes onboarding.")
    expiring = SubmittedQuoteFactory(account=account, submitted_at=timezone.now() - datetime.timedelta(days=6, hours=2))
    in_cart = SubmittedQuoteFactory(account=account)
    quote_services.cart_add(account=account, contact=contact, quote_ids=[in_cart.pk, expiring.pk])
    accepted = SubmittedQuoteFactory(account=account, lines=lines)
    with django_capture_on_commit_callbacks():
        placed = quote_services.service_order_place(
            order=draft_order(account=account, contact=contact, quotes=[accepted]), actor=contact
        )
    review = draft_order(account=account, contact=contact, quotes=[open_quote])
    declined = quote_services.quote_decline(
        quote=SubmittedQuoteFactory(account=account), actor=contact, comment="Too many seats this year."
    )
    expired = overdue(SubmittedQuoteFactory(account=account), by=datetime.timedelta(days=2))
    withdrawn = quote_services.quote_withdraw(quote=SubmittedQuoteFactory(account=account), actor=staff)

    invoice_lines = [(Decimal("25"), Decimal("1234567.89"), "Team plan, annual subscription for 25 seats")]

    def issued(**fields):
        with django_capture_on_commit_callbacks():
            return invoice_services.invoice_issue(
                invoice=draft_with_lines(account, lines=invoice_lines, tax_rate=Decimal("19.00"), **fields), actor=staff
            )

    open_invoice = issued()
    overdue_invoice = issued()
    overdue_invoice.due_date = timezone.localdate() - datetime.timedelta(days=12)
    overdue_invoice.save(update_fields=["due_date"])
    paid = invoice_services.invoice_mark_paid(invoice=issued(), actor=staff)
    void = issued()
    with django_capture_on_commit_callbacks():
        invoice_services.invoice_void(invoice=void, actor=staff, reason="Wrong seat count")
    credit_note = void.credit_notes.get()

    # An invoice recipient who gets the XML too: the Billing page shows the choice ticked.
    recipient = InvoiceRecipient.objects.create(account=account, email="ap@acme.example", wants_xml=True)

    reset_path = f"/password-reset/{urlsafe_base64_encode(force_bytes(contact.pk))}/"
    reset_path += f"{default_token_generator.make_token(contact)}/"
    return {
        "password": PASSWORD,
        "contact": contact,
        "account": account,
        "staff": staff,
        "reset": reset_path,
        "recipient": recipient,
        "quotes": {
            "open": open_quote,
            "expiring": expiring,
            "accepted": accepted,
            "declined": declined,
            "expired": expired,
            "withdrawn": withdrawn,
        },
        "order_review": f"/quotes/orders/{review.pk}/",
        "confirmation": f"/quotes/orders/{placed.pk}/confirmation/",
        "invoices": {
            "open": open_invoice,
            "overdue": overdue_invoice,
            "paid": paid,
            "void": void,
            "credit note": credit_note,
        },
    }
