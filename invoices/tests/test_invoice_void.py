import pytest
from post_office.models import Email

from invoices import services
from invoices.models import InvoiceDelivery, InvoiceKind, InvoiceState

pytestmark = pytest.mark.django_db


def test_it_voids_an_open_invoice_and_issues_a_credit_note_for_the_full_amount(issued, staff):
    services.invoice_void(invoice=issued, actor=staff, reason="Duplicate")

    issued.refresh_from_db()
    assert issued.state == InvoiceState.VOID
    assert issued.voided_at is not None
    note = issued.credit_notes.get()
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.state == InvoiceState.ISSUED
    assert note.number.startswith("CN-")
    assert (note.subtotal, note.tax, note.total) == (-issued.subtotal, -issued.tax, -issued.total)
    assert [line.line_total for line in note.lines.all()] == [-line.line_total for line in issued.lines.all()]
    assert note.po_number == issued.po_number
    assert note.note == "Duplicate"


def test_it_leaves_the_issued_invoice_itself_unchanged(issued, staff):
    before = (
        issued.number,
        issued.total,
        issued.issue_date,
        list(issued.lines.values_list("description", "line_total")),
    )

    services.invoice_void(invoice=issued, actor=staff)

    issued.refresh_from_db()
    assert (
        issued.number,
        issued.total,
        issued.issue_date,
        list(issued.lines.values_list("description", "line_total")),
    ) == before


def test_it_emails_the_credit_note(issued, staff, recipients):
    services.invoice_void(invoice=issued, actor=staff)

    note = issued.credit_notes.get()
    email = Email.objects.get(pk=InvoiceDelivery.objects.get(invoice=note).email_id)
    assert note.number in email.subject and issued.number in email.subject
    assert sorted(email.to) == ["ap@acme.example", "billing@acme.example", "cfo@acme.example"]


def test_it_refuses_a_paid_invoice(issued, staff):
    services.invoice_mark_paid(invoice=issued, actor=staff)

    with pytest.raises(services.InvoiceError):
        services.invoice_void(invoice=issued, actor=staff)


def test_it_refuses_a_draft(draft, staff):
    with pytest.raises(services.InvoiceError):
        services.invoice_void(invoice=draft, actor=staff)


def test_it_refuses_a_credit_note(issued, staff):
    services.invoice_void(invoice=issued, actor=staff)

    with pytest.raises(services.InvoiceError):
        services.invoice_void(invoice=issued.credit_notes.get(), actor=staff)
