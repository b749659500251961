import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services
from .audit import AuditAction
from .decorators import SESSION_ACCOUNT_KEY, SESSION_LOST_POST_KEY, billing_contact_required
from .forms import (
    AddressForm,
    BillingContactForm,
    EmailChangeForm,
    InvitationPasswordForm,
    InvoiceRecipientForm,
    NotifyingSetPasswordForm,
    PaymentMethodForm,
    PhoneForm,
    PurchaseOrderForm,
    RequestForm,
    SignInForm,
    UserIDPasswordResetForm,
    VatIdForm,
    WantsXmlForm,
)
from .models import PO_EXPIRY_WARNING, AccountRequest, InvoiceRecipient
from .ratelimits import client_address, rate_limit_hit
from .tokens import email_change_token_generator


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        lost_post = self.request.session.pop(SESSION_LOST_POST_KEY, False)
        response = super().form_valid(form)
        if lost_post:
            messages.warning(self.request, _("Your session had ended, so nothing was done. Please try again."))
        # The portal speaks the language the contact chose last, on any device; one who never
        # chose keeps the browser's.
        if language := form.get_user().language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                samesite="Lax",
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
        services.user_language_set(user=user, language=language)
    return response


@billing_contact_required
def keep_alive(request):
    """Nothing but a signed-in request: it renews the session (SESSION_SAVE_EVERY_REQUEST)."""
    return HttpResponse("ok", content_type="text/plain")


@billing_contact_required
def baseline(request):
    """The cheapest signed-in page: the floor that load measurements compare every page with."""
    return HttpResponse("ok", content_type="text/plain")


@billing_contact_required
def frame(request):
    """The portal's frame around an empty page: what every signed-in page costs before its own content."""
    return render(request, "accounts/frame.html")


@require_POST
@billing_contact_required
def account_switch(request):
    account = next((a for a in request.accounts if str(a.pk) == request.POST.get("account")), None)
    if account is None:
        raise Http404
    request.session[SESSION_ACCOUNT_KEY] = account.pk
    messages.success(request, _("You are now working in %(account)s.") % {"account": account})
    return redirect(_same_page_in_another_account(request, request.POST.get("next", "")))


# A page of one quote, invoice or order belongs to the account left behind: its section's list instead.
SECTION_HOME = {"quotes": "quotes:list", "invoices": "invoices:list", "accounts": "accounts:billing"}


def _same_page_in_another_account(request, next_url: str) -> str:
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return reverse("quotes:list")
    parts = urlsplit(next_url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return reverse("quotes:list")
    if match.kwargs or match.app_name not in SECTION_HOME:
        return reverse(SECTION_HOME.get(match.app_name, "quotes:list"))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _billing_page(request, *, recipient_form: InvoiceRecipientForm):
    account = request.account
    return render(
        request,
        "accounts/billing.html",
        {
            "account": account,
            "recipients": account.invoice_recipients.all(),
            "recipient_form": recipient_form,
            "open_requests": account.requests.filter(status=AccountRequest.Status.OPEN)[:10],
            "po_days_left": account.po_days_left(),
            "po_warning_days": PO_EXPIRY_WARNING.days,
            "w9_form_url": settings.W9_FORM_URL,
            "sepa_creditor_id": settings.SELLER_SEPA_CREDITOR_ID,
        },
    )


@billing_contact_required(account_details=True)
def billing(request):
    return _billing_page(request, recipient_form=InvoiceRecipientForm())


def _edit(request, *, form, template, on_valid, title, success=None, next_url=""):
    if request.method == "POST" and form.is_valid():
        try:
            on_valid(form)
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success or _("Your changes have been saved."))
            return redirect(next_url or "accounts:billing")
    return render(request, template, {"form": form, "account": request.account, "title": title, "next_url": next_url})


