"""Every invoice and credit note is an EN 16931 e-invoice: its CII XML validates against the Factur-X
schema and says what the invoice says; the PDF is a Factur-X PDF/A-3 with the XML embedded."""

import io
from decimal import Decimal

import facturx
import pytest
from django.urls import reverse
from lxml import etree
from pypdf import PdfReader

from accounts.tests.factories import CompanyAccountFactory
from invoices import services
from invoices.documents import INVOICE_PDF
from invoices.einvoice import cii_xml, download_xml
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _text(tree, path):
    return tree.xpath(path, namespaces=NS)


def _one(tree, path) -> str:
    (value,) = _text(tree, path)
    return value.strip() if isinstance(value, str) else value.text.strip()


@pytest.fixture
def german_account(contact):
    return CompanyAccountFactory(
        billing_contact=contact,
        country="DE",
        currency="EUR",
        language="de",
        address_line1="Hauptstraße 5",
        postal_code="80331",
        city="München",
        region="",
        po_number="PO-4711",
        vat_id="DE123456788",
    )


@pytest.fixture
def french_account(db):
    return CompanyAccountFactory(
        country="FR",
        currency="EUR",
        address_line1="1 rue de Rivoli",
        postal_code="75001",
        city="Paris",
        vat_id="FR40303265045",
        po_number="BC-12",
    )


def _issue(account, staff, lines=((Decimal("3"), Decimal("333.33"), "Remote Support, 3 seats"),), **fields):
    return services.invoice_issue(invoice=draft_with_lines(account, lines=lines, **fields), actor=staff)


