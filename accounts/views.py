import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services
from .decorators import SESSION_ACCOUNT_KEY, billing_contact_required
from .forms import (
    AddressForm,
    BillingContactForm,
    InvoiceRecipientForm,
    NotifyingSetPasswordForm,
    PaymentMethodForm,
    PhoneForm,
    PurchaseOrderForm,
    RequestForm,
    SignInForm,
    UserIDPasswordResetForm,
)
from .models import InvoiceRecipient, Request


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The portal speaks the language the contact chose last, on any device.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, form.get_user().language,
            max_age=settings.LANGUAGE_COOKIE_AGE, secure=settings.LANGUAGE_COOKIE_SECURE, samesite="Lax",
        )
        return response

    def get_default_redirect_url(self):
        if self.request.user.is_staff:
            return reverse("admin:index")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    form_class = UserIDPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")
    # Queueing the e-mail for a known User ID takes a few milliseconds that an unknown one does
    # not: answering no sooner than this keeps the two indistinguishable by timing.
    minimum_seconds = 0.05

    def form_valid(self, form):
        started = time.monotonic()
        response = super().form_valid(form)
        time.sleep(max(0.0, self.minimum_seconds - (time.monotonic() - started)))
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NotifyingSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def locked_out(request, credentials=None, *args, **kwargs):
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    context = {"until": timezone.now() + cool_off, "minutes": int(cool_off.total_seconds() // 60)}
    return render(request, "accounts/locked.html", context, status=429)


@require_POST
def language_switch(request):
    """Django's set_language, and the choice kept on the user for the e-mails they receive."""
    response = set_language(request)
    language = request.POST.get("language")
    user = request.user
    if user.is_authenticated and language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


@billing_contact_required
def baseline(request):
    """The cheapest signed-in page: the floor that load measurements compare every page with."""
    return HttpResponse("ok", content_type="text/plain")


@require_POST
@billing_contact_required
def account_switch(request):
    account = next((a for a in request.accounts if str(a.pk) == request.POST.get("account")), None)
    if account is None:
        raise Http404
    request.session[SESSION_ACCOUNT_KEY] = account.pk
    messages.success(request, _("You are now working in %(account)s.") % {"account": account})
    return redirect("quotes:list")


@billing_contact_required
def billing(request):
    account = request.account
    return render(
        request,
        "accounts/billing.html",
        {
            "account": account,
            "recipients": account.invoice_recipients.all(),
            "recipient_form": InvoiceRecipientForm(),
            "open_requests": account.requests.filter(status=Request.Status.OPEN)[:10],
            "w9_form_url": settings.W9_FORM_URL,
        },
    )


def _edit(request, *, form, template, on_valid, title, success=None):
    if request.method == "POST" and form.is_valid():
        try:
            on_valid(form)
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success or _("Your changes have been saved."))
            return redirect("accounts:billing")
    return render(request, template, {"form": form, "account": request.account, "title": title})


@sensitive_post_parameters()
@billing_contact_required
def payment_method_edit(request):
    form = PaymentMethodForm(request.POST or None, account=request.account)
    return _edit(
        request, form=form, template="accounts/payment_method_form.html", title=_("Payment method"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action="payment_method_update", values=f.account_values()
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def address_edit(request):
    form = AddressForm(request.POST or None, instance=request.account)
    return _edit(
        request, form=form, template="accounts/address_form.html", title=_("Billing address"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action="address_update", values=f.cleaned_data
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def phone_edit(request):
    form = PhoneForm(request.POST or None, account=request.account)
    return _edit(
        request, form=form, template="accounts/edit_form.html", title=_("Phone number"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action="phone_update", values=f.cleaned_data
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def purchase_order_edit(request):
    form = PurchaseOrderForm(request.POST or None, instance=request.account)
    return _edit(
        request, form=form, template="accounts/edit_form.html", title=_("Purchase order"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action="purchase_order_update", values=f.cleaned_data
        ),
    )


@billing_contact_required
def recipient_add(request):
    form = InvoiceRecipientForm(request.POST or None)
    return _edit(
        request, form=form, template="accounts/edit_form.html", title=_("Add invoice recipient"),
        on_valid=lambda f: services.invoice_recipient_add(
            account=request.account, actor=request.user, email=f.cleaned_data["email"]
        ),
    )


@require_POST
@billing_contact_required
def recipient_remove(request, pk: int):
    recipient = get_object_or_404(InvoiceRecipient, pk=pk, account=request.account)
    services.invoice_recipient_remove(recipient=recipient, actor=request.user)
    messages.success(request, _("%(email)s no longer receives invoices.") % {"email": recipient.email})
    return redirect("accounts:billing")


@billing_contact_required
def request_new(request):
    kind = request.GET.get("kind")
    form = RequestForm(request.POST or None, initial={"kind": kind} if kind in Request.Kind.values else {})
    return _edit(
        request, form=form, template="accounts/edit_form.html", title=_("Request a change"),
        success=_("Your request has been sent to Corporate Account Services."),
        on_valid=lambda f: services.request_create(account=request.account, contact=request.user, **f.cleaned_data),
    )


@billing_contact_required
def billing_contact_edit(request):
    form = BillingContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.billing_contact_change(account=request.account, actor=request.user, **form.cleaned_data)
        except services.AccountError as error:
            form.add_error("user_id", str(error))
        else:
            messages.success(
                request,
                _("%(name)s is now the billing contact of %(account)s and has been sent an e-mail.")
                % {"name": contact.get_full_name() or contact.username, "account": request.account},
            )
            return redirect("quotes:list") if len(request.accounts) > 1 else redirect("accounts:login")
    return render(request, "accounts/billing_contact_form.html", {"form": form, "account": request.account})