def _next_url(request) -> str:
    """The portal page to return to after saving (an order waiting for a new purchase order), if it is one."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


@sensitive_post_parameters()
@billing_contact_required(account_details=True)
def payment_method_edit(request):
    form = PaymentMethodForm(request.POST or None, account=request.account)
    return _edit(
        request,
        form=form,
        template="accounts/payment_method_form.html",
        title=_("Payment method"),
        on_valid=lambda f: services.payment_method_update(
            account=request.account, actor=request.user, values=f.account_values(), mandate=f.mandate_details()
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def address_edit(request):
    form = AddressForm(request.POST or None, instance=request.account)
    return _edit(
        request,
        form=form,
        template="accounts/address_form.html",
        title=_("Billing address"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action=AuditAction.ADDRESS_UPDATE, values=f.cleaned_data
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def phone_edit(request):
    form = PhoneForm(request.POST or None, account=request.account)
    return _edit(
        request,
        form=form,
        template="accounts/edit_form.html",
        title=_("Phone number"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action=AuditAction.PHONE_UPDATE, values=f.cleaned_data
        ),
    )


@sensitive_post_parameters()
@billing_contact_required
def purchase_order_edit(request):
    form = PurchaseOrderForm(request.POST or None, instance=request.account)
    return _edit(
        request,
        form=form,
        template="accounts/edit_form.html",
        title=_("Purchase order"),
        on_valid=lambda f: services.account_update(
            account=request.account, actor=request.user, action=AuditAction.PURCHASE_ORDER_UPDATE, values=f.cleaned_data
        ),
        next_url=_next_url(request),
    )


@billing_contact_required
def vat_id_edit(request):
    form = VatIdForm(request.POST or None, account=request.account)
    return _edit(
        request,
        form=form,
        template="accounts/edit_form.html",
        title=_("VAT ID"),
        on_valid=lambda f: services.vat_id_update(
            account=request.account, actor=request.user, vat_id=f.cleaned_data["vat_id"]
        ),
    )


@require_POST
@billing_contact_required(account_details=True)
def recipient_add(request):
    """Added from the Billing page's own form; an address it refuses is shown there, at the field."""
    form = InvoiceRecipientForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_recipient_add(
                account=request.account, actor=request.user, email=form.cleaned_data["email"]
            )
        except services.AccountError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, _("Your changes have been saved."))
            return redirect("accounts:billing")
    # The error is half-way down the page: the field takes the focus, and the page scrolls to it.
    form.fields["email"].widget.attrs["autofocus"] = True
    return _billing_page(request, recipient_form=form)


@billing_contact_required
def recipient_remove_confirm(request, pk: int):
    recipient = get_object_or_404(InvoiceRecipient, pk=pk, account=request.account)
    return render(request, "accounts/recipient_remove.html", {"account": request.account, "recipient": recipient})


@require_POST
@billing_contact_required
def recipient_remove(request, pk: int):
    recipient = get_object_or_404(InvoiceRecipient, pk=pk, account=request.account)
    services.invoice_recipient_remove(recipient=recipient, actor=request.user)
    messages.success(request, _("%(email)s no longer receives invoices.") % {"email": recipient.email})
    return redirect("accounts:billing")


def _wants_xml_said(request, email: str, wants_xml: bool) -> None:
    if wants_xml:
        message = _("%(email)s now gets the XML (e-invoice) with each invoice, besides the PDF.")
    else:
        message = _("%(email)s now gets each invoice as a PDF only.")
    messages.success(request, message % {"email": email})


@require_POST
@billing_contact_required
def recipient_xml(request, pk: int):
    recipient = get_object_or_404(InvoiceRecipient, pk=pk, account=request.account)
    form = WantsXmlForm(request.POST)
    wants_xml = form.is_valid() and form.cleaned_data["wants_xml"]
    try:
        services.invoice_recipient_wants_xml(recipient=recipient, actor=request.user, wants_xml=wants_xml)
    except services.AccountError as error:
        messages.error(request, str(error))
    else:
        _wants_xml_said(request, recipient.email, wants_xml)
    return redirect("accounts:billing")


@require_POST
@billing_contact_required
def contact_xml(request):
    form = WantsXmlForm(request.POST)
    wants_xml = form.is_valid() and form.cleaned_data["wants_xml"]
    services.contact_wants_xml(account=request.account, actor=request.user, wants_xml=wants_xml)
    _wants_xml_said(request, request.user.email, wants_xml)
    return redirect("accounts:billing")


@billing_contact_required
def request_new(request):
    kind = request.GET.get("kind")
    form = RequestForm(request.POST or None, initial={"kind": kind} if kind in AccountRequest.Kind.values else {})

    def send(form):
        # Per address as well as per account (the service's limit): one person may hold many accounts.
        if not rate_limit_hit(
            scope="request-address",
            identity=client_address(request),
            limit=settings.REQUEST_LIMIT_PER_ADDRESS,
            period=settings.RATE_LIMIT_PERIOD,
        ):
            raise services.AccountError(services.TOO_MANY_REQUESTS)
        services.account_request_create(account=request.account, contact=request.user, **form.cleaned_data)

    return _edit(
        request,
        form=form,
        template="accounts/edit_form.html",
        title=_("Request a change"),
        success=_("Your request has been sent to Corporate Account Services."),
        on_valid=send,
    )


def _within_limit(request, form, scope: str) -> bool:
    """Count one more `scope` action of this contact; past the limit, say so on the form instead."""
    if rate_limit_hit(
        scope=scope,
        identity=str(request.user.pk),
        limit=settings.CONTACT_EMAIL_LIMIT_PER_USER,
        period=settings.RATE_LIMIT_PERIOD,
    ):
        return True
    form.add_error(None, services.TOO_MANY_REQUESTS)
    return False


# Creating a user takes longer than finding one: answering an invitation no sooner than this keeps
# a new, an existing and an unusable User ID indistinguishable by timing as well.
INVITE_MINIMUM_SECONDS = 0.15