def test_the_xml_of_a_german_invoice_validates_and_equals_the_invoice(german_account, staff, settings):
    invoice = _issue(
        german_account,
        staff,
        lines=[(Decimal("3"), Decimal("333.33"), "Remote Support"), (Decimal("1"), Decimal("10.05"), "Setup")],
    )
    xml = cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert _one(tree, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _one(tree, "//ram:BuyerReference") == "PO-4711"
    assert _one(tree, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == settings.SELLER_VAT_ID
    assert _one(tree, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "DE123456788"
    assert _one(tree, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CityName") == "München"
    assert _one(tree, "//ram:InvoiceCurrencyCode") == "EUR"
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert Decimal(_one(tree, summation + "ram:TaxBasisTotalAmount")) == invoice.subtotal == Decimal("1010.04")
    assert Decimal(_one(tree, summation + "ram:TaxTotalAmount")) == invoice.tax == Decimal("191.91")
    assert Decimal(_one(tree, summation + "ram:GrandTotalAmount")) == invoice.total
    assert Decimal(_one(tree, summation + "ram:DuePayableAmount")) == invoice.total
    breakdown = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _one(tree, breakdown + "ram:CategoryCode") == "S"
    assert Decimal(_one(tree, breakdown + "ram:RateApplicablePercent")) == Decimal("19")
    assert Decimal(_one(tree, breakdown + "ram:BasisAmount")) == invoice.subtotal
    assert Decimal(_one(tree, breakdown + "ram:CalculatedAmount")) == invoice.tax
    line_totals = [Decimal(v.text) for v in _text(tree, "//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount")]
    assert line_totals == [Decimal("999.99"), Decimal("10.05")]
    # Wire transfer in euros: SEPA credit transfer to the seller's IBAN, the invoice number as reference.
    assert _one(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert _one(tree, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == settings.SELLER_IBAN.replace(" ", "")
    assert _one(tree, "//ram:PaymentReference") == invoice.number
    assert _one(tree, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString") == (
        f"{invoice.due_date:%Y%m%d}"
    )


def test_a_reverse_charge_invoice_names_both_vat_ids_and_no_tax(french_account, staff):
    invoice = _issue(french_account, staff)
    assert (invoice.tax_category, invoice.tax) == ("AE", Decimal("0.00"))
    tree = etree.fromstring(cii_xml(invoice))
    assert _one(tree, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _one(tree, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-AE"
    )
    assert _one(tree, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR40303265045"
    assert _one(tree, "//ram:BuyerReference") == "BC-12"


def test_a_us_invoice_without_tax_is_not_subject_to_vat(account, staff):
    invoice = _issue(account, staff)
    tree = etree.fromstring(cii_xml(invoice))
    assert _one(tree, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:CategoryCode") == "O"
    assert _one(tree, "//ram:InvoiceCurrencyCode") == "USD"
    assert _one(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "30"  # not SEPA: USD
    assert not _text(tree, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent")


def test_a_credit_note_is_type_381_with_positive_amounts_and_names_the_invoice(german_account, staff):
    invoice = _issue(german_account, staff)
    services.invoice_void(invoice=invoice, actor=staff, reason="Ordered twice")
    note = invoice.credit_notes.get()
    xml = cii_xml(note)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _one(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    grand = _one(tree, "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount")
    assert Decimal(grand) == -note.total == invoice.total


def test_the_invoice_pdf_is_factur_x_with_the_xml_embedded(german_account, staff):
    invoice = _issue(german_account, staff)
    pdf = INVOICE_PDF.render(invoice)
    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    assert embedded == cii_xml(invoice)
    assert facturx.get_facturx_level(etree.fromstring(embedded)) == "en16931"
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.xmp_metadata
    assert metadata is not None
    assert "pdfaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "Rechnung" in reader.pages[0].extract_text()


def test_the_contact_downloads_the_xml_alone(contact_client, account, staff, other_account):
    invoice = _issue(account, staff)
    response = contact_client.get(reverse("invoices:xml", kwargs={"pk": invoice.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}.xml"' in response["Content-Disposition"]
    assert response.content == cii_xml(invoice)
    page = contact_client.get(reverse("invoices:detail", kwargs={"pk": invoice.pk})).content.decode()
    assert reverse("invoices:xml", kwargs={"pk": invoice.pk}) in page


def test_another_accounts_xml_and_a_draft_are_404(contact_client, account, staff, other_account):
    theirs = _issue(other_account, staff)
    draft = draft_with_lines(account)
    for invoice in (theirs, draft):
        assert contact_client.get(reverse("invoices:xml", kwargs={"pk": invoice.pk})).status_code == 404


def test_the_xml_download_has_a_fixed_number_of_queries(contact_client, account, staff, django_assert_num_queries):
    many = [(Decimal("1"), Decimal("1.00"), f"Line {n}") for n in range(40)]
    for lines in ((many[0],), many):
        invoice = _issue(account, staff, lines=lines)
        # user, accounts, the invoice, its lines, saving the session (3); the session is read from the cache
        with django_assert_num_queries(7):
            contact_client.get(reverse("invoices:xml", kwargs={"pk": invoice.pk}))


def _sign_mandate(account, contact):
    from accounts.services import MandateDetails, payment_method_update

    payment_method_update(
        account=account,
        actor=contact,
        values={"payment_method": "sepa_debit"},
        mandate=MandateDetails(holder="Kunde GmbH", iban_masked="DE02…2051", bic="BYLADEM1001"),
    )
    account.refresh_from_db()
    return account.sepa_mandate


def test_a_sepa_direct_debit_names_the_mandate_and_the_creditor_but_no_iban(german_account, contact, staff, settings):
    mandate = _sign_mandate(german_account, contact)
    invoice = _issue(german_account, staff)
    xml = cii_xml(invoice)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert _one(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "59"
    assert _one(tree, "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == mandate.reference
    assert _one(tree, "//ram:ApplicableHeaderTradeSettlement/ram:CreditorReferenceID") == (
        settings.SELLER_SEPA_CREDITOR_ID
    )
    assert not _text(tree, "//ram:PayerPartyDebtorFinancialAccount")
    assert b"2051" not in xml


def test_an_ach_debit_is_code_3_without_a_mandate(account, staff):
    account.payment_method, account.bank_account_last4 = "direct_debit", "1234"
    account.save()
    tree = etree.fromstring(cii_xml(_issue(account, staff)))
    assert _one(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "3"
    assert not _text(tree, "//ram:DirectDebitMandateID") and not _text(tree, "//ram:CreditorReferenceID")


def test_a_german_buyer_downloads_xrechnung(german_account, staff, settings):
    invoice = _issue(german_account, staff)
    xml = download_xml(invoice)  # what invoices:xml serves
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    tree = etree.fromstring(xml)
    assert _one(tree, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
    )
    contact = "//ram:SellerTradeParty/ram:DefinedTradeContact/"
    assert _one(tree, contact + "ram:TelephoneUniversalCommunication/ram:CompleteNumber") == settings.SELLER_PHONE
    assert _one(tree, contact + "ram:EmailURIUniversalCommunication/ram:URIID") == settings.SELLER_EMAIL
    assert (
        _one(tree, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID")
        == german_account.billing_contact.email
    )
    # The Factur-X PDF keeps the plain EN 16931 guideline that its profile names.
    assert b"xrechnung" not in cii_xml(invoice)
