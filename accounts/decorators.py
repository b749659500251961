from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .models import CompanyAccount

SESSION_ACCOUNT_KEY = "account_id"


def billing_contact_required(view):
    """Let in signed-in billing contacts only, and set `request.account` and `request.accounts`.

    The current account is kept in the session; every portal query is scoped to it. Losing
    the billing-contact role takes effect on the next request.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            return redirect("admin:index")
        accounts = list(CompanyAccount.objects.for_contact(user).select_related("account_manager"))
        if not accounts:
            logout(request)
            messages.warning(request, _("You are no longer the billing contact of any account."))
            return redirect_to_login(request.get_full_path())
        current_id = request.session.get(SESSION_ACCOUNT_KEY)
        request.account = next((account for account in accounts if account.pk == current_id), accounts[0])
        if request.account.pk != current_id:
            request.session[SESSION_ACCOUNT_KEY] = request.account.pk
        request.accounts = accounts
        return view(request, *args, **kwargs)

    return wrapper
