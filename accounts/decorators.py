from functools import partial, wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .models import CompanyAccount

SESSION_ACCOUNT_KEY = "account_id"
# Set when a form was sent after the session had ended; the sign-in that follows says so.
SESSION_LOST_POST_KEY = "lost_post"


def _form_page(request) -> str:
    """The page that held the form, so that signing in again leads back to it rather than to a POST-only URL."""
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def redirect_to_sign_in(request):
    if request.method != "POST":
        return redirect_to_login(request.get_full_path())
    request.session[SESSION_LOST_POST_KEY] = True
    messages.warning(request, _("Your session had ended. Please sign in again."))
    return redirect_to_login(_form_page(request))


# The accounts' manager and SEPA mandate, read with the accounts only by the pages that show them: joined
# on every page they cost about as much as the rest of the portal frame.
ACCOUNT_DETAILS = ("account_manager", "sepa_mandate__signed_by")


def billing_contact_required(view=None, *, account_details: bool = False):
    """Let in signed-in billing contacts only, and set `request.account` and `request.accounts`.

    The current account is kept in the session; every portal query is scoped to it. Losing
    the billing-contact role takes effect on the next request. `account_details=True` loads each
    account's manager and SEPA mandate in the same query (ACCOUNT_DETAILS).
    """
    if view is None:
        return partial(billing_contact_required, account_details=account_details)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_sign_in(request)
        if user.is_staff:
            return redirect("admin:index")
        accounts = CompanyAccount.objects.for_contact(user)
        accounts = list(accounts.select_related(*ACCOUNT_DETAILS) if account_details else accounts)
        if not accounts:
            logout(request)
            messages.warning(request, _("You are no longer the billing contact of any account."))
            return redirect_to_login(request.get_full_path())
        current_id = request.session.get(SESSION_ACCOUNT_KEY)
        request.account = next((account for account in accounts if account.pk == current_id), accounts[0])
        if request.account.pk != current_id:
            request.session[SESSION_ACCOUNT_KEY] = request.account.pk
        request.accounts = accounts
        # Every time on the page in the account's own zone; the thread serves other accounts next.
        with timezone.override(request.account.zone):
            return view(request, *args, **kwargs)

    return wrapper
