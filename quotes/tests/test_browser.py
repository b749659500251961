"""Seeds flows "accept" (one quote, a cart of three) and "decline" in Chromium."""

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from post_office.models import Email
from pypdf import PdfReader

from billing_portal import tasks
from quotes.documents import QUOTE_PDF
from quotes.models import Quote, QuoteState, ServiceOrder
from quotes.services import service_order_place

from .factories import SubmittedQuoteFactory, overdue
from .helpers import draft_order, place_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fail_fast(page, terms):
    page.set_default_timeout(5000)


def place_through_payment(page):
    """From "Proceed to Payment" to the confirmation page, keeping the prefilled values."""
    page.get_by_role("link", name="Proceed to Payment").click()
    assert page.get_by_role("heading", name="Admin contact").is_visible()
    assert page.get_by_role("heading", name="Payment method").is_visible()
    assert page.get_by_role("heading", name="Billing address").is_visible()
    assert page.locator("#country").inner_text() == "United States of America"
    assert page.get_by_role("textbox", name="Country").count() == 0
    page.locator("#id_admin-admin_name").fill("Pat Admin")
    page.get_by_label("E-mail address").fill("pat@acme.example")
    page.get_by_role("button", name="Save and Proceed to Service Order").click()
    assert page.get_by_role("heading", name=re.compile("Review your service order")).is_visible()
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Service order")
    page.get_by_label("I accept the terms and place a binding order").check()
    page.get_by_role("button", name="Place Service Order").click()
    page.wait_for_url("**/confirmation/")


def test_a_contact_accepts_one_quote(signed_in_page, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.reload()
    page.get_by_role("link", name=f"Review Quote {quote.number}").click()
    assert page.get_by_role("heading", name=f"Quote {quote.number}").is_visible()
    assert "$600.00" in page.locator("#quote-facts").inner_text()
    place_through_payment(page)

    order = ServiceOrder.objects.get(state=ServiceOrder.State.PLACED)
    assert page.locator("#receipt-number").inner_text() == order.receipt_number
    assert "Your service order has been placed." in page.content()
    quote.refresh_from_db()
    assert quote.state == QuoteState.ACCEPTED
    receipt = Email.objects.get(pk=order.receipt_email_id)
    assert receipt.to == [contact.email]
    assert order.receipt_number in receipt.subject
    # The back button and a second click on "Place Service Order" land on the same confirmation.
    page.go_back()
    page.reload()
    page.wait_for_url("**/confirmation/")
    assert ServiceOrder.objects.filter(state=ServiceOrder.State.PLACED).count() == 1


def test_a_contact_accepts_a_cart_of_three(signed_in_page, account):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(3)]
    page = signed_in_page
    page.reload()
    for quote in quotes:
        page.get_by_label(f"Select quote {quote.number}").check()
    page.get_by_role("button", name="Add to Cart", exact=True).click()
    assert page.locator("#view-cart .badge").inner_text() == "3"
    page.get_by_role("link", name=re.compile("View Cart")).first.click()
    for quote in quotes:
        assert page.locator("#cart").get_by_role("link", name=quote.number).is_visible()
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Review")
    page.get_by_role("link", name="Proceed to Payment").click()  # no review page in between
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Payment")
    expect(page.locator(".breadcrumb")).to_have_text(re.compile(r"^\s*Quotes\s*Cart\s*Payment\s*$"))
    page.go_back()
    place_through_payment(page)

    order = ServiceOrder.objects.get(state=ServiceOrder.State.PLACED)
    assert set(order.accepted_quotes.all()) == set(quotes)
    assert page.locator("#order-total").inner_text() == "$1,800.00"
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Done")
    expect(page.locator(".breadcrumb")).to_have_text(re.compile(r"^\s*Quotes\s*Cart\s*Confirmation\s*$"))


def test_a_contact_declines_with_a_comment_and_finds_it_under_declined(signed_in_page, account, live_server):
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.reload()
    page.get_by_role("link", name=f"Review Quote {quote.number}").click()
    page.get_by_role("link", name="Decline Quote").click()
    page.get_by_role("button", name="Submit").click()
    assert page.locator(".invalid-feedback, .alert-danger").first.is_visible()  # comments are required
    page.get_by_label("Comments").fill("Fewer seats next year, please.")
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/quotes/?state=declined")
    assert page.get_by_role("link", name=re.compile("Declined")).get_attribute("aria-current") == "page"
    assert quote.number in page.locator("#quotes").inner_text()
    assert "Fewer seats next year, please." in page.locator("#quotes").inner_text()
    assert "Ask your account manager to send you a new quote." in page.content()
    quote.refresh_from_db()
    assert quote.state == QuoteState.DECLINED


def test_an_expired_quote_has_no_accept_button_and_a_forged_post_is_refused(
    signed_in_page, account, contact, live_server
):
    quote = SubmittedQuoteFactory(account=account)
    order = draft_order(account=account, contact=contact, quotes=[quote])
    overdue(quote)  # beat has not run: the quote is still "submitted" in the database
    page = signed_in_page
    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    assert page.locator("#quote-state").inner_text() == "Expired"
    assert page.get_by_role("link", name="Proceed to Payment").count() == 0
    assert page.get_by_role("link", name="Decline Quote").count() == 0

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    headers = {"Referer": live_server.url + "/"}
    place = page.request.post(
        f"{live_server.url}/quotes/orders/{order.pk}/place/",
        headers=headers,
        form={"csrfmiddlewaretoken": token, **place_form(order), "token": str(order.token)},
    )
    assert place.status == 200
    assert "has expired" in place.text()
    decline = page.request.post(
        f"{live_server.url}/quotes/{quote.pk}/decline/",
        headers=headers,
        form={"csrfmiddlewaretoken": token, "comment": "too late"},
    )
    assert "has expired" in decline.text()
    quote.refresh_from_db()
    order.refresh_from_db()
    assert quote.state == QuoteState.SUBMITTED
    assert order.state == ServiceOrder.State.DRAFT