@billing_contact_required
def billing_contact_edit(request):
    """The form, then a page naming the person to invite; only "Confirm" there sends the invitation.

    "Change" on that page brings the form back as it was filled in.
    """
    # The floor below counts from here: the form's checks differ by User ID too, not only the service's.
    started = time.monotonic()
    form = BillingContactForm(request.POST or None, current_contact=request.user)
    step = request.POST.get("step")
    if request.method == "POST" and step != "change" and form.is_valid():
        data = form.cleaned_data
        name = f"{data['first_name']} {data['last_name']}"
        if step != "confirm":
            return render(
                request,
                "accounts/billing_contact_confirm.html",
                {
                    "form": form,
                    "account": request.account,
                    "name": name,
                    "valid_days": services.INVITATION_MAX_AGE.days,
                },
            )
        if _within_limit(request, form, "billing-contact-invite"):
            try:
                services.billing_contact_invite(account=request.account, actor=request.user, **data)
            except services.AccountError as error:
                form.add_error("user_id", str(error))
            else:
                time.sleep(max(0.0, INVITE_MINIMUM_SECONDS - (time.monotonic() - started)))
                messages.success(
                    request,
                    _(
                        "We have sent %(email)s an invitation. %(name)s becomes the billing contact of %(account)s "
                        "when they accept it; until then you remain the billing contact."
                    )
                    % {"email": data["email"], "name": name, "account": request.account.name},
                )
                return redirect("accounts:billing")
    return render(request, "accounts/billing_contact_form.html", {"form": form, "account": request.account})


@sensitive_post_parameters("password")
@billing_contact_required
def email_change(request):
    form = EmailChangeForm(request.POST or None, user=request.user)
    # Counted before the form checks the current password, so that it is no way to guess one either.
    if request.method == "POST" and _within_limit(request, form, "email-change") and form.is_valid():
        new_email = form.cleaned_data["email"]
        services.email_change_request(user=request.user, new_email=new_email)
        messages.success(
            request,
            _(
                "We have sent a confirmation link to %(email)s. "
                "Your e-mail address changes once you open it and confirm."
            )
            % {"email": new_email},
        )
        return redirect("accounts:billing")
    return render(
        request,
        "accounts/email_change_form.html",
        {"form": form, "account": request.account, "title": _("Change e-mail address")},
    )


@billing_contact_required
def email_change_confirm(request, token: str):
    # The change happens on the POST only: mail scanners open the links in an e-mail with GET.
    if request.method == "POST":
        try:
            services.email_change_confirm(user=request.user, token=token)
        except services.AccountError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Your e-mail address is now %(email)s.") % {"email": request.user.email})
            return redirect("accounts:billing")
    new_email = email_change_token_generator.check_token(request.user, token)
    return render(request, "accounts/email_change_confirm.html", {"new_email": new_email, "account": request.account})


def _invitation_for_user(request, token: str) -> services.Invitation:
    invitation = services.billing_contact_invitation_get(token=token, kind="accept")
    if invitation is None or invitation.invitee.pk != request.user.pk:
        raise Http404
    return invitation


@billing_contact_required
def billing_contact_accept(request, token: str):
    invitation = _invitation_for_user(request, token)
    if request.method == "POST" and invitation.is_valid:
        try:
            account = services.billing_contact_invitation_accept(token=token, user=request.user)
        except services.AccountError as error:
            messages.error(request, str(error))
            return redirect("accounts:billing_contact_accept", token=token)
        request.session[SESSION_ACCOUNT_KEY] = account.pk
        messages.success(request, _("You are now the billing contact of %(account)s.") % {"account": account.name})
        return redirect("accounts:billing")
    return render(request, "accounts/billing_contact_accept.html", {"invitation": invitation, "token": token})


@require_POST
@billing_contact_required
def billing_contact_decline(request, token: str):
    invitation = _invitation_for_user(request, token)
    try:
        services.billing_contact_invitation_decline(token=token, user=request.user)
    except services.AccountError as error:
        messages.error(request, str(error))
        return redirect("accounts:billing_contact_accept", token=token)
    messages.success(
        request,
        _("You have declined to become the billing contact of %(account)s. %(name)s has been told.")
        % {"account": invitation.account.name, "name": invitation.inviter},
    )
    return redirect("quotes:list")


@sensitive_post_parameters("new_password1", "new_password2")
def billing_contact_welcome(request, token: str):
    """The link a new billing contact is e-mailed: choosing a password accepts the invitation."""
    invitation = services.billing_contact_invitation_get(token=token, kind="password")
    if invitation is None:
        raise Http404
    form = None
    if invitation.is_valid:
        form = InvitationPasswordForm(invitation.invitee, request.POST or None, token=token)
        if request.method == "POST" and form.is_valid():
            try:
                account = form.save()
            except services.AccountError as error:
                form.add_error(None, str(error))
            else:
                if request.user.is_authenticated:
                    logout(request)
                messages.success(
                    request,
                    _(
                        "You are now the billing contact of %(account)s. "
                        "Sign in with your User ID %(user_id)s and your new password."
                    )
                    % {"account": account.name, "user_id": invitation.invitee.username},
                )
                return redirect("accounts:login")
    return render(request, "accounts/billing_contact_welcome.html", {"invitation": invitation, "form": form})
