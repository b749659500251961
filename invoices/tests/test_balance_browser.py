"""The balance at the top of Invoices, in Chromium, in English and German."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from invoices.tests.factories import IssuedInvoiceFactory
from quotes.tests.test_products_browser import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoices(account):
    today = account.today()
    for total, due in [(Decimal("1000.00"), -12), (Decimal("234.50"), 20)]:
        IssuedInvoiceFactory(
            account=account,
            currency="EUR",
            subtotal=total,
            total=total,
            issue_date=today - datetime.timedelta(days=40),
            due_date=today + datetime.timedelta(days=due),
        )


@pytest.mark.parametrize(
    ("language", "link", "open_", "overdue"),
    [("en", "Invoices", "€1,234.50", "€1,000.00"), ("de", "Rechnungen", "1.234,50\xa0€", "1.000,00\xa0€")],
)
def test_the_invoices_page_opens_with_the_balance(
    new_context, live_server, contact, account, invoices, language, link, open_, overdue
):
    page = signed_in(new_context, live_server, contact, language)
    page.get_by_role("link", name=link, exact=True).click()

    row = page.locator("#balance tr[data-currency=EUR]")
    expect(row.locator("[data-open]")).to_have_text(open_)
    expect(row.locator("[data-overdue]")).to_have_text(overdue)
    assert page.locator("#balance").bounding_box()["y"] < page.locator("table").last.bounding_box()["y"]
