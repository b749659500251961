"""The Products page in Chromium, reached from Billing, in English and German, on a desktop and stacked on a phone."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from quotes.models import ServiceOrder
from quotes.services import service_order_place

from .factories import ProductFactory, SubmittedQuoteFactory
from .helpers import draft_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGN_IN = {"en": ("User ID", "Password", "Sign in"), "de": ("Benutzer-ID", "Passwort", "Anmelden")}
LOCALES = {"en": "en-US", "de": "de-DE"}


def signed_in(new_context, live_server, contact, language, viewport=None):
    contact.set_password("correct-horse-battery")
    contact.save(update_fields=["password"])
    options = {"locale": LOCALES[language], **({"viewport": viewport} if viewport else {})}
    page = new_context(**options).new_page()
    page.set_default_timeout(5000)
    user_id, password, button = SIGN_IN[language]
    page.goto(live_server.url + "/")
    page.get_by_label(user_id).fill(contact.username)
    page.get_by_label(password).fill("correct-horse-battery")
    page.get_by_role("button", name=button).click()
    page.wait_for_url("**/quotes/")
    return page


@pytest.fixture
def holding(account, contact):
    product = ProductFactory(sku="RS-TEAM", name="Remote Support Team")
    quote = SubmittedQuoteFactory(account=account, lines=[(product, 25, Decimal("120.00"))])
    order = service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    ServiceOrder.objects.filter(pk=order.pk).update(placed_at=datetime.datetime(2026, 3, 1, 3, 0, tzinfo=datetime.UTC))
    return order


def test_a_contact_finds_the_products_from_billing(new_context, live_server, contact, account, holding):
    page = signed_in(new_context, live_server, contact, "en")
    page.get_by_role("link", name="Billing", exact=True).click()
    page.get_by_role("link", name="Show products").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    row = page.locator("#products tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("rowheader")).to_contain_text("Remote Support Team")
    expect(row).to_contain_text("Pat Admin")
    expect(row).to_contain_text("02/28/2026 – 02/28/2027")
    expect(row).to_contain_text("Renews automatically")
    expect(row.get_by_role("link", name=f"Receipt {holding.receipt_number} (PDF)")).to_be_visible()


def test_a_german_contact_sees_german_dates_stacked_on_a_phone(new_context, live_server, contact, account, holding):
    page = signed_in(new_context, live_server, contact, "de", viewport={"width": 375, "height": 812})
    page.goto(live_server.url + "/quotes/products/")

    assert page.locator("html").get_attribute("lang") == "de"
    row = page.locator("#products tbody tr")
    expect(row).to_contain_text("28.02.2026 – 28.02.2027")
    expect(page.locator("#products thead")).not_to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(page.locator("header").get_by_role("link", name="Abrechnung")).to_have_attribute("aria-current", "page")
