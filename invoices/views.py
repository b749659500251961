from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from accounts.decorators import billing_contact_required
from billing_portal import documents, pdf

from . import selectors
from .documents import INVOICE_PDF
from .einvoice import download_xml
from .models import Invoice


@require_GET
@billing_contact_required
def invoice_list(request):
    invoices = selectors.invoice_list_for_account(account=request.account)
    return render(
        request,
        "invoices/invoice_list.html",
        {
            "account": request.account,
            "rows": selectors.invoice_rows(invoices),
            "balance": selectors.invoice_balance_for_account(account=request.account),
            "limit": selectors.LIST_LIMIT,
        },
    )


@require_GET
@billing_contact_required
def invoice_detail(request, pk: int):
    invoice = selectors.invoice_get_for_account(account=request.account, pk=pk, with_lines=True)
    return render(request, "invoices/invoice_detail.html", {"invoice": invoice, "lines": list(invoice.lines.all())})


@require_GET
@billing_contact_required
def invoice_pdf(request, pk: int):
    invoice = selectors.invoice_get_for_account(account=request.account, pk=pk)
    # Served from storage only: rendering takes a worker's seconds or minutes, never a web request's.
    file = documents.document_stored(INVOICE_PDF, invoice)
    if file is None:
        return pdf.preparing_response(request, too_large=not documents.document_prepare_later(INVOICE_PDF, invoice))
    # "Print" opens the document itself in the browser's viewer (which prints exactly what was issued);
    # "Download PDF" saves it.
    inline = request.GET.get("view") == "print"
    response = FileResponse(
        file, as_attachment=not inline, filename=invoice.pdf_filename, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@billing_contact_required
def invoice_xml(request, pk: int):
    """The e-invoice alone: the CII XML (EN 16931) that the PDF carries, for an accounts-payable system."""
    invoice = get_object_or_404(
        Invoice.objects.visible_to(request.account)
        .select_related("corrects", "account__billing_contact")
        .prefetch_related("lines"),
        pk=pk,
    )
    response = HttpResponse(download_xml(invoice), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=invoice.xml_filename)
    response["Cache-Control"] = "private, no-store"
    return response
