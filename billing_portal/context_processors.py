"""What every page's frame links to, worked out once per process instead of by tags on every request."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import get_language_info, gettext

# The frame's links (header, navigation, account switcher, language switch, sign-out, session warning).
FRAME_URLS = {
    "quotes": "quotes:list",
    "invoices": "invoices:list",
    "billing": "accounts:billing",
    "switch": "accounts:switch",
    "language": "accounts:language",
    "logout": "accounts:logout",
    "keep_alive": "accounts:keep_alive",
}
FRAME_STATIC = {
    "bootstrap_css": "bootstrap/css/bootstrap.min.css",
    "portal_css": "css/portal.css",
    "bootstrap_js": "bootstrap/js/bootstrap.bundle.min.js",
    "portal_js": "js/portal.js",
    "session_js": "js/session.js",
}


@cache
def _frame() -> dict:
    links = {key: escape(reverse(name)) for key, name in FRAME_URLS.items()}
    links.update({key: escape(static(path)) for key, path in FRAME_STATIC.items()})
    languages = [get_language_info(code) for code, _name in settings.LANGUAGES]
    return {"frame_links": links, "frame_languages": languages}


@cache
def _frame_text(language: str) -> dict[str, str]:
    """The frame's words in one language. Translations are read at start, so each language's words are
    looked up once per process instead of by thirteen `translate` tags on every page."""
    with translation.override(language):
        words = {
            "portal": gettext("Corporate Billing Portal"),
            "skip": gettext("Skip to content"),
            "main": gettext("Main"),
            "quotes": gettext("Quotes"),
            "invoices": gettext("Invoices"),
            "billing": gettext("Billing"),
            "account": gettext("Account"),
            "switch": gettext("Switch"),
            "language": gettext("Language"),
            "sign_out": gettext("Sign out"),
            "session_ending": gettext(
                "Your session will end in a few minutes. Anything you have not sent by then will be lost."
            ),
            "stay": gettext("Stay signed in"),
        }
    return {key: escape(text) for key, text in words.items()}


@receiver(setting_changed)
def _forget_frame(*, setting: str, **kwargs) -> None:
    """Tests that change the URLs, static files, languages or translations see the new ones."""
    if setting in {"ROOT_URLCONF", "STATIC_URL", "STORAGES", "LANGUAGES", "FORCE_SCRIPT_NAME"}:
        _frame.cache_clear()
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"}:
        _frame_text.cache_clear()


def frame(request) -> dict:
    """`frame_links` (URLs by name, static files by name), `frame_languages` (code, name_local, ...) and
    `frame_text` (the frame's words in the active language); `nav_section`, the navigation tab of the
    page's app (a view may name another), and `frame_switcher`, whether the contact has accounts to
    switch between.

    Reversing a URL or hashing a static file's name costs 30-40 µs a tag; the frame has twelve. Neither
    changes while a process runs: URLs and the static files' manifest are read at start. Links and words
    are escaped here, once, so that the template's auto-escaping passes them through as they are.
    """
    match = request.resolver_match
    return {
        **_frame(),
        "frame_text": _frame_text(translation.get_language()),
        "nav_section": match.app_name if match else "",
        "frame_switcher": len(getattr(request, "accounts", ())) > 1,
    }
