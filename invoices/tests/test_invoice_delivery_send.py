import datetime

import pytest
from django.core import mail
from django.utils import timezone

from billing_portal import documents, emails, tasks
from invoices.documents import INVOICE_EMAIL, InvoicePdf
from invoices.models import InvoiceDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    calls = []
    original = InvoicePdf.render

    def counting(self, invoice):
        calls.append(invoice.pk)
        return original(self, invoice)

    monkeypatch.setattr(InvoicePdf, "render", counting)
    return calls


def test_running_the_task_twice_renders_once_and_sends_one_email(issued, renders, django_capture_on_commit_callbacks):
    delivery = InvoiceDelivery.objects.get(invoice=issued)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.held_email_release(INVOICE_EMAIL.kind, delivery.pk) is True
        assert tasks.held_email_release(INVOICE_EMAIL.kind, delivery.pk) is False
    emails.deliver_due()

    assert renders == [issued.pk]
    assert len(mail.outbox) == 1


def test_a_held_email_is_not_sent_before_its_pdf_is_attached(issued):
    emails.deliver_due()

    assert mail.outbox == []


def test_the_sweep_finds_deliveries_whose_task_never_ran(issued):
    delivery = InvoiceDelivery.objects.get(invoice=issued)
    InvoiceDelivery.objects.filter(pk=delivery.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=10))

    assert documents.held_emails_pending() == [(INVOICE_EMAIL.kind, delivery.pk)]


def test_the_sweep_ignores_fresh_and_released_deliveries(issued):
    assert documents.held_emails_pending() == []
