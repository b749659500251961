"""One sweep, one beat entry, for every e-mail held until its PDF is attached (receipts and invoices)."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import StaffFactory
from billing_portal import documents, tasks
from invoices import services
from invoices.documents import INVOICE_EMAIL
from invoices.models import InvoiceDelivery
from invoices.tests.factories import draft_with_lines
from quotes import services as quote_services
from quotes.documents import RECEIPT_EMAIL
from quotes.models import ServiceOrder
from quotes.tests.factories import SubmittedQuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - datetime.timedelta(minutes=10)


@pytest.fixture
def lost(account, contact, django_capture_on_commit_callbacks):
    """A placed order and an issued invoice whose release tasks never ran."""
    with django_capture_on_commit_callbacks():
        order = quote_services.service_order_place(
            order=draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)]),
            actor=contact,
        )
        invoice = services.invoice_issue(
            invoice=draft_with_lines(account, lines=[(Decimal("1"), Decimal("10.00"), "Support")]), actor=StaffFactory()
        )
    ServiceOrder.objects.filter(pk=order.pk).update(placed_at=LONG_AGO)
    InvoiceDelivery.objects.filter(invoice=invoice).update(created_at=LONG_AGO)
    return order, InvoiceDelivery.objects.get(invoice=invoice)


def test_the_sweep_finds_receipts_and_invoice_emails_alike(lost):
    order, delivery = lost
    assert sorted(documents.held_emails_pending()) == sorted(
        [(RECEIPT_EMAIL.kind, order.pk), (INVOICE_EMAIL.kind, delivery.pk)]
    )


def test_the_one_beat_task_sends_both_again_and_then_finds_nothing(lost, monkeypatch):
    order, delivery = lost
    sent = []
    monkeypatch.setattr(tasks.held_email_release, "delay", lambda *args: sent.append(args))
    assert tasks.held_emails_release_pending() == 2
    assert sorted(sent) == sorted([(RECEIPT_EMAIL.kind, order.pk), (INVOICE_EMAIL.kind, delivery.pk)])
    for kind, pk in sent:
        assert tasks.held_email_release(kind, pk) is True
    assert documents.held_emails_pending() == []


def test_a_draft_order_holds_no_receipt(account, contact):
    order = draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)])
    assert documents.held_email_release(RECEIPT_EMAIL, order.pk) is False
    order.refresh_from_db()
    assert order.receipt_released_at is None


def test_beat_runs_one_sweep_for_every_held_email():
    sweeps = [
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if "pending" in entry["task"].split(".")[-1]
    ]
    assert sweeps == ["billing_portal.tasks.held_emails_release_pending"]
