"""What every page's frame links to, worked out once per process instead of by tags on every request."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language_info

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
    links = {key: reverse(name) for key, name in FRAME_URLS.items()}
    links.update({key: static(path) for key, path in FRAME_STATIC.items()})
    languages = [get_language_info(code) for code, _name in settings.LANGUAGES]
    return {"frame_links": links, "frame_languages": languages}


@receiver(setting_changed)
def _forget_frame(*, setting: str, **kwargs) -> None:
    """Tests that change the URLs, static files or languages see the new ones."""
    if setting in {"ROOT_URLCONF", "STATIC_URL", "STORAGES", "LANGUAGES", "FORCE_SCRIPT_NAME"}:
        _frame.cache_clear()


def frame(request) -> dict:
    """`frame_links` (URLs by name, static files by name) and `frame_languages` (code, name_local, ...).

    Reversing a URL or hashing a static file's name costs 30-40 µs a tag; the frame has twelve. Neither
    changes while a process runs: URLs and the static files' manifest are read at start.
    """
    return _frame()
