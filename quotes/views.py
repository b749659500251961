from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.decorators import billing_contact_required
from accounts.forms import AddressForm
from billing_portal import documents, pdf

from . import selectors, services
from .documents import QUOTE_PDF, RECEIPT_PDF
from .forms import AddToCartForm, AdminContactForm, CheckoutPaymentForm, DeclineForm, PlaceOrderForm, SaveAsDefaultForm
from .models import Quote, ServiceOrder, TermsVersion
from .totals import quote_totals

PAGE_SIZE = 50


def _get_quote_for_account(request, pk: int) -> Quote:
    return get_object_or_404(Quote.objects.visible_to(request.account), pk=pk)


def _get_order_for_account(request, pk: int) -> ServiceOrder:
    return get_object_or_404(ServiceOrder.objects.visible_to(request.account), pk=pk)


def _menu(counts: dict, current: str) -> list[dict]:
    labels = {
        "open": _("Open"),
        "accepted": _("Accepted"),
        "declined": _("Declined"),
        "expired": _("Expired"),
        "withdrawn": _("Withdrawn"),
    }
    return [
        {"key": key, "label": labels[key], "count": counts[key], "active": key == current}
        for key in selectors.MENU
        if key != "withdrawn" or counts[key] or current == key
    ]


@billing_contact_required
def quote_list(request):
    menu = request.GET.get("state", "open")
    if menu not in selectors.MENU:
        menu = "open"
    now = timezone.now()
    counts = selectors.quote_counts_for_account(account=request.account, contact=request.user, now=now)
    paginator = Paginator(
        selectors.quote_list_for_account(account=request.account, contact=request.user, menu=menu, now=now), PAGE_SIZE
    )
    paginator.count = counts[menu]  # already counted for the menu: saves a query
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "quotes/quote_list.html",
        {
            "account": request.account,
            "menu": _menu(counts, menu),
            "current": menu,
            "page": page,
            "rows": selectors.quote_rows(page.object_list, menu=menu, now=now),
            "cart_add_url": reverse("quotes:cart_add"),
            "cart_count": counts["cart"],
        },
    )


@billing_contact_required
def quote_detail(request, pk: int):
    quote = selectors.quote_detail_for_account(account=request.account, contact=request.user, pk=pk)
    return render(request, "quotes/quote_detail.html", {"account": request.account, "quote": quote})


