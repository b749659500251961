import io
import threading

import pytest
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from invoices import services
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """Counts PDF renders, still rendering for real."""
    calls = []
    original = services.invoice_pdf_render

    def counting(invoice):
        calls.append(invoice.pk)
        return original(invoice)

    monkeypatch.setattr(services, "invoice_pdf_render", counting)
    return calls


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_downloads_the_invoice_as_a_pdf(contact_client, issued):
    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    assert issued.number in PdfReader(io.BytesIO(_body(response))).pages[0].extract_text()


def test_it_renders_once_when_the_task_has_not_run_yet_and_stores_the_file(contact_client, issued, renders):
    first = _body(contact_client.get(reverse("invoices:pdf", args=[issued.pk])))
    second = _body(contact_client.get(reverse("invoices:pdf", args=[issued.pk])))

    assert renders == [issued.pk]
    assert first == second
    assert Invoice.objects.get(pk=issued.pk).pdf.name == f"invoices/{issued.issue_date:%Y}/{issued.number}.pdf"


def test_it_serves_a_stored_pdf_without_rendering(contact_client, issued, renders):
    services.invoice_pdf_ensure(invoice_id=issued.pk)
    renders.clear()

    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert renders == []


def test_it_renders_again_when_the_stored_file_is_gone(contact_client, issued, renders):
    invoice = services.invoice_pdf_ensure(invoice_id=issued.pk)
    invoice.pdf.storage.delete(invoice.pdf.name)

    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert issued.number in PdfReader(io.BytesIO(_body(response))).pages[0].extract_text()
    assert renders == [issued.pk, issued.pk]


def test_it_is_404_for_another_accounts_pdf(contact_client, other_account, renders):
    invoice = IssuedInvoiceFactory(account=other_account)

    assert contact_client.get(reverse("invoices:pdf", args=[invoice.pk])).status_code == 404
    assert renders == []


def test_it_is_404_for_a_draft(contact_client, account):
    invoice = InvoiceFactory(account=account)

    assert contact_client.get(reverse("invoices:pdf", args=[invoice.pk])).status_code == 404


def test_it_requires_a_signed_in_billing_contact(client, issued):
    assert client.get(reverse("invoices:pdf", args=[issued.pk])).status_code == 302


def test_it_rejects_post(contact_client, issued):
    assert contact_client.post(reverse("invoices:pdf", args=[issued.pk])).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_downloads_render_once(account, renders):
    from decimal import Decimal

    from accounts.tests.factories import StaffFactory
    from invoices.tests.factories import draft_with_lines

    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=[(Decimal(1), Decimal(5), "Seat")]),
                                     actor=StaffFactory())
    barrier = threading.Barrier(2)
    names = []

    def download():
        try:
            barrier.wait()
            names.append(services.invoice_pdf_ensure(invoice_id=invoice.pk).pdf.name)
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert renders == [invoice.pk]
    assert len(names) == 2 and names[0] == names[1]