def test_another_accounts_quote_is_404(signed_in_page, other_account, live_server):
    quote = SubmittedQuoteFactory(account=other_account)
    page = signed_in_page
    for path in (f"/quotes/{quote.pk}/", f"/quotes/{quote.pk}/payment/", f"/quotes/{quote.pk}/decline/"):
        assert page.goto(live_server.url + path).status == 404
    assert Quote.objects.get(pk=quote.pk).state == QuoteState.SUBMITTED


def test_a_receipt_is_found_again_from_the_accepted_quote(signed_in_page, live_server, account, contact):
    quote = SubmittedQuoteFactory(account=account)
    order = service_order_place(order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact)
    page = signed_in_page
    page.get_by_role("link", name="Orders").click()
    expect_row = page.locator(f"#order-{order.number}")
    assert expect_row.get_by_role("link", name=quote.number).is_visible()
    page.goto(live_server.url + f"/quotes/{quote.pk}/")
    page.get_by_role("link", name=f"service order {order.number}").click()
    page.wait_for_url(f"**/quotes/orders/#order-{order.number}")
    assert page.get_by_role("link", name=f"Receipt {order.receipt_number} (PDF)").is_visible()


def test_the_payment_page_reports_every_error_at_once_and_leads_to_each_field(signed_in_page, live_server, account):
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.goto(live_server.url + f"/quotes/{quote.pk}/payment/")
    page.get_by_label("Credit/debit card").check()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Postal code").fill("")
    page.get_by_role("button", name="Save and Proceed to Service Order").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please correct 4 errors:")
    summary.get_by_role("link", name=re.compile("^Expiry month")).click()
    expect(page.get_by_label("Expiry month")).to_be_focused()
    expect(page.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    expect(page.get_by_label("Use for this order only")).to_be_checked()


def test_declining_says_what_is_declined_and_that_it_cannot_be_undone(signed_in_page, live_server, account):
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.goto(live_server.url + f"/quotes/{quote.pk}/decline/")
    expect(page.locator("#decline-warning")).to_contain_text(f"{quote.number} over $600.00")
    expect(page.locator("#decline-warning")).to_contain_text("This cannot be undone")


def test_a_contact_adds_and_removes_a_quote_from_its_row_and_its_page_with_the_keyboard(
    signed_in_page, live_server, account
):
    quotes = [SubmittedQuoteFactory(account=account) for _ in range(2)]
    page = signed_in_page
    page.goto(live_server.url + "/quotes/?state=open")
    page.get_by_role("button", name=f"Add to Cart {quotes[1].number}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/quotes/?state=open")
    message = page.get_by_role("status").filter(has_text="Your cart now holds 1 quote.")
    message.get_by_role("link", name="View Cart").focus()
    row = page.locator("#quotes tr", has_text=quotes[1].number)
    expect(row).to_contain_text("In cart")
    expect(page.get_by_role("button", name=f"Add to Cart {quotes[0].number}")).to_be_visible()
    assert page.locator("#view-cart .badge").inner_text() == "1"

    page.get_by_role("button", name=f"Remove from cart {quotes[1].number}").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/quotes/?state=open")
    expect(page.get_by_role("status").filter(has_text=f"Quote {quotes[1].number} has been removed")).to_be_visible()
    expect(page.get_by_role("button", name=f"Add to Cart {quotes[1].number}")).to_be_visible()

    page.get_by_role("link", name=f"Review Quote {quotes[0].number}").click()
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Review")
    page.get_by_role("button", name=f"Add to Cart {quotes[0].number}").click()
    page.wait_for_url(f"**/quotes/{quotes[0].pk}/")
    page.get_by_role("status").get_by_role("link", name="View Cart").click()
    page.wait_for_url("**/quotes/cart/")
    expect(page.locator("#cart")).to_contain_text(quotes[0].number)


def test_a_single_quote_checkout_names_the_quote_and_fits_a_phone_in_german(
    signed_in_page, live_server, contact, account
):
    quote = SubmittedQuoteFactory(account=account)
    contact.language = "de"
    contact.save(update_fields=["language"])
    page = signed_in_page
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(live_server.url + f"/quotes/{quote.pk}/payment/")
    expect(page.locator(".breadcrumb")).to_have_text(re.compile(rf"^\s*Angebote\s*{quote.number}\s*Zahlung\s*$"))
    steps = page.locator("#checkout-steps li")
    expect(steps).to_have_count(4)
    expect(page.locator("#checkout-steps [aria-current=step]")).to_have_text("Zahlung")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    for index in range(4):
        box = steps.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, steps.nth(index).inner_text()


def test_a_contact_downloads_a_quotes_pdf_from_its_page(signed_in_page, account, live_server):
    quote = SubmittedQuoteFactory(account=account, notes="Includes onboarding.")
    page = signed_in_page

    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    # The render task has not run (no worker here): the page says so at once, and offers to try again.
    page.get_by_role("link", name="Download PDF").click()
    expect(page.get_by_text("This PDF is being prepared. Try again in a moment.")).to_be_visible()
    tasks.document_prepare(QUOTE_PDF.kind, quote.pk)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Try again").click()
    download = download_info.value

    assert download.suggested_filename == f"{quote.number}.pdf"
    text = " ".join(PdfReader(io.BytesIO(Path(download.path()).read_bytes())).pages[0].extract_text().split())
    assert quote.number in text and "Includes onboarding." in text
    assert "Accepting it in the portal places a binding order." in text