@billing_contact_required
def quote_pdf(request, pk: int):
    quote = _get_quote_for_account(request, pk)
    if not quote.has_pdf:
        raise Http404
    # Served from storage only: a worker renders it once, a web request never does.
    file = documents.document_stored(QUOTE_PDF, quote)
    if file is None:
        return pdf.preparing_response(request, too_large=not documents.document_prepare_later(QUOTE_PDF, quote))
    response = FileResponse(file, as_attachment=True, filename=quote.pdf_filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response


@billing_contact_required
def quote_decline(request, pk: int):
    # With its total: the page says what is being declined.
    quote = get_object_or_404(Quote.objects.visible_to(request.account).with_totals(), pk=pk)
    if request.method == "GET" and not quote.is_open:
        return redirect("quotes:detail", pk=quote.pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_decline(quote=quote, actor=request.user, comment=form.cleaned_data["comment"])
        except services.QuoteError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Quote %(number)s has been declined. Your account manager has been informed.")
                % {"number": quote.number},
            )
            return redirect(reverse("quotes:list") + "?state=declined")
    return render(request, "quotes/quote_decline.html", {"account": request.account, "quote": quote, "form": form})


def _back(request, default: str):
    """The portal page the form was sent from (its menu and page of quotes kept), or `default`."""
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(next_url)
    return redirect(default)


@require_POST
@billing_contact_required
def cart_add(request):
    quote_ids = Quote.objects.visible_to(request.account).open().values_list("pk", flat=True)
    form = AddToCartForm(request.POST, quote_ids=list(quote_ids))
    if not form.is_valid():
        messages.error(request, _("Select at least one open quote."))
        return _back(request, "quotes:list")
    try:
        count = services.cart_add(account=request.account, contact=request.user, quote_ids=form.cleaned_data["quotes"])
    except services.QuoteError as error:
        messages.error(request, str(error))
        return _back(request, "quotes:list")
    messages.success(
        request,
        format_html(
            '{} <a class="alert-link" href="{}">{}</a>',
            ngettext("Your cart now holds %(count)d quote.", "Your cart now holds %(count)d quotes.", count)
            % {"count": count},
            reverse("quotes:cart"),
            _("View Cart"),
        ),
    )
    return _back(request, "quotes:list")


@billing_contact_required
def cart_view(request):
    quotes = selectors.cart_quotes(account=request.account, contact=request.user)
    blocked = any(not quote.is_open for quote in quotes)
    return render(
        request,
        "quotes/cart.html",
        {"account": request.account, "quotes": quotes, "blocked": blocked, "cart_totals": quote_totals(quotes)},
    )


@require_POST
@billing_contact_required
def cart_remove(request, pk: int):
    quote = _get_quote_for_account(request, pk)
    services.cart_remove(account=request.account, contact=request.user, quote=quote)
    messages.success(request, _("Quote %(number)s has been removed from your cart.") % {"number": quote.number})
    return _back(request, "quotes:cart")


def _cart_refused(request, quotes: list[Quote]):
    """A redirect to the cart, with the reason, if its quotes cannot be added up into one order."""
    if not quotes:
        return redirect("quotes:cart")
    try:
        services.quotes_currency(quotes=quotes)
    except services.QuoteError as error:
        messages.error(request, str(error))
        return redirect("quotes:cart")
    return None


def _error_summary(forms) -> list[dict]:
    """Each error of the page once, with the id of the field it belongs to (the form's top for the rest)."""
    summary = []
    for form in forms:
        for name, errors in form.errors.items():
            field = form[name] if name in form.fields else None
            for message in errors:
                summary.append(
                    {
                        "id": field.id_for_label if field else "checkout-form",
                        "label": field.label if field else "",
                        "message": message,
                    }
                )
    return summary


def _checkout(request, *, quotes: list[Quote], from_cart: bool):
    account = request.account
    admin = selectors.admin_contact_suggestion(account=account)
    initial = (
        {"admin_name": admin.name, "admin_email": admin.email, "admin_phone": admin.phone}
        if admin
        else {"admin_name": request.user.get_full_name(), "admin_email": request.user.email}
    )
    data = request.POST if request.method == "POST" else None
    admin_form = AdminContactForm(data, initial=initial, prefix="admin", account=account)
    payment_form = CheckoutPaymentForm(data, account=account)
    address_form = AddressForm(data, instance=account, prefix="address")
    save_form = SaveAsDefaultForm(data)
    forms = [admin_form, payment_form, address_form, save_form]
    closed = [quote for quote in quotes if not quote.is_open]
    # Every form is validated (not all() over a generator, which stops at the first invalid one), so
    # that every error shows at once.
    valid = [form.is_valid() for form in forms] if request.method == "POST" else [False]
    if request.method == "POST" and not closed and all(valid):
        try:
            order = services.service_order_draft_create(
                account=account,
                actor=request.user,
                quote_ids=[quote.pk for quote in quotes],
                payment_values=payment_form.account_values(),
                mandate=payment_form.mandate_details(),
                address_values=address_form.cleaned_data,
                save_as_default=save_form.as_default,
                from_cart=from_cart,
                **admin_form.cleaned_data,
            )
        except services.QuoteError as error:
            admin_form.add_error(None, str(error))
        else:
            return redirect("quotes:order_review", pk=order.pk)
    if request.method == "POST":
        account.refresh_from_db()  # validating the address form set unsaved values on it
    return render(
        request,
        "quotes/checkout.html",
        {
            "account": account,
            "quotes": quotes,
            "closed": closed,
            "from_cart": from_cart,
            "back_url": reverse("quotes:cart") if from_cart else reverse("quotes:detail", kwargs={"pk": quotes[0].pk}),
            "admin_form": admin_form,
            "form": payment_form,
            "address_form": address_form,
            "save_form": save_form,
            "errors": _error_summary(forms),
            "totals": quote_totals(quotes)[0],
        },
    )


@sensitive_post_parameters()  # card, bank account, address, admin contact: all of it
@billing_contact_required(account_details=True)
def quote_checkout(request, pk: int):
    quotes = list(Quote.objects.visible_to(request.account).filter(pk=pk).with_totals())
    if not quotes:
        raise Http404
    return _checkout(request, quotes=quotes, from_cart=False)


@sensitive_post_parameters()  # card, bank account, address, admin contact: all of it
@billing_contact_required(account_details=True)
def cart_checkout(request):
    quotes = list(selectors.cart_quote_queryset(account=request.account, contact=request.user).with_totals())
    if refused := _cart_refused(request, quotes):
        return refused
    return _checkout(request, quotes=quotes, from_cart=True)


@billing_contact_required
def order_review(request, pk: int):
    order = selectors.service_order_for_account(account=request.account, pk=pk)
    if order.is_placed:
        return redirect("quotes:order_confirmation", pk=order.pk)
    form = PlaceOrderForm(initial={"token": order.token}, order=order)
    return _render_review(request, order, form)


def _started_from(order: ServiceOrder) -> dict:
    """The breadcrumb's way back: the cart, or the one quote the order was started from, and its payment page."""
    if order.from_cart or len(order.quote_items) != 1:
        return {"cart": True, "payment_url": reverse("quotes:cart_checkout")}
    quote = order.quote_items[0]
    return {"from_quote": quote, "payment_url": reverse("quotes:checkout", kwargs={"pk": quote.pk})}


def _render_review(request, order, form):
    account = request.account
    closed = [quote for quote in order.quote_items if not quote.is_open]
    today = timezone.localdate()  # the account's zone: see billing_contact_required
    return render(
        request,
        "quotes/order_review.html",
        {
            "account": account,
            "order": order,
            "form": form,
            "closed": closed,
            "started": _started_from(order),
            "terms": TermsVersion.objects.current(get_language()),
            "po_expired": services.po_expired(account, today),
            "po_expires_soon": services.po_expires_soon(account, today),
            "po_url": reverse("accounts:purchase_order")
            + "?"
            + urlencode({"next": reverse("quotes:order_review", kwargs={"pk": order.pk})}),
        },
    )


@require_POST
@billing_contact_required
def order_place(request, pk: int):
    order = _get_order_for_account(request, pk)
    if order.is_placed:
        return redirect("quotes:order_confirmation", pk=order.pk)
    form = PlaceOrderForm(request.POST, order=order)
    if form.is_valid():
        try:
            placed = services.service_order_place(order=order, actor=request.user, terms=form.cleaned_data["terms"])
        except services.QuoteError as error:
            form.add_error(None, str(error))
        else:
            return redirect("quotes:order_confirmation", pk=placed.pk)
    return _render_review(request, selectors.service_order_for_account(account=request.account, pk=pk), form)


@billing_contact_required
def order_confirmation(request, pk: int):
    order = selectors.service_order_for_account(account=request.account, pk=pk)
    if not order.is_placed:
        return redirect("quotes:order_review", pk=order.pk)
    return render(
        request,
        "quotes/order_confirmation.html",
        {"account": request.account, "order": order, "started": _started_from(order)},
    )


@billing_contact_required
def order_list(request):
    page = Paginator(selectors.service_orders_for_account(account=request.account), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "quotes/order_list.html",
        {"account": request.account, "page": page, "orders": selectors.order_rows(page.object_list)},
    )


@billing_contact_required
def product_list(request):
    page = Paginator(selectors.products_for_account(account=request.account), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "quotes/product_list.html",
        {
            "account": request.account,
            "page": page,
            "products": selectors.product_rows(page.object_list, zone=request.account.zone),
            "nav_section": "accounts",
        },
    )


@billing_contact_required
def order_receipt_pdf(request, pk: int):
    order = _get_order_for_account(request, pk)
    if not order.is_placed:
        raise Http404
    # Served from storage only: rendering takes a worker's seconds or minutes, never a web request's.
    file = documents.document_stored(RECEIPT_PDF, order)
    if file is None:
        return pdf.preparing_response(request, too_large=not documents.document_prepare_later(RECEIPT_PDF, order))
    response = FileResponse(file, as_attachment=True, filename=order.receipt_filename, content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"
    return response
