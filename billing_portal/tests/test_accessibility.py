"""Every billing-contact page and state, and the staff admin's quote and invoice pages, in English and German on
a desktop and a phone: no critical or serious axe-core violation, and on a phone nothing wider than the screen and
no amount cut off."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tests.factories import StaffFactory
from invoices import services as invoice_services
from invoices.tests.factories import draft_with_lines
from quotes import services as quote_services
from quotes.tests.factories import SubmittedQuoteFactory, overdue
from quotes.tests.helpers import draft_order

from .a11y import page_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
LOCALES = {"en": "en-US", "de": "de-DE"}


@pytest.fixture
def portal(contact, account, django_capture_on_commit_callbacks):
    """One account with a quote and an invoice in every state the portal shows, and the URLs of their pages."""
    contact.set_password(PASSWORD)
    contact.save(update_fields=["password"])
    staff = StaffFactory(username="cas-admin", is_superuser=True)
    staff.set_password(PASSWORD)
    staff.save(update_fields=["password"])
    lines = [(None, 25, Decimal("1234567.89")), (None, 3, Decimal("19.99"))]

    open_quote = SubmittedQuoteFactory(account=account, lines=lines, notes="Includes onboarding.")
    expiring = SubmittedQuoteFactory(account=account, submitted_at=timezone.now() - datetime.timedelta(days=6, hours=2))
    in_cart = SubmittedQuoteFactory(account=account)
    quote_services.cart_add(account=account, contact=contact, quote_ids=[in_cart.pk, expiring.pk])
    accepted = SubmittedQuoteFactory(account=account, lines=lines)
    with django_capture_on_commit_callbacks():
        placed = quote_services.service_order_place(
            order=draft_order(account=account, contact=contact, quotes=[accepted]), actor=contact
        )
    review = draft_order(account=account, contact=contact, quotes=[open_quote])
    declined = quote_services.quote_decline(
        quote=SubmittedQuoteFactory(account=account), actor=contact, comment="Too many seats this year."
    )
    expired = overdue(SubmittedQuoteFactory(account=account), by=datetime.timedelta(days=2))
    withdrawn = quote_services.quote_withdraw(quote=SubmittedQuoteFactory(account=account), actor=staff)

    invoice_lines = [(Decimal("25"), Decimal("1234567.89"), "Team plan, annual subscription for 25 seats")]

    def issued(**fields):
        with django_capture_on_commit_callbacks():
            return invoice_services.invoice_issue(
                invoice=draft_with_lines(account, lines=invoice_lines, tax_rate=Decimal("19.00"), **fields), actor=staff
            )

    open_invoice = issued()
    overdue_invoice = issued()
    overdue_invoice.due_date = timezone.localdate() - datetime.timedelta(days=12)
    overdue_invoice.save(update_fields=["due_date"])
    paid = invoice_services.invoice_mark_paid(invoice=issued(), actor=staff)
    void = issued()
    with django_capture_on_commit_callbacks():
        credit_note = invoice_services.invoice_void(invoice=void, actor=staff, reason="Wrong seat count")

    reset_path = f"/password-reset/{urlsafe_base64_encode(force_bytes(contact.pk))}/"
    reset_path += f"{default_token_generator.make_token(contact)}/"
    return {
        "contact": contact,
        "staff": staff,
        "reset": reset_path,
        "quotes": {
            "open": open_quote,
            "expiring": expiring,
            "accepted": accepted,
            "declined": declined,
            "expired": expired,
            "withdrawn": withdrawn,
        },
        "order_review": f"/quotes/orders/{review.pk}/",
        "confirmation": f"/quotes/orders/{placed.pk}/confirmation/",
        "invoices": {
            "open": open_invoice,
            "overdue": overdue_invoice,
            "paid": paid,
            "void": void,
            "credit note": credit_note,
        },
    }


def submit(page, button):
    page.get_by_role("button", name=button).first.click()
    page.wait_for_load_state()


def visit_anonymous_pages(page, base, portal):
    page.goto(base + "/")
    yield "sign-in"
    page.locator("#id_username").fill(portal["contact"].username)
    page.locator("#id_password").fill("wrong")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    yield "sign-in with an error"
    page.goto(base + "/password-reset/")
    yield "forgot password"
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    yield "forgot password with an error"
    page.locator("#id_user_id").fill(portal["contact"].username)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    yield "forgot password sent"
    page.goto(base + portal["reset"])
    yield "reset password"
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    yield "reset password with an error"
    page.goto(base + "/password-reset/MQ/invalid-token/")
    yield "reset password with an invalid link"
    page.goto(base + "/no-such-page/")
    yield "404 signed out"


def sign_in(page, base, user_id):
    page.goto(base + "/")
    page.locator("#id_username").fill(user_id)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/quotes/")


def submit_main_form(page):
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()


def visit_contact_pages(page, base, portal):
    sign_in(page, base, portal["contact"].username)
    for state in ["open", "accepted", "declined", "expired"]:
        page.goto(f"{base}/quotes/?state={state}")
        yield f"quotes: {state}"
    for state, quote in portal["quotes"].items():
        page.goto(f"{base}/quotes/{quote.pk}/")
        yield f"quote {state}"
    page.goto(f"{base}/quotes/cart/")
    yield "cart"
    page.goto(f"{base}/quotes/cart/review/")
    yield "cart review"
    page.goto(f"{base}/quotes/{portal['quotes']['open'].pk}/payment/")
    yield "payment"
    page.locator("#id_admin-admin_name").fill("")
    page.locator("#id_admin-admin_email").fill("not an address")
    submit_main_form(page)
    yield "payment with errors"
    page.goto(base + portal["order_review"])
    yield "order review"
    page.goto(base + portal["confirmation"])
    yield "confirmation"
    page.goto(f"{base}/quotes/{portal['quotes']['open'].pk}/decline/")
    yield "decline"
    submit_main_form(page)
    yield "decline with an error"
    page.goto(f"{base}/invoices/")
    yield "invoices"
    for state, invoice in portal["invoices"].items():
        page.goto(f"{base}/invoices/{invoice.pk}/")
        yield f"invoice {state}"
    page.goto(f"{base}/billing/")
    yield "billing"
    page.locator("form[action$='/recipients/add/'] input[name$=email]").fill("not-an-address")
    page.locator("form[action$='/recipients/add/'] button[type=submit]").click()
    page.wait_for_load_state()
    yield "billing: invoice recipient with an error"
    forms = {
        "payment method": ("/billing/payment-method/", lambda: page.locator("input[value=card]").check()),
        "address": ("/billing/address/", lambda: page.locator("#id_address_line1").fill("")),
        "phone": ("/billing/phone/", lambda: page.locator("#id_phone").fill("not a number")),
        "purchase order": ("/billing/purchase-order/", lambda: page.locator("#id_po_expires_on").fill("2001-01-01")),
        "request": ("/billing/requests/new/?kind=auto_renewal", lambda: None),
        "change billing contact": ("/billing/contact/", lambda: None),
        "change e-mail": ("/billing/email/", lambda: None),
    }
    for name, (path, break_it) in forms.items():
        page.goto(base + path)
        yield name
        break_it()
        submit_main_form(page)
        yield f"{name} with errors"
    page.goto(f"{base}/quotes/999999/")
    yield "404 signed in"


def visit_admin_pages(page, base, portal):
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(portal["staff"].username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")
    page.goto(f"{base}/admin/quotes/quote/{portal['quotes']['open'].pk}/change/")
    yield "admin: quote"
    page.goto(f"{base}/admin/quotes/quote/add/")
    yield "admin: new quote"
    page.goto(f"{base}/admin/invoices/invoice/{portal['invoices']['open'].pk}/change/")
    yield "admin: invoice"


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LOCALES)
def test_every_page_is_accessible_and_fits_the_screen(new_context, live_server, portal, language, viewport):
    narrow = viewport == "phone"
    portal["contact"].language = language
    portal["contact"].save(update_fields=["language"])
    failures = []
    for visit in [visit_anonymous_pages, visit_contact_pages, visit_admin_pages]:
        page = new_context(viewport=VIEWPORTS[viewport], locale=LOCALES[language]).new_page()
        page.set_default_timeout(10_000)
        for name in visit(page, live_server.url, portal):
            assert page.locator("html").get_attribute("lang") == language, name
            problems = page_problems(page, narrow=narrow and not name.startswith("admin"))
            if problems:
                failures.append(f"{name} ({page.url}):\n{problems}")
    assert not failures, f"{len(failures)} pages fail in {language} on a {viewport}:\n" + "\n".join(failures)
