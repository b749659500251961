from django.utils import translation


class UserLanguageMiddleware:
    """Speak the language a signed-in contact chose, on any device; one who never chose follows the browser.

    Runs after LocaleMiddleware (which read the cookie or the browser) and AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
