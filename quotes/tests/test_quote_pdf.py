"""A submitted quote as a PDF: rendered once by a task, downloaded from the quote page."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.tests.factories import CompanyAccountFactory, StaffFactory
from billing_portal import documents, tasks
from quotes import services
from quotes.documents import QUOTE_PDF
from quotes.models import QUOTE_VALIDITY, QuoteState
from quotes.tests.factories import ProductFactory, QuoteFactory, SubmittedQuoteFactory, overdue

from .helpers import draft_order

pytestmark = pytest.mark.django_db

SUBMITTED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # valid until 9 March, 15:00 UTC: after the DST change in the US


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _quote(account, **values):
    manager = StaffFactory(first_name="Morgan", last_name="Lee", email="morgan.lee@seller.example")
    return SubmittedQuoteFactory(
        account=account,
        account_manager=manager,
        submitted_at=SUBMITTED,
        expires_at=SUBMITTED + QUOTE_VALIDITY,
        notes="Includes onboarding for two teams.",
        lines=[
            (ProductFactory(sku="RS-100", name="Remote Support Pro"), 10, Decimal("1200.00")),
            (ProductFactory(sku="ST-200", name="Storage Plus"), 2, Decimal("50.00")),
        ],
        **values,
    )


def url(quote):
    return reverse("quotes:pdf", kwargs={"pk": quote.pk})


def test_the_pdf_shows_seller_buyer_dates_manager_lines_totals_notes_and_terms(settings):
    account = CompanyAccountFactory(name="Acme Corp.", sales_tax_rate=Decimal("8.875"))
    text = _text(QUOTE_PDF.render(_quote(account)))

    assert settings.SELLER_NAME in text
    assert "Acme Corp." in text and "1 Main Street" in text and account.number in text
    assert "Quote number" in text and "Submitted" in text and "Valid until" in text
    assert "Morgan Lee" in text and "morgan.lee@seller.example" in text
    assert "Remote Support Pro" in text and "Storage Plus" in text and "12 months" in text
    assert "1,200.00" in text and "12,000.00" in text and "100.00" in text
    assert "$12,100.00" in text  # net
    assert "Sales tax 8.875 %" in text and "$1,073.88" in text
    assert "$13,173.88" in text  # gross
    assert "Includes onboarding for two teams." in text
    # 15:00 UTC is 11:00 in New York (daylight saving time since 8 March).
    assert "Submitted March 2, 2026, 10 a.m. EST" in text
    assert (
        "This quote is valid until March 9, 2026, 11 a.m. EDT (America/New_York). "
        "Accepting it in the portal places a binding order."
    ) in " ".join(text.split())
    assert "Page 1 of 1" in text


def test_the_pdf_of_a_german_account_is_in_german_with_its_vat_id_and_time_zone():
    account = CompanyAccountFactory(
        name="Beispiel GmbH",
        country="DE",
        currency="EUR",
        language="de",
        vat_id="DE136695976",
        postal_code="10115",
        city="Berlin",
        region="",
    )
    text = " ".join(_text(QUOTE_PDF.render(_quote(account))).split())

    for label in ["Angebot", "Übermittelt", "Kundenbetreuer", "Einzelpreis", "Netto", "Seite 1 von 1"]:
        assert label in text, label
    assert "Beispiel GmbH" in text and "USt-IdNr.: DE136695976" in text
    assert "12 Monate" in text
    assert "12.100,00 €" in text and "USt. 19 %" in text and "2.299,00 €" in text and "14.399,00 €" in text
    # 15:00 UTC is 16:00 in Berlin, in German.
    assert "Übermittelt 2. März 2026 16:00 CET" in text
    assert "9. März 2026 16:00 CET (Europe/Berlin)" in text


def test_a_draft_has_no_pdf(account):
    with pytest.raises(services.QuoteError):
        documents.document_ensure(QUOTE_PDF, pk=QuoteFactory(account=account).pk)


def test_before_the_task_has_run_it_answers_at_once_and_queues_the_render(
    contact_client, open_quote, queued, never_renders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = contact_client.get(url(open_quote))
    assert response.status_code == 202
    assert "This PDF is being prepared. Try again in a moment." in response.content.decode()
    assert queued == [(QUOTE_PDF.kind, open_quote.pk)]


def test_after_the_task_has_run_it_serves_the_stored_pdf_privately(contact_client, open_quote, queued):
    tasks.document_prepare(QUOTE_PDF.kind, open_quote.pk)

    response = contact_client.get(url(open_quote))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert f'filename="{open_quote.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_it_is_rendered_once_and_kept_when_the_quote_is_decided(contact_client, open_quote, contact, queued):
    stored = documents.document_ensure(QUOTE_PDF, pk=open_quote.pk).pdf.name
    services.quote_decline(quote=open_quote, actor=contact, comment="Too expensive.")

    tasks.document_prepare(QUOTE_PDF.kind, open_quote.pk)

    open_quote.refresh_from_db()
    assert open_quote.pdf.name == stored
    assert contact_client.get(url(open_quote)).status_code == 200


def test_an_accepted_quote_has_a_download(contact_client, account, contact, open_quote, queued):
    services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[open_quote]), actor=contact
    )
    open_quote.refresh_from_db()
    assert open_quote.state == QuoteState.ACCEPTED
    assert contact_client.get(url(open_quote)).status_code == 202
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()
    assert url(open_quote) in page


def test_the_quote_page_links_to_it(contact_client, open_quote):
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": open_quote.pk})).content.decode()
    assert "Download PDF" in page
    assert url(open_quote) in page


@pytest.mark.parametrize("made", ["draft", "expired", "overdue", "withdrawn"])
def test_it_is_404_and_not_offered_for_a_quote_that_offers_nothing(contact_client, account, made):
    if made == "draft":
        quote = QuoteFactory(account=account)
    else:
        quote = SubmittedQuoteFactory(account=account)
        if made == "overdue":
            overdue(quote)
        else:
            if made == "expired":
                overdue(quote)
            quote.state = made
            quote.save(update_fields=["state"])
    assert contact_client.get(url(quote)).status_code == 404
    if made != "draft":
        page = contact_client.get(reverse("quotes:detail", kwargs={"pk": quote.pk})).content.decode()
        assert url(quote) not in page


def test_it_is_404_for_another_account(contact_client, other_quote):
    assert contact_client.get(url(other_quote)).status_code == 404


def test_submitting_a_quote_has_its_pdf_rendered_after_commit(account, queued, django_capture_on_commit_callbacks):
    draft = QuoteFactory(account=account)
    staff = StaffFactory()

    with django_capture_on_commit_callbacks(execute=True):
        services.quote_submit(quote=draft, actor=staff)

    assert queued == [(QUOTE_PDF.kind, draft.pk)]
    tasks.document_prepare(*queued[0])
    draft.refresh_from_db()
    assert draft.pdf.name.endswith(f"{draft.number}.pdf")
