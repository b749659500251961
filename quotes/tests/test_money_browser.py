"""Money done right, as a German and a US billing contact click it: tax before accepting, the e-invoice after."""

from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from playwright.sync_api import expect

from invoices import services as invoice_services
from invoices.tests.factories import draft_with_lines

from .factories import SubmittedQuoteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fail_fast(page, terms):
    page.set_default_timeout(5000)


def _german(account, contact):
    account.country, account.currency, account.language = "DE", "EUR", "de"
    account.postal_code, account.city, account.region = "80331", "München", ""
    account.save()
    contact.language = "de"
    contact.save(update_fields=["language"])


def test_a_german_customer_sees_ust_before_accepting(signed_in_page, live_server, contact, account):
    _german(account, contact)
    quote = SubmittedQuoteFactory(account=account, lines=[(None, 10, Decimal("100.00"))])
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    totals = page.locator("dl.totals")
    expect(totals).to_contain_text("Netto")
    expect(totals).to_contain_text("USt. 19 %")
    expect(totals).to_contain_text("190,00 €")
    expect(totals).to_contain_text("1.190,00 €")
    page.get_by_role("button", name="In den Warenkorb").first.click()
    page.goto(f"{live_server.url}/quotes/cart/")
    expect(page.locator("dl.totals")).to_contain_text("USt. 19 %")
    page.get_by_role("link", name="Zur Zahlung übergehen").click()
    expect(page.locator("dl.totals")).to_contain_text("1.190,00 €")


def test_a_us_customer_sees_the_sales_tax_line_or_none(signed_in_page, live_server, account):
    taxed = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("1000.00"))])
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/{taxed.pk}/")
    expect(page.locator("dl.totals")).to_contain_text("Not subject to VAT")
    expect(page.locator("dl.totals")).to_contain_text("$1,000.00")
    account.sales_tax_rate = Decimal("8.875")
    account.save()
    with_tax = SubmittedQuoteFactory(account=account, lines=[(None, 1, Decimal("1000.00"))])
    page.goto(f"{live_server.url}/quotes/{with_tax.pk}/")
    expect(page.locator("dl.totals")).to_contain_text("Sales tax 8.875 %")
    expect(page.locator("dl.totals")).to_contain_text("$88.75")
    expect(page.locator("dl.totals")).to_contain_text("$1,088.75")


def test_a_german_customer_downloads_the_e_invoice_xml(signed_in_page, live_server, contact, account):
    _german(account, contact)
    invoice = invoice_services.invoice_issue(invoice=draft_with_lines(account), actor=None)
    page = signed_in_page
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    expect(page.get_by_text("USt. 19 %")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="E-Rechnung (XML)").click()
    assert download.value.suggested_filename == f"{invoice.number}.xml"
    xml = Path(download.value.path()).read_bytes()
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert invoice.number.encode() in xml and b"DE123456788" in xml
