"""Every invoice and credit note as an EN 16931 e-invoice.

The CII XML (UN/CEFACT Cross Industry Invoice, the syntax of Factur-X / ZUGFeRD and of XRechnung's
CII flavour) is built with drafthorse from the invoice's own snapshots, so it always says what the
PDF says. `factur_x_pdf` embeds it in the invoice's PDF/A-3 with factur-x, which checks it against
the Factur-X EN 16931 schema first: an invoice whose XML does not validate is never sent.
"""

from decimal import Decimal

from django.conf import settings
from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from accounts.models import PaymentMethod
from accounts.tax import TaxCategory

from .models import Invoice, InvoiceKind

GUIDELINE = "urn:cen.eu:en16931:2017"
# XRechnung 3.0, the German CIUS of EN 16931 in its CII syntax: what a German buyer's system asks for. It adds
# to EN 16931 the seller's contact (BT-41 to BT-43) and both electronic addresses (BT-34, BT-49), given always.
XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
SCHEMA = "FACTUR-X_EN16931"
TYPE_CODES = {InvoiceKind.INVOICE: "380", InvoiceKind.CREDIT_NOTE: "381"}  # UNTDID 1001
UNIT = "C62"  # one (UN/ECE Recommendation 20)

# UNCL 5305 as EN 16931 knows it; US sales tax has no code of its own and is shown as standard rated.
CATEGORY_CODES = {
    TaxCategory.VAT: "S",
    TaxCategory.SALES_TAX: "S",
    TaxCategory.REVERSE_CHARGE: "AE",
    TaxCategory.NONE: "O",
}
EXEMPTION_REASONS = {
    TaxCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    TaxCategory.NONE: ("VATEX-EU-O", "Not subject to VAT"),
}


def _payment_means_code(invoice: Invoice) -> str:
    """UNTDID 4461: a SEPA credit transfer where a wire is in euros; SEPA direct debit; ACH debit in the US."""
    sepa = invoice.currency == "EUR"
    return {
        PaymentMethod.WIRE: "58" if sepa else "30",
        PaymentMethod.SEPA_DEBIT: "59",
        PaymentMethod.DIRECT_DEBIT: "3",  # ACH
        PaymentMethod.CARD: "48",
        PaymentMethod.CHECK: "20",
    }.get(invoice.payment_method, "1")


def _amount(value: Decimal, sign: int) -> Decimal:
    # A credit note states positive amounts; its type code (381) says they are credited.
    return (value * sign).quantize(Decimal("0.01"))


def _tax(target, invoice: Invoice, category: str, *, basis: Decimal | None = None, tax: Decimal | None = None):
    target.type_code = "VAT"
    target.category_code = CATEGORY_CODES[category]
    if category in EXEMPTION_REASONS:
        code, reason = EXEMPTION_REASONS[category]
        target.exemption_reason_code = code
        target.exemption_reason = reason
    if category != TaxCategory.NONE:
        target.rate_applicable_percent = invoice.tax_rate
    if basis is not None:
        target.basis_amount = basis
        target.calculated_amount = tax


