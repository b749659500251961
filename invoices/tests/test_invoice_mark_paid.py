import pytest

from accounts.models import AuditEntry
from invoices import services
from invoices.models import InvoiceState

pytestmark = pytest.mark.django_db


def test_it_marks_an_open_invoice_paid(issued, staff):
    services.invoice_mark_paid(invoice=issued, actor=staff)

    issued.refresh_from_db()
    assert issued.state == InvoiceState.PAID
    assert issued.paid_at is not None
    assert AuditEntry.objects.get(action="invoice_mark_paid").changes["state"] == ["issued", "paid"]


def test_it_refuses_a_draft(draft, staff):
    with pytest.raises(services.InvoiceError):
        services.invoice_mark_paid(invoice=draft, actor=staff)


def test_it_refuses_a_paid_invoice(issued, staff):
    services.invoice_mark_paid(invoice=issued, actor=staff)

    with pytest.raises(services.InvoiceError):
        services.invoice_mark_paid(invoice=issued, actor=staff)


def test_it_refuses_a_void_invoice(issued, staff):
    services.invoice_void(invoice=issued, actor=staff)

    with pytest.raises(services.InvoiceError):
        services.invoice_mark_paid(invoice=issued, actor=staff)
