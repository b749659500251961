import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from post_office.models import Email
from pypdf import PdfReader

from accounts.models import AuditEntry
from billing_portal import emails, tasks
from invoices import services
from invoices.documents import INVOICE_EMAIL
from invoices.models import Invoice, InvoiceDelivery, InvoiceState
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db


def test_it_issues_a_draft_with_number_dates_and_totals_computed_from_the_lines(draft, staff):
    invoice = services.invoice_issue(invoice=draft, actor=staff)

    invoice.refresh_from_db()
    today = timezone.localdate()
    assert invoice.state == InvoiceState.ISSUED
    assert invoice.number == f"INV-{today.year}-00001"
    assert invoice.issue_date == today
    assert invoice.due_date == today + datetime.timedelta(days=30)
    assert invoice.subtotal == Decimal("1259.97")
    assert invoice.tax == Decimal("239.39")  # 19 % of 1259.97 = 239.3943, rounded half up to cents
    assert invoice.total == Decimal("1499.36")
    assert [line.line_total for line in invoice.lines.all()] == [Decimal("1200.00"), Decimal("59.97")]


def test_it_snapshots_the_billing_address_po_number_and_user_id(draft, staff, account):
    invoice = services.invoice_issue(invoice=draft, actor=staff)
    account.po_number = "PO-CHANGED"
    account.address_line1 = "2 Other Street"
    account.save()

    invoice.refresh_from_db()
    assert invoice.po_number == "PO-7788"
    assert invoice.billing_address.splitlines()[0] == "1 Main Street"
    assert invoice.billing_name == account.name
    assert invoice.account_number == account.number
    assert invoice.contact_user_id == "acme-billing"
    assert invoice.currency == "USD"


def test_it_numbers_invoices_without_gaps(account, staff):
    first = services.invoice_issue(invoice=draft_with_lines(account), actor=staff)
    second = services.invoice_issue(invoice=draft_with_lines(account), actor=staff)

    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_it_records_who_issued_it(draft, staff):
    invoice = services.invoice_issue(invoice=draft, actor=staff)

    entry = AuditEntry.objects.get(action="invoice_issue", object_id=invoice.pk)
    assert entry.actor == staff
    assert entry.changes["state"] == ["draft", "issued"]


def test_it_refuses_to_issue_an_issued_invoice(issued, staff):
    with pytest.raises(services.InvoiceError):
        services.invoice_issue(invoice=issued, actor=staff)


def test_it_refuses_to_issue_a_draft_without_lines(account, staff):
    draft = draft_with_lines(account, lines=[])

    with pytest.raises(services.InvoiceError):
        services.invoice_issue(invoice=draft, actor=staff)
    draft.refresh_from_db()
    assert draft.state == InvoiceState.DRAFT
    assert draft.number is None


def test_it_queues_one_held_email_to_the_contact_and_every_recipient(draft, staff, recipients):
    invoice = services.invoice_issue(invoice=draft, actor=staff)

    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    email = Email.objects.get(pk=delivery.email_id)
    assert sorted(email.to) == ["ap@acme.example", "billing@acme.example", "cfo@acme.example"]
    assert email.scheduled_time == emails.HELD_UNTIL
    assert invoice.number in email.subject


def test_it_emails_the_pdf_to_the_contact_and_all_recipients_after_commit(
    draft, staff, recipients, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invoice = services.invoice_issue(invoice=draft, actor=staff)
    assert callbacks, "the PDF task is enqueued on commit"

    delivery = InvoiceDelivery.objects.get(invoice=invoice)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.held_email_release(INVOICE_EMAIL.kind, delivery.pk) is True
    emails.deliver_due()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["ap@acme.example", "billing@acme.example", "cfo@acme.example"]
    assert "acme-billing" in message.body  # the contact's User ID
    assert "http://testserver" in message.body  # the portal's address
    html = message.alternatives[0][0]
    assert "acme-billing" in html and "http://testserver" in html
    ((name, content, mime_type),) = message.attachments
    assert name == f"{invoice.number}.pdf"
    assert mime_type == "application/pdf"
    assert invoice.number in PdfReader(io.BytesIO(content)).pages[0].extract_text()
    delivery.refresh_from_db()
    assert delivery.released_at is not None
    assert Invoice.objects.get(pk=invoice.pk).pdf


def test_it_writes_the_email_in_the_accounts_language(draft, staff, account, django_capture_on_commit_callbacks):
    account.language = "de"
    account.save(update_fields=["language"])

    invoice = services.invoice_issue(invoice=draft, actor=staff)

    email = Email.objects.get(pk=InvoiceDelivery.objects.get(invoice=invoice).email_id)
    assert email.subject.startswith("Rechnung")
    assert "Benutzer-ID" in email.message


def test_nothing_is_queued_when_issuing_fails(account, staff):
    draft = draft_with_lines(account, lines=[])

    with pytest.raises(services.InvoiceError):
        services.invoice_issue(invoice=draft, actor=staff)
    assert not InvoiceDelivery.objects.exists()
    assert not Email.objects.exists()
