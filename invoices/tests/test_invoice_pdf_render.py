import io
import threading
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing_portal import pdf
from invoices import services
from invoices.documents import INVOICE_PDF
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_shows_number_lines_totals_po_number_and_user_id(issued):
    text = _text(INVOICE_PDF.render(issued))

    assert issued.number in text
    assert "Team plan, 10 seats" in text
    assert "Extra storage 100 GB" in text
    assert "$1,259.97" in text  # subtotal
    assert "$239.39" in text  # tax
    assert "$1,499.36" in text  # total
    assert "PO-7788" in text
    assert "acme-billing" in text
    assert "Invoice date" in text and "Due date" in text and "Subtotal" in text
    assert "Page 1 of 1" in text


def test_the_pdf_shows_the_seller_buyer_account_number_and_how_to_pay(issued, settings, account):
    text = _text(INVOICE_PDF.render(issued))

    assert settings.SELLER_NAME in text
    assert settings.SELLER_VAT_ID in text
    assert account.name in text
    assert "1 Main Street" in text
    assert account.number in text
    assert "Payment terms" in text
    assert "How to pay" in text
    assert settings.SELLER_IBAN in text


def test_the_pdf_of_a_german_account_has_german_labels_and_number_format(draft, staff, account):
    account.language = "de"
    account.save(update_fields=["language"])
    invoice = services.invoice_issue(invoice=draft, actor=staff)

    text = _text(INVOICE_PDF.render(invoice))

    for label in [
        "Rechnung",
        "Rechnungsnummer",
        "Rechnungsdatum",
        "Fälligkeitsdatum",
        "Zwischensumme",
        "Gesamtbetrag",
        "Seite 1 von 1",
        "Zahlungsbedingungen",
    ]:
        assert label in text, label
    assert "1.499,36\xa0$" in text


def test_a_long_invoice_numbers_its_pages(account, staff):
    lines = [(Decimal("1"), Decimal("9.90"), f"Seat licence for user number {n}") for n in range(60)]
    invoice = services.invoice_issue(invoice=draft_with_lines(account, lines=lines), actor=staff)

    reader = PdfReader(io.BytesIO(INVOICE_PDF.render(invoice)))

    assert len(reader.pages) >= 2
    assert f"Page 2 of {len(reader.pages)}" in reader.pages[1].extract_text()


def test_hostile_line_descriptions_render_as_text_and_fetch_nothing(account, staff, monkeypatch):
    hostile = [
        "<script>alert(1)</script>",
        '<img src="file:///etc/passwd">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "https://evil.example/track.png",
    ]
    invoice = services.invoice_issue(
        invoice=draft_with_lines(account, lines=[(Decimal("1"), Decimal("1.00"), text) for text in hostile]),
        actor=staff,
    )
    requested = []
    original_fetch = pdf.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        requested.append(url)
        return original_fetch(self, url, headers)

    monkeypatch.setattr(pdf.StaticOnlyURLFetcher, "fetch", spy)
    monkeypatch.setattr(pdf, "_local", threading.local())  # cold caches: the fonts are fetched too

    text = _text(INVOICE_PDF.render(invoice))

    for line in hostile:
        assert line in text.replace("\n", "")
    assert requested, "the fonts come through the fetcher"
    assert all(url.startswith("static:") for url in requested), requested


def test_a_credit_note_pdf_names_the_invoice_it_corrects(issued, staff):
    services.invoice_void(invoice=issued, actor=staff, reason="Wrong seat count")
    note = issued.credit_notes.get()

    text = _text(INVOICE_PDF.render(note))

    assert "Credit note" in text
    assert note.number in text
    assert issued.number in text
    assert "-$1,499.36" in text
    assert "Wrong seat count" in text
