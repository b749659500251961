"""The PDF of a submitted quote, the receipt PDF of a placed service order and the e-mail held for it,
for billing_portal.documents."""

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.seller import seller
from billing_portal import documents, pdf

from .errors import QuoteError
from .models import Quote, QuoteLine, QuoteState, ServiceOrder, lines_total
from .totals import quote_totals


class QuotePdf(documents.StoredDocument):
    """A quote as submitted: its content never depends on what became of it, so it is rendered once."""

    kind = "quote"
    model = Quote
    field = "pdf"
    template = "quotes/quote_pdf.html"

    def queryset(self):
        return Quote.objects.select_related("account", "account_manager")

    def check(self, quote: Quote) -> None:
        if quote.state == QuoteState.DRAFT:
            raise QuoteError(_("A draft quote has no PDF."))

    def context(self, quote: Quote) -> dict:
        lines = list(QuoteLine.objects.filter(quote=quote).select_related("product").order_by("id"))
        quote.total = lines_total(lines)
        zone = quote.account.zone
        valid_until = formats.date_format(timezone.localtime(quote.expires_at, zone), "DATETIME_FORMAT")
        return {
            "quote": quote,
            "account": quote.account,
            "lines": lines,
            "totals": quote.totals,
            "seller": seller(),
            "zone": zone,
            "valid_until": f"{valid_until} ({zone.key})",
            "portal_url": settings.PORTAL_URL,
            "page_counter": pdf.counter_content(gettext("Page %(page)s of %(pages)s")),
        }

    def language(self, quote: Quote) -> str:
        return quote.account.language

    def filename(self, quote: Quote) -> str:
        return quote.pdf_filename

    def line_count(self, quote: Quote) -> int:
        return QuoteLine.objects.filter(quote=quote).count()

    def label(self, quote: Quote) -> str:
        return quote.number


QUOTE_PDF = documents.register(QuotePdf())


class ReceiptPdf(documents.StoredDocument):
    kind = "receipt"
    model = ServiceOrder
    field = "receipt_pdf"
    template = "quotes/receipt_pdf.html"

    def queryset(self):
        return ServiceOrder.objects.select_related("account", "terms")

    def check(self, order: ServiceOrder) -> None:
        if not order.is_placed:
            raise QuoteError(_("A service order has a receipt once it is placed."))

    def context(self, order: ServiceOrder) -> dict:
        quotes = list(order.accepted_quotes.order_by("pk"))
        lines = list(QuoteLine.objects.filter(quote__in=quotes).select_related("product").order_by("quote_id", "id"))
        for quote in quotes:
            quote.total = lines_total(line for line in lines if line.quote_id == quote.pk)
        return {
            "totals": quote_totals(quotes)[0],
            "order": order,
            "account": order.account,
            "quotes": quotes,
            "lines": lines,
            "portal_url": settings.PORTAL_URL,
            "page_counter": pdf.counter_content(gettext("Page %(page)s of %(pages)s")),
        }

    def language(self, order: ServiceOrder) -> str:
        return order.account.language

    def filename(self, order: ServiceOrder) -> str:
        return order.receipt_filename

    def line_count(self, order: ServiceOrder) -> int:
        return QuoteLine.objects.filter(quote__service_order=order).count()

    def label(self, order: ServiceOrder) -> str:
        return order.receipt_number or order.number


RECEIPT_PDF = documents.register(ReceiptPdf())

RECEIPT_EMAIL = documents.register(
    documents.HeldEmail(
        kind="receipt-email",
        model=ServiceOrder,
        document=RECEIPT_PDF,
        owner=lambda order: order,
        email_field="receipt_email",
        released_field="receipt_released_at",
        queued_field="placed_at",
        eligible=lambda: ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED),
    )
)
