"""The portal's main pages as pictures, in English and German on a desktop and a phone, for docs/screenshots/.

Runs only on demand (`make screenshots`), since it writes into the working tree.
"""

import os
from pathlib import Path

import pytest

from .test_accessibility import LOCALES, VIEWPORTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("SCREENSHOTS_DIR"), reason="make screenshots sets SCREENSHOTS_DIR"),
]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LOCALES)
def test_main_pages(new_context, live_server, portal, language, viewport):
    directory = Path(os.environ.get("SCREENSHOTS_DIR", ""))
    directory.mkdir(parents=True, exist_ok=True)
    portal["contact"].language = language
    portal["contact"].save(update_fields=["language"])
    page = new_context(viewport=VIEWPORTS[viewport], locale=LOCALES[language]).new_page()
    page.goto(live_server.url + "/")
    page.screenshot(path=directory / f"sign-in-{language}-{viewport}.png", full_page=True)
    sign_in(page, live_server.url, portal["contact"].username, portal["password"])
    pages = {
        "quotes": "/quotes/",
        "quote": f"/quotes/{portal['quotes']['open'].pk}/",
        "cart": "/quotes/cart/",
        "invoices": "/invoices/",
        "invoice": f"/invoices/{portal['invoices']['overdue'].pk}/",
        "billing": "/billing/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.screenshot(path=directory / f"{name}-{language}-{viewport}.png", full_page=True)
