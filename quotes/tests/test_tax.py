"""Tax is known before anyone accepts: the treatment follows from the account, is frozen on submission,
and the quote, cart, checkout, order and receipt show net, tax and gross."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from post_office.models import Email

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from accounts.tax import TaxCategory, TaxTreatment, normalize_vat_id, tax_treatment
from accounts.tests.factories import CompanyAccountFactory
from quotes.models import ServiceOrder
from quotes.services import quote_submit, service_order_place
from quotes.tests.factories import QuoteFactory, SubmittedQuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = pytest.mark.django_db


def _account(country, **values):
    return CompanyAccountFactory(country=country, currency="EUR" if country != "US" else "USD", **values)


@pytest.mark.parametrize(
    ("country", "values", "expected"),
    [
        ("DE", {}, TaxTreatment(TaxCategory.VAT, Decimal("19.00"))),
        ("DE", {"vat_id": "DE123456788"}, TaxTreatment(TaxCategory.VAT, Decimal("19.00"))),
        ("FR", {}, TaxTreatment(TaxCategory.VAT, Decimal("19.00"))),
        ("FR", {"vat_id": "FR40303265045"}, TaxTreatment(TaxCategory.REVERSE_CHARGE, Decimal("0.00"))),
        ("US", {}, TaxTreatment(TaxCategory.NONE, Decimal("0.00"))),
        ("US", {"sales_tax_rate": Decimal("8.875")}, TaxTreatment(TaxCategory.SALES_TAX, Decimal("8.875"))),
        ("CH", {}, TaxTreatment(TaxCategory.NONE, Decimal("0.00"))),
    ],
)
def test_the_treatment_follows_from_country_and_vat_status(country, values, expected):
    assert tax_treatment(_account(country, **values)) == expected


@pytest.mark.parametrize(
    ("category", "rate", "language", "label"),
    [
        (TaxCategory.VAT, Decimal("19.00"), "en", "VAT 19 %"),
        (TaxCategory.VAT, Decimal("19.00"), "de", "USt. 19 %"),
        (TaxCategory.SALES_TAX, Decimal("8.875"), "en", "Sales tax 8.875 %"),
        (TaxCategory.REVERSE_CHARGE, Decimal("0"), "en", "Reverse charge: tax to be paid by the recipient"),
        (TaxCategory.REVERSE_CHARGE, Decimal("0"), "de", "Steuerschuldnerschaft des Leistungsempfängers"),
    ],
)
def test_the_label_names_rate_and_treatment_in_the_language(category, rate, language, label):
    with translation.override(language):
        assert TaxTreatment(category, rate).label == label


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("DE 123 456 788", "DE", "DE123456788"),
        ("123456788", "DE", "DE123456788"),
        ("fr40303265045", "FR", "FR40303265045"),
        ("", "DE", ""),
    ],
)
def test_a_vat_id_is_stored_compact_and_checked(value, country, expected):
    assert normalize_vat_id(value, country) == expected


@pytest.mark.parametrize(
    ("value", "country", "code"),
    [
        ("DE123456789", "DE", "invalid"),  # wrong check digit
        ("FR40303265045", "DE", "wrong_country"),
        ("DE123456788", "US", "not_eu"),
        ("DE12", "DE", "invalid"),
        ("hello", "DE", "wrong_country"),
    ],
)
def test_a_bad_vat_id_is_refused(value, country, code):
    with pytest.raises(ValidationError) as raised:
        normalize_vat_id(value, country)
    assert raised.value.code == code


def test_submission_freezes_the_treatment(staff):
    account = _account("FR", vat_id="FR40303265045")
    quote = QuoteFactory(account=account)
    quote_submit(quote=quote, actor=staff)
    account.vat_id = ""
    account.save()
    quote.refresh_from_db()
    assert (quote.tax_category, quote.tax_rate) == (TaxCategory.REVERSE_CHARGE, Decimal("0"))
    assert quote.treatment == TaxTreatment(TaxCategory.REVERSE_CHARGE, Decimal("0"))


def test_an_order_carries_net_tax_and_gross(account):
    account.country, account.currency = "DE", "EUR"
    account.save()
    quotes = [
        SubmittedQuoteFactory(account=account, lines=[(None, 3, Decimal("333.33"))]),
        SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("10.05"))]),
    ]
    order = draft_order(account=account, contact=account.billing_contact, quotes=quotes)
    # Each quote's tax is rounded on its own: 999.99 × 19 % = 190.00; 10.05 × 19 % = 1.91.
    assert (order.subtotal, order.tax, order.total) == (Decimal("1010.04"), Decimal("191.91"), Decimal("1201.95"))
    placed = service_order_place(order=order, actor=account.billing_contact)
    assert (placed.subtotal, placed.tax, placed.total) == (Decimal("1010.04"), Decimal("191.91"), Decimal("1201.95"))
    receipt = Email.objects.get(pk=placed.receipt_email_id)
    assert "VAT 19 %: €191.91" in receipt.message
    assert "Order total: €1,201.95" in receipt.message


def test_the_quote_page_shows_net_tax_and_gross_in_german(contact_client, account):
    account.country, account.currency, account.language = "DE", "EUR", "de"
    account.save()
    contact = account.billing_contact
    contact.language = "de"
    contact.save()
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 10, Decimal("100.00"))])
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": quote.pk})).content.decode()
    assert "USt. 19 %" in page
    assert "1.000,00" in page and "190,00" in page and "1.190,00" in page


def test_the_cart_and_checkout_sum_tax(contact_client, account):
    account.sales_tax_rate = Decimal("8.875")
    account.save()
    quotes = [SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("100.00"))]) for _ in range(2)]
    contact_client.post(reverse("quotes:cart_add"), {"quotes": [quote.pk for quote in quotes]})
    for url in (reverse("quotes:cart"), reverse("quotes:cart_checkout")):
        page = contact_client.get(url).content.decode()
        assert "Sales tax 8.875 %" in page, url
        assert "17.76" in page and "217.76" in page, url  # 8.88 per quote


def test_a_us_account_without_sales_tax_says_so(contact_client, account):
    quote = SubmittedQuoteFactory(account=account)
    page = contact_client.get(reverse("quotes:detail", kwargs={"pk": quote.pk})).content.decode()
    assert "Not subject to VAT" in page


def test_the_contact_changes_the_vat_id_on_the_billing_page(contact_client, account, settings):
    account.country = "FR"
    account.save()
    form = contact_client.get(reverse("accounts:vat_id"))
    assert form.status_code == 200 and 'name="vat_id"' in form.content.decode()
    response = contact_client.post(reverse("accounts:vat_id"), {"vat_id": "fr 403 032 650 45"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.vat_id == "FR40303265045"
    entry = AuditEntry.objects.get(action=AuditAction.VAT_ID_UPDATE)
    assert entry.changes == {"vat_id": ["", "FR40303265045"]}
    assert Email.objects.filter(to__icontains=settings.CAS_EMAIL, subject__contains="VAT ID").count() == 1
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert "FR40303265045" in page and "Reverse charge" in page


def test_a_wrong_vat_id_is_a_form_error_and_changes_nothing(contact_client, account):
    account.country = "DE"
    account.save()
    response = contact_client.post(reverse("accounts:vat_id"), {"vat_id": "DE123456789"})
    assert response.status_code == 200
    assert "not a valid VAT ID" in response.content.decode()
    account.refresh_from_db()
    assert account.vat_id == ""
    assert not AuditEntry.objects.filter(action=AuditAction.VAT_ID_UPDATE).exists()


def test_the_order_confirmation_shows_the_tax_line(contact_client, account):
    account.country, account.currency = "DE", "EUR"
    account.save()
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("100.00"))])
    order = draft_order(account=account, contact=account.billing_contact, quotes=[quote])
    service_order_place(order=order, actor=account.billing_contact)
    page = contact_client.get(reverse("quotes:order_confirmation", kwargs={"pk": order.pk})).content.decode()
    assert "VAT 19 %" in page and "119.00" in page
    assert ServiceOrder.objects.get(pk=order.pk).total == Decimal("119.00")


def test_the_receipt_names_the_accounts_vat_id(account):
    import io

    from pypdf import PdfReader

    from quotes.documents import RECEIPT_PDF

    account.country, account.currency, account.vat_id = "FR", "EUR", "FR40303265045"
    account.save()
    quote = SubmittedQuoteFactory(account=account)
    order = service_order_place(
        order=draft_order(account=account, contact=account.billing_contact, quotes=[quote]),
        actor=account.billing_contact,
    )
    text = PdfReader(io.BytesIO(RECEIPT_PDF.render(order))).pages[0].extract_text()
    assert "Your VAT ID" in text and "FR40303265045" in text
    assert "Reverse charge: tax to be paid by the recipient" in text
    assert "Your VAT ID: FR40303265045" in Email.objects.get(pk=order.receipt_email_id).message
