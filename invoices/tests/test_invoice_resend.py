import pytest
from django.core import mail

from billing_portal import emails, tasks
from invoices import services
from invoices.documents import INVOICE_EMAIL
from invoices.models import InvoiceDelivery

pytestmark = pytest.mark.django_db


def test_it_emails_the_invoice_again_to_todays_recipients(issued, staff, account, django_capture_on_commit_callbacks):
    from accounts.models import InvoiceRecipient

    InvoiceRecipient.objects.create(account=account, email="new@acme.example")

    (delivery,) = services.invoice_resend(invoice=issued, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.held_email_release(INVOICE_EMAIL.kind, delivery.pk)
    emails.deliver_due()

    assert InvoiceDelivery.objects.filter(invoice=issued).count() == 2
    (message,) = mail.outbox
    assert sorted(message.to) == ["billing@acme.example", "new@acme.example"]
    assert message.attachments[0][0] == f"{issued.number}.pdf"


def test_it_refuses_a_draft(draft, staff):
    with pytest.raises(services.InvoiceError):
        services.invoice_resend(invoice=draft, actor=staff)
    assert not InvoiceDelivery.objects.exists()
