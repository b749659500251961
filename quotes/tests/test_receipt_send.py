import io

import pytest
from post_office.models import Email
from pypdf import PdfReader

from billing_portal import documents, emails
from billing_portal.celery import app
from quotes import services
from quotes.documents import RECEIPT_EMAIL, RECEIPT_PDF
from quotes.models import ServiceOrder

from .helpers import draft_order, emails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(account, contact, open_quote):
    return services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_receipt_email_is_held_until_its_pdf_is_attached(placed, contact):
    [email] = emails_to(contact.email)
    assert email.scheduled_time == emails.HELD_UNTIL
    assert placed.receipt_email_id == email.pk


def test_it_renders_the_pdf_once_and_releases_the_email_with_it(placed, contact):
    assert documents.held_email_release(RECEIPT_EMAIL, placed.pk) is True
    placed.refresh_from_db()
    content = placed.receipt_pdf.read()
    text = pdf_text(content)
    assert placed.receipt_number in text
    assert "Pat Admin" in text
    email = Email.objects.get(pk=placed.receipt_email_id)
    assert email.scheduled_time is None
    assert [a.name for a in email.attachments.all()] == [f"{placed.receipt_number}.pdf"]


def test_a_second_run_does_nothing(placed):
    documents.held_email_release(RECEIPT_EMAIL, placed.pk)
    assert documents.held_email_release(RECEIPT_EMAIL, placed.pk) is False
    assert Email.objects.get(pk=placed.receipt_email_id).attachments.count() == 1


def test_placing_runs_it_on_commit(account, contact, open_quote, django_capture_on_commit_callbacks):
    order = draft_order(account=account, contact=contact, quotes=[open_quote])
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.service_order_place(order=order, actor=contact)
    finally:
        app.conf.task_always_eager = False
    order.refresh_from_db()
    assert order.receipt_pdf
    assert Email.objects.get(pk=order.receipt_email_id).attachments.count() == 1


def test_the_sweep_finds_receipts_whose_task_never_ran(placed):
    ServiceOrder.objects.filter(pk=placed.pk).update(
        placed_at=placed.placed_at - __import__("datetime").timedelta(minutes=10)
    )
    assert documents.held_emails_pending() == [(RECEIPT_EMAIL.kind, placed.pk)]
    documents.held_email_release(RECEIPT_EMAIL, placed.pk)
    assert documents.held_emails_pending() == []


def test_it_renders_german_for_a_german_account(account, contact, open_quote):
    account.language = "de"
    account.save(update_fields=["language"])
    order = services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    assert "Quittung" in pdf_text(RECEIPT_PDF.render(order))
