import io
import threading
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from billing_portal import documents, pdf, tasks
from invoices import services
from invoices.documents import INVOICE_PDF, InvoicePdf
from invoices.models import Invoice
from invoices.tests.factories import InvoiceFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def renders(monkeypatch):
    """Counts PDF renders, still rendering for real."""
    calls = []
    original = InvoicePdf.render

    def counting(self, invoice):
        calls.append(invoice.pk)
        return original(self, invoice)

    monkeypatch.setattr(InvoicePdf, "render", counting)
    return calls


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_it_downloads_the_stored_pdf(contact_client, issued):
    documents.document_ensure(INVOICE_PDF, pk=issued.pk)
    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{issued.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert issued.number in PdfReader(io.BytesIO(_body(response))).pages[0].extract_text()


def test_print_opens_the_stored_pdf_in_the_browser(contact_client, issued):
    documents.document_ensure(INVOICE_PDF, pk=issued.pk)
    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]), {"view": "print"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{issued.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert issued.number in PdfReader(io.BytesIO(_body(response))).pages[0].extract_text()


def test_before_the_task_has_run_it_answers_at_once_and_queues_the_render(
    contact_client, issued, queued, never_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = time.monotonic()
        response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))
        elapsed = time.monotonic() - started

    assert response.status_code == 202
    assert response["Retry-After"] == "5"
    assert "This PDF is being prepared. Try again in a moment." in response.content.decode()
    assert elapsed < 1
    assert queued == [(INVOICE_PDF.kind, issued.pk)]


def test_after_the_task_has_run_the_download_serves_the_file(contact_client, issued, queued, renders):
    contact_client.get(reverse("invoices:pdf", args=[issued.pk]))
    tasks.document_prepare(INVOICE_PDF.kind, issued.pk)

    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert issued.number in PdfReader(io.BytesIO(_body(response))).pages[0].extract_text()
    assert renders == [issued.pk]
    assert Invoice.objects.get(pk=issued.pk).pdf.name == f"invoices/{issued.issue_date:%Y}/{issued.number}.pdf"


def test_repeated_downloads_queue_one_render(contact_client, issued, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            contact_client.get(reverse("invoices:pdf", args=[issued.pk]))
    assert queued == [(INVOICE_PDF.kind, issued.pk)]


def test_it_serves_a_stored_pdf_without_rendering(contact_client, issued, renders):
    documents.document_ensure(INVOICE_PDF, pk=issued.pk)
    renders.clear()

    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 200
    assert renders == []


def test_a_lost_stored_file_is_queued_for_rendering_again(
    contact_client, issued, queued, request, django_capture_on_commit_callbacks
):
    invoice = documents.document_ensure(INVOICE_PDF, pk=issued.pk)
    invoice.pdf.storage.delete(invoice.pdf.name)
    request.getfixturevalue("never_renders")

    with django_capture_on_commit_callbacks(execute=True):
        response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))

    assert response.status_code == 202
    assert queued == [(INVOICE_PDF.kind, issued.pk)]


def test_the_task_renders_a_lost_file_again(contact_client, issued, renders):
    invoice = documents.document_ensure(INVOICE_PDF, pk=issued.pk)
    invoice.pdf.storage.delete(invoice.pdf.name)

    tasks.document_prepare(INVOICE_PDF.kind, issued.pk)

    assert contact_client.get(reverse("invoices:pdf", args=[issued.pk])).status_code == 200
    assert renders == [issued.pk, issued.pk]


def test_a_credit_note_is_served_the_same_way(
    contact_client, issued, staff, queued, never_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        note = services.invoice_credit_note_issue(invoice=issued, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = contact_client.get(reverse("invoices:pdf", args=[note.pk]))
    assert response.status_code == 202
    assert queued == [(INVOICE_PDF.kind, note.pk)]


def test_a_document_over_the_line_limit_is_never_rendered(contact_client, issued, settings, queued, caplog):
    settings.PDF_MAX_LINES = 1

    response = contact_client.get(reverse("invoices:pdf", args=[issued.pk]))
    assert response.status_code == 503
    assert "This document is too long to be made into a PDF here." in response.content.decode()
    assert queued == []
    with pytest.raises(pdf.DocumentTooLarge):
        tasks.document_prepare(INVOICE_PDF.kind, issued.pk)
    assert f"Not rendering {issued.number}: 2 lines, more than PDF_MAX_LINES=1" in caplog.text
    assert not Invoice.objects.get(pk=issued.pk).pdf


def test_the_render_tasks_are_bounded_in_time():
    for task in (tasks.document_prepare, tasks.held_email_release):
        assert task.soft_time_limit == 120 and task.time_limit == 150
        assert SoftTimeLimitExceeded in task.dont_autoretry_for


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

    invoice = services.invoice_issue(
        invoice=draft_with_lines(account, lines=[(Decimal(1), Decimal(5), "Seat")]), actor=StaffFactory()
    )
    barrier = threading.Barrier(2)
    names = []

    def download():
        try:
            barrier.wait()
            names.append(documents.document_ensure(INVOICE_PDF, pk=invoice.pk).pdf.name)
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert renders == [invoice.pk]
    assert len(names) == 2 and names[0] == names[1]
