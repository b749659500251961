import pytest

from invoices import services
from invoices.models import InvoiceState

pytestmark = pytest.mark.django_db


def test_it_corrects_a_paid_invoice_which_stays_paid(issued, staff):
    services.invoice_mark_paid(invoice=issued, actor=staff)

    note = services.invoice_credit_note_issue(invoice=issued, actor=staff, reason="Refund")

    issued.refresh_from_db()
    assert issued.state == InvoiceState.PAID
    assert note.corrects == issued
    assert note.total == -issued.total


def test_it_voids_an_open_invoice_it_corrects(issued, staff):
    services.invoice_credit_note_issue(invoice=issued, actor=staff)

    issued.refresh_from_db()
    assert issued.state == InvoiceState.VOID


def test_it_refuses_a_second_credit_note(issued, staff):
    services.invoice_mark_paid(invoice=issued, actor=staff)
    services.invoice_credit_note_issue(invoice=issued, actor=staff)

    with pytest.raises(services.InvoiceError):
        services.invoice_credit_note_issue(invoice=issued, actor=staff)


def test_it_refuses_a_draft(draft, staff):
    with pytest.raises(services.InvoiceError):
        services.invoice_credit_note_issue(invoice=draft, actor=staff)
