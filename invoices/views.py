from django.shortcuts import render

from accounts.decorators import billing_contact_required


@billing_contact_required
def invoice_list(request):
    return render(request, "invoices/invoice_list.html", {"account": request.account})