def cii_document(invoice: Invoice, lines, *, guideline: str = GUIDELINE) -> Document:
    sign = -1 if invoice.kind == InvoiceKind.CREDIT_NOTE else 1
    category = invoice.tax_category or TaxCategory.VAT
    doc = Document()
    doc.context.guideline_parameter.id = guideline
    doc.header.id = invoice.number
    doc.header.type_code = TYPE_CODES[invoice.kind]
    doc.header.issue_date_time = invoice.issue_date
    if invoice.note:
        doc.header.notes.add(_note(invoice.note))

    agreement = doc.trade.agreement
    agreement.buyer_reference = invoice.po_number or invoice.account_number
    if invoice.po_number:
        agreement.buyer_order.issuer_assigned_id = invoice.po_number
    seller = agreement.seller
    seller.name = settings.SELLER_NAME
    seller.address.line_one = settings.SELLER_ADDRESS[0] if settings.SELLER_ADDRESS else ""
    seller.address.postcode = settings.SELLER_POSTAL_CODE
    seller.address.city_name = settings.SELLER_CITY
    seller.address.country_id = settings.SELLER_COUNTRY
    seller.electronic_address.uri_ID = ("EM", settings.SELLER_EMAIL)
    seller.contact.department_name = "Corporate Account Services"
    seller.contact.telephone.number = settings.SELLER_PHONE
    seller.contact.email.address = settings.SELLER_EMAIL
    if settings.SELLER_VAT_ID and category != TaxCategory.NONE:
        seller.tax_registrations.add(TaxRegistration(id=("VA", settings.SELLER_VAT_ID)))
    buyer = agreement.buyer
    buyer.id = invoice.account_number
    buyer.name = invoice.billing_name
    buyer.address.line_one = invoice.buyer_street
    buyer.address.postcode = invoice.buyer_postal_code
    buyer.address.city_name = invoice.buyer_city
    buyer.address.country_id = invoice.buyer_country
    buyer.electronic_address.uri_ID = ("EM", invoice.account.billing_contact.email)
    if invoice.buyer_vat_id and category != TaxCategory.NONE:
        buyer.tax_registrations.add(TaxRegistration(id=("VA", invoice.buyer_vat_id)))

    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = invoice.number
    settlement.period.start = invoice.service_period_start
    settlement.period.end = invoice.service_period_end
    means = PaymentMeans()
    means.type_code = _payment_means_code(invoice)
    if invoice.payment_method == PaymentMethod.WIRE and settings.SELLER_IBAN:
        means.payee_account.iban = settings.SELLER_IBAN.replace(" ", "")
        means.payee_account.account_name = settings.SELLER_BANK_ACCOUNT_HOLDER or settings.SELLER_NAME
        if settings.SELLER_BIC:
            means.payee_institution.bic = settings.SELLER_BIC
    # The debited IBAN (BT-91) is left out: the invoice keeps only a masked one, which identifies no account.
    sepa_debit = invoice.payment_method == PaymentMethod.SEPA_DEBIT and bool(invoice.sepa_mandate_reference)
    if sepa_debit:
        settlement.creditor_reference_id = settings.SELLER_SEPA_CREDITOR_ID  # BT-90
    settlement.payment_means.add(means)
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        settlement.invoice_referenced_document.issuer_assigned_id = invoice.corrects.number
        settlement.invoice_referenced_document.issue_date_time = invoice.corrects.issue_date
    else:
        terms = PaymentTerms()
        terms.due = invoice.due_date
        if sepa_debit:
            terms.debit_mandate_id = invoice.sepa_mandate_reference  # BT-89
        settlement.terms.add(terms)

    for index, line in enumerate(lines, start=1):
        item = LineItem()
        item.document.line_id = str(index)
        item.product.name = line.description
        if line.product:
            item.product.seller_assigned_id = line.product
        item.agreement.net.amount = _amount(line.unit_price, sign)
        item.delivery.billed_quantity = (line.quantity, UNIT)
        _tax(item.settlement.trade_tax, invoice, category)
        item.settlement.monetary_summation.total_amount = _amount(line.line_total, sign)
        doc.trade.items.add(item)

    net, tax, gross = (_amount(value, sign) for value in (invoice.subtotal, invoice.tax, invoice.total))
    breakdown = ApplicableTradeTax()
    _tax(breakdown, invoice, category, basis=net, tax=tax)
    settlement.trade_tax.add(breakdown)
    summation = settlement.monetary_summation
    summation.line_total = net
    summation.charge_total = Decimal("0.00")
    summation.allowance_total = Decimal("0.00")
    summation.tax_basis_total = net
    summation.tax_total = (tax, invoice.currency)
    summation.grand_total = gross
    summation.due_amount = gross
    return doc


def _note(text: str) -> IncludedNote:
    note = IncludedNote()
    note.content = text
    return note


def cii_xml(invoice: Invoice, *, guideline: str = GUIDELINE) -> bytes:
    """The invoice's CII XML (Factur-X EN 16931 profile), checked against the schema factur-x ships."""
    import facturx  # with pypdf, about 38 MB: imported by the processes that check or embed an e-invoice only

    xml = cii_document(invoice, list(invoice.lines.all()), guideline=guideline).serialize(schema=SCHEMA)
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return xml


def download_xml(invoice: Invoice) -> bytes:
    """The XML a buyer downloads: XRechnung for a buyer in Germany, plain EN 16931 for everyone else."""
    return cii_xml(invoice, guideline=XRECHNUNG if invoice.buyer_country == "DE" else GUIDELINE)


def factur_x_pdf(invoice: Invoice, pdf: bytes, *, language: str) -> bytes:
    """The invoice's PDF/A-3 with its CII XML embedded as factur-x.xml."""
    return embed_xml(pdf, cii_xml(invoice), language=language, number=invoice.number)


def embed_xml(pdf: bytes, xml: bytes, *, language: str, number: str) -> bytes:
    """A PDF/A-3 with `xml` (already checked by cii_xml) embedded as factur-x.xml; needs no database.

    Long invoices call it in the process that laid the PDF out (billing_portal.pdf), whose memory
    (pypdf reads and rewrites every page) leaves with it.
    """
    import facturx

    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # cii_xml checked it against the same schema
        lang=language,
        pdf_metadata={
            "author": settings.SELLER_NAME,
            "keywords": "Factur-X, ZUGFeRD, EN 16931",
            "title": f"{settings.SELLER_NAME}: {number}",
            "subject": number,
        },
    )
