"""The invoice PDF and the e-mail held for it: what billing_portal.documents needs to know, nothing more."""

from functools import partial

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.seller import seller
from billing_portal import documents, pdf

from .errors import InvoiceError
from .models import Invoice, InvoiceDelivery, InvoiceState


class InvoicePdf(documents.StoredDocument):
    """An issued invoice or credit note; built from the invoice's snapshots, so a re-render comes out the same."""

    kind = "invoice"
    model = Invoice
    field = "pdf"
    template = "invoices/invoice_pdf.html"
    pdf_variant = "pdf/a-3b"  # Factur-X is a PDF/A-3 with the XML attached

    def queryset(self):
        return Invoice.objects.select_related("account", "account__billing_contact")

    def check(self, invoice: Invoice) -> None:
        if invoice.state == InvoiceState.DRAFT:
            raise InvoiceError(_("A draft has no PDF."))

    def context(self, invoice: Invoice) -> dict:
        return {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "seller": seller(),
            "portal_url": settings.PORTAL_URL,
            "page_counter": pdf.counter_content(gettext("Page %(page)s of %(pages)s")),
        }

    def language(self, invoice: Invoice) -> str:
        return invoice.account.language

    def finisher(self, invoice: Invoice):
        """A Factur-X invoice: the PDF/A-3 with its EN 16931 XML embedded."""
        from .einvoice import cii_xml, embed_xml

        return partial(embed_xml, xml=cii_xml(invoice), language=self.language(invoice), number=invoice.number)

    def filename(self, invoice: Invoice) -> str:
        return invoice.pdf_filename

    def line_count(self, invoice: Invoice) -> int:
        return invoice.lines.count()

    def label(self, invoice: Invoice) -> str:
        return invoice.number


INVOICE_PDF = documents.register(InvoicePdf())

# One e-mail of an invoice (issue or resend) to its recipients at the time.
INVOICE_EMAIL = documents.register(
    documents.HeldEmail(
        kind="invoice-email",
        model=InvoiceDelivery,
        document=INVOICE_PDF,
        owner=lambda delivery: delivery.invoice,
        email_field="email",
        released_field="released_at",
        queued_field="created_at",
    )
)
