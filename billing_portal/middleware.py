"""Middleware that guards every request and response of the portal and the admin."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestBodyLimitMiddleware:
    """Refuses a request body by its headers alone, before anything reads or spools it.

    No page of the portal or the admin takes files, and its largest form is a few kilobytes: a
    body longer than REQUEST_BODY_MAX_BYTES is refused by its Content-Length, and a body sent
    without one (chunked) because its size is unknown until it has been read. File parts of a
    multipart form within the limit are dropped as they are read (billing_portal.uploads).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.refusal(request.META)
        if refusal is not None:
            status, text = refusal
            response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
            response["Connection"] = "close"  # the unread body must not be taken for the next request
            return response
        return self.get_response(request)

    @staticmethod
    def refusal(meta) -> tuple[int, str] | None:
        try:
            length = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return 400, _("The request's Content-Length is not a number.")
        if length > settings.REQUEST_BODY_MAX_BYTES or length < 0:
            return 413, _("The request is too large.")
        if meta.get("HTTP_TRANSFER_ENCODING") and meta.get("REQUEST_METHOD") in BODY_METHODS and not length:
            return 411, _("Send the request with a Content-Length.")
        return None


class PrivateNoStoreMiddleware:
    """`Cache-Control: private, no-store` on every page a signed-in person sees and on every form page.

    A signed-in page shows an account's data; a page with a form carries a CSRF token: neither
    may be kept by a shared proxy or left in the browser's cache for the next person.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        # Outside CsrfViewMiddleware: a page that used a CSRF token has its cookie on the response by now.
        if signed_in or settings.CSRF_COOKIE_NAME in response.cookies:
            patch_cache_control(response, private=True, no_store=True)
        return response
