import pytest
from django.urls import reverse

from billing_portal import documents, tasks
from quotes import services
from quotes.documents import RECEIPT_PDF

from .helpers import draft_order

pytestmark = pytest.mark.django_db


def url(order):
    return reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk})


def test_before_the_task_has_run_it_answers_at_once_and_queues_the_render(
    contact_client, account, contact, open_quote, queued, never_renders, django_capture_on_commit_callbacks
):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = contact_client.get(url(order))
    assert response.status_code == 202
    assert "This PDF is being prepared. Try again in a moment." in response.content.decode()
    assert queued == [(RECEIPT_PDF.kind, order.pk)]


def test_after_the_task_has_run_it_serves_the_receipt(contact_client, account, contact, open_quote, queued):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    contact_client.get(url(order))
    tasks.document_prepare(RECEIPT_PDF.kind, order.pk)

    response = contact_client.get(url(order))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{order.receipt_number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    order.refresh_from_db()
    assert order.receipt_pdf


def test_the_confirmation_links_to_it(contact_client, account, contact, open_quote):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert "Download receipt (PDF)" in page
    assert url(order) in page


def test_it_is_404_for_a_draft(contact_client, account, contact, open_quote):
    assert (
        contact_client.get(url(draft_order(account=account, contact=contact, quotes=[open_quote]))).status_code == 404
    )


def test_it_is_404_for_another_account(client, account, contact, open_quote, other_account):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    client.force_login(other_account.billing_contact)
    assert client.get(url(order)).status_code == 404


def test_a_lost_stored_receipt_is_queued_and_rendered_again_by_the_task(
    contact_client, account, contact, open_quote, queued, django_capture_on_commit_callbacks
):
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    order = documents.document_ensure(RECEIPT_PDF, pk=order.pk)
    order.receipt_pdf.storage.delete(order.receipt_pdf.name)

    with django_capture_on_commit_callbacks(execute=True):
        assert contact_client.get(url(order)).status_code == 202
    assert queued == [(RECEIPT_PDF.kind, order.pk)]
    tasks.document_prepare(RECEIPT_PDF.kind, order.pk)

    response = contact_client.get(url(order))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
