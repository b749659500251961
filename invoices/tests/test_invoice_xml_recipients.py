"""Recipients who want the e-invoice get the invoice e-mail with the XML too; everybody gets exactly one e-mail."""

import pytest
from django.core import mail
from lxml import etree

from accounts.models import InvoiceRecipient
from billing_portal import emails, tasks
from invoices import services
from invoices.documents import INVOICE_EMAIL
from invoices.models import InvoiceDelivery

pytestmark = pytest.mark.django_db


def _send(deliveries, django_capture_on_commit_callbacks):
    for delivery in deliveries:
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.held_email_release(INVOICE_EMAIL.kind, delivery.pk) is True
    emails.deliver_due()


def _attachments_by_recipient() -> dict[str, list[str]]:
    received = {}
    for message in mail.outbox:
        for address in message.to:
            assert address not in received, f"{address} got two e-mails"
            received[address] = sorted(name for name, _content, _mime in message.attachments)
    return received


@pytest.fixture
def mixed(account):
    """The contact and one recipient want the XML; two recipients (one listed in other case) do not."""
    account.contact_wants_xml = True
    account.save(update_fields=["contact_wants_xml"])
    InvoiceRecipient.objects.create(account=account, email="ap@acme.example", wants_xml=True)
    InvoiceRecipient.objects.create(account=account, email="cfo@acme.example")
    InvoiceRecipient.objects.create(account=account, email="Controller@acme.example")


def test_on_issue_those_who_want_the_xml_get_pdf_and_xml_and_the_rest_the_pdf(
    draft, staff, mixed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_issue(invoice=draft, actor=staff)
    deliveries = list(InvoiceDelivery.objects.filter(invoice=invoice).order_by("pk"))
    _send(deliveries, django_capture_on_commit_callbacks)

    pdf, xml = f"{invoice.number}.pdf", f"{invoice.number}.xml"
    assert _attachments_by_recipient() == {
        "billing@acme.example": [pdf, xml],
        "ap@acme.example": [pdf, xml],
        "cfo@acme.example": [pdf],
        "Controller@acme.example": [pdf],
    }
    assert [sorted(delivery.recipients) for delivery in deliveries] == [
        ["Controller@acme.example", "cfo@acme.example"],
        ["ap@acme.example", "billing@acme.example"],
    ]
    assert all(delivery.released_at for delivery in InvoiceDelivery.objects.filter(invoice=invoice))
    (with_xml,) = [message for message in mail.outbox if len(message.attachments) == 2]
    name, content, mime_type = next(part for part in with_xml.attachments if part[0] == xml)
    assert mime_type == "application/xml"
    assert etree.fromstring(content).findtext(".//{*}ExchangedDocument/{*}ID") == invoice.number


def test_on_resend_the_same_split_holds_with_todays_choices(
    issued, staff, account, mixed, django_capture_on_commit_callbacks
):
    InvoiceRecipient.objects.filter(email="cfo@acme.example").update(wants_xml=True)
    account.contact_wants_xml = False
    account.save(update_fields=["contact_wants_xml"])

    deliveries = services.invoice_resend(invoice=issued, actor=staff)
    _send(deliveries, django_capture_on_commit_callbacks)

    pdf, xml = f"{issued.number}.pdf", f"{issued.number}.xml"
    assert _attachments_by_recipient() == {
        "billing@acme.example": [pdf],
        "Controller@acme.example": [pdf],
        "ap@acme.example": [pdf, xml],
        "cfo@acme.example": [pdf, xml],
    }
    assert len(deliveries) == 2


@pytest.mark.parametrize("everybody_wants_xml", [False, True])
def test_one_email_when_everybody_wants_the_same(
    draft, staff, account, recipients, everybody_wants_xml, django_capture_on_commit_callbacks
):
    account.contact_wants_xml = everybody_wants_xml
    account.save(update_fields=["contact_wants_xml"])
    InvoiceRecipient.objects.update(wants_xml=everybody_wants_xml)

    invoice = services.invoice_issue(invoice=draft, actor=staff)
    (delivery,) = InvoiceDelivery.objects.filter(invoice=invoice)
    _send([delivery], django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    assert sorted(message.to) == ["ap@acme.example", "billing@acme.example", "cfo@acme.example"]
    expected = [f"{invoice.number}.pdf", f"{invoice.number}.xml"] if everybody_wants_xml else [f"{invoice.number}.pdf"]
    assert sorted(name for name, _content, _mime in message.attachments) == expected


def test_an_address_listed_twice_gets_one_email_with_the_xml_if_either_entry_asks(
    draft, staff, account, django_capture_on_commit_callbacks
):
    InvoiceRecipient.objects.create(account=account, email="BILLING@acme.example", wants_xml=True)
    InvoiceRecipient.objects.create(account=account, email="cfo@acme.example")

    invoice = services.invoice_issue(invoice=draft, actor=staff)
    _send(InvoiceDelivery.objects.filter(invoice=invoice).order_by("pk"), django_capture_on_commit_callbacks)

    assert _attachments_by_recipient() == {
        "billing@acme.example": [f"{invoice.number}.pdf", f"{invoice.number}.xml"],
        "cfo@acme.example": [f"{invoice.number}.pdf"],
    }


def test_a_credit_note_goes_with_its_xml_to_those_who_want_it(
    issued, staff, account, mixed, django_capture_on_commit_callbacks
):
    services.invoice_void(invoice=issued, actor=staff, reason="Wrong seat count")
    note = issued.credit_notes.get()
    _send(InvoiceDelivery.objects.filter(invoice=note).order_by("pk"), django_capture_on_commit_callbacks)

    assert _attachments_by_recipient()["ap@acme.example"] == [f"{note.number}.pdf", f"{note.number}.xml"]
    assert _attachments_by_recipient()["cfo@acme.example"] == [f"{note.number}.pdf"]
