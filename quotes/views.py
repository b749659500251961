from django.shortcuts import render

from accounts.decorators import billing_contact_required


@billing_contact_required
def quote_list(request):
    return render(request, "quotes/quote_list.html", {"account": request.account})
