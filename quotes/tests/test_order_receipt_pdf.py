import pytest
from django.urls import reverse

from quotes import services

from .helpers import draft_order

pytestmark = pytest.mark.django_db


def url(order):
    return reverse("quotes:order_receipt_pdf", kwargs={"pk": order.pk})


def test_it_serves_the_receipt_rendering_it_if_the_task_has_not_run(contact_client, account, contact, open_quote):
    order = services.service_order_place(order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact)
    response = contact_client.get(url(order))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{order.receipt_number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    order.refresh_from_db()
    assert order.receipt_pdf


def test_the_confirmation_links_to_it(contact_client, account, contact, open_quote):
    order = services.service_order_place(order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact)
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert "Download receipt (PDF)" in page
    assert url(order) in page


def test_it_is_404_for_a_draft(contact_client, account, contact, open_quote):
    assert contact_client.get(url(draft_order(account=account, contact=contact, quotes=[open_quote]))).status_code == 404


def test_it_is_404_for_another_account(client, account, contact, open_quote, other_account):
    order = services.service_order_place(order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact)
    client.force_login(other_account.billing_contact)
    assert client.get(url(order)).status_code == 404


@pytest.mark.django_db
def test_a_lost_stored_receipt_is_rendered_again(contact_client, account, contact):
    from quotes import services as quote_services
    from quotes.tests.factories import SubmittedQuoteFactory
    from quotes.tests.helpers import draft_order

    order = quote_services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)]), actor=contact
    )
    order = quote_services.receipt_pdf_ensure(order_id=order.pk)
    order.receipt_pdf.storage.delete(order.receipt_pdf.name)
    response = contact_client.get(reverse("quotes:order_receipt_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
