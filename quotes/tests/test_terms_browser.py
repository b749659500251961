"""Accepting the terms on the order review in Chromium, in English and German, and an expired purchase order."""

import datetime

import pytest
from playwright.sync_api import expect

from quotes.models import ServiceOrder

from .factories import SubmittedQuoteFactory
from .helpers import draft_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fail_fast(page):
    page.set_default_timeout(5000)


@pytest.fixture
def order(account, contact, terms):
    contact.first_name, contact.last_name = "Alice", "Anders"
    contact.save(update_fields=["first_name", "last_name"])
    return draft_order(account=account, contact=contact, quotes=[SubmittedQuoteFactory(account=account)])


def accept_by_keyboard_and_place(page):
    """From the terms' region: Tab to the box, tick it with Space, Tab to the button, press Enter."""
    button = page.locator("#place-order")
    expect(button).to_be_disabled()
    page.locator("#terms-text").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#id_accept")).to_be_focused()
    page.keyboard.press("Space")
    expect(button).to_be_enabled()
    page.keyboard.press("Space")
    expect(button).to_be_disabled()  # unticked again
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/confirmation/")


def test_the_button_waits_for_the_box_and_the_confirmation_names_the_terms(signed_in_page, live_server, order, terms):
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/orders/{order.pk}/")
    region = page.get_by_role("region", name=f"Terms, version {terms['en'].version}")
    expect(region).to_contain_text(terms["en"].title)
    assert region.get_attribute("tabindex") == "0"
    accept_by_keyboard_and_place(page)
    expect(page.locator("#terms-accepted")).to_contain_text(
        f"Accepted under terms {terms['en'].version} by Alice Anders on"
    )
    order.refresh_from_db()
    assert order.is_placed and order.terms == terms["en"]


def test_in_german_the_german_terms_are_shown_and_accepted(signed_in_page, live_server, contact, order, terms):
    contact.language = "de"
    contact.save(update_fields=["language"])
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/orders/{order.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("#terms-text")).to_contain_text(terms["de"].title)
    expect(page.locator("#terms-text")).to_have_attribute("lang", "de")
    accept_by_keyboard_and_place(page)
    expect(page.locator("#terms-accepted")).to_contain_text(terms["de"].version)
    expect(page.locator("#terms-accepted")).to_contain_text("Alice Anders")
    order.refresh_from_db()
    assert order.terms == terms["de"]


@pytest.mark.parametrize("language", ["en", "de"])
def test_an_expired_purchase_order_is_renewed_from_the_review_and_the_order_placed(
    signed_in_page, live_server, contact, account, order, language
):
    contact.language = language
    contact.save(update_fields=["language"])
    account.po_number = "PO-2026-0042"
    account.po_expires_on = account.today() - datetime.timedelta(days=3)
    account.save(update_fields=["po_number", "po_expires_on"])
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/orders/{order.pk}/")
    expect(page.locator("#po-expired")).to_be_visible()
    # Placing anyway is refused, with the link again.
    page.locator("#id_accept").check()
    page.locator("#place-order").click()
    expect(page.locator("#order-errors")).to_be_visible()
    assert ServiceOrder.objects.get(pk=order.pk).state == ServiceOrder.State.DRAFT
    page.locator("#po-link").click()
    page.wait_for_url("**/billing/purchase-order/**")
    page.locator("#id_po_expires_on").fill((datetime.date.today() + datetime.timedelta(days=365)).isoformat())
    page.locator("main form[method=post] button[type=submit]").click()
    page.wait_for_url(f"**/quotes/orders/{order.pk}/")
    expect(page.locator("#po-expired")).to_have_count(0)
    page.locator("#id_accept").check()
    page.locator("#place-order").click()
    page.wait_for_url("**/confirmation/")
    order.refresh_from_db()
    assert order.is_placed
