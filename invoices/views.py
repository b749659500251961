from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import billing_contact_required

from . import selectors, services


@require_GET
@billing_contact_required
def invoice_list(request):
    invoices = selectors.invoice_list_for_account(account=request.account)
    return render(request, "invoices/invoice_list.html", {"account": request.account, "invoices": invoices})


@require_GET
@billing_contact_required
def invoice_detail(request, pk: int):
    invoice = selectors.invoice_get_for_account(account=request.account, pk=pk, with_lines=True)
    return render(request, "invoices/invoice_detail.html", {"invoice": invoice, "lines": list(invoice.lines.all())})


@require_GET
@billing_contact_required
def invoice_pdf(request, pk: int):
    invoice = selectors.invoice_get_for_account(account=request.account, pk=pk)
    # Served from storage; rendered here (once, under the row lock) only if the task has not run yet.
    invoice, file = services.invoice_pdf_open(invoice=invoice)
    response = FileResponse(file, as_attachment=True, filename=invoice.pdf_filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response
