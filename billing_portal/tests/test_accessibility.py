"""Every billing-contact page and state, and the staff admin's quote and invoice pages, in English and German on
a desktop and a phone: no critical or serious axe-core violation, and on a phone nothing wider than the screen and
no amount cut off."""

import datetime
import re

import pytest
from post_office.models import Email

from accounts import services
from accounts.models import CompanyAccount, User
from accounts.tests.factories import CompanyAccountFactory, UserFactory
from accounts.tokens import email_change_token_generator

from .a11y import page_problems

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
LOCALES = {"en": "en-US", "de": "de-DE"}


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


def sign_in(page, base, user_id, password):
    page.goto(base + "/")
    page.locator("#id_username").fill(user_id)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/quotes/")


def submit_main_form(page):
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()


def visit_contact_pages(page, base, portal):
    sign_in(page, base, portal["contact"].username, portal["password"])
    for state in ["open", "accepted", "declined", "expired"]:
        page.goto(f"{base}/quotes/?state={state}")
        yield f"quotes: {state}"
    for state, quote in portal["quotes"].items():
        page.goto(f"{base}/quotes/{quote.pk}/")
        yield f"quote {state}"
    page.goto(f"{base}/quotes/cart/")
    yield "cart"
    page.goto(f"{base}/quotes/cart/payment/")
    yield "cart payment"
    page.goto(f"{base}/quotes/{portal['quotes']['open'].pk}/payment/")
    yield "payment"
    page.locator("#id_admin-admin_name").fill("")
    page.locator("#id_admin-admin_email").fill("not an address")
    submit_main_form(page)
    yield "payment with errors"
    page.goto(base + portal["order_review"])
    yield "order review with the terms"
    # Sent unticked, as a browser without JavaScript can.
    page.locator("#place-order").evaluate(
        "button => { button.disabled = false; button.removeAttribute('aria-disabled'); }"
    )
    submit_main_form(page)
    assert page.locator("#id_accept.is-invalid").count() == 1
    yield "order review: terms not accepted"
    account = portal["account"]
    account.po_number, account.po_expires_on = "PO-2026-0042", account.today() - datetime.timedelta(days=1)
    account.save(update_fields=["po_number", "po_expires_on"])
    page.goto(base + portal["order_review"])
    assert page.locator("#po-expired").count() == 1
    yield "order review: purchase order expired"
    page.locator("#id_accept").check()
    submit_main_form(page)
    assert page.locator("#order-errors #po-link").count() == 1
    yield "order review: refused for the purchase order"
    account.po_expires_on = account.today() + datetime.timedelta(days=10)
    account.save(update_fields=["po_expires_on"])
    page.goto(base + portal["order_review"])
    assert page.locator("#po-warning").count() == 1
    yield "order review: purchase order expiring"
    account.po_expires_on = None
    account.save(update_fields=["po_expires_on"])
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
    page.goto(f"{base}/quotes/products/")
    yield "products"
    account = CompanyAccount.objects.filter(pk=portal["quotes"]["open"].account_id)
    for state, days in [("expiring", 12), ("expired", -3)]:
        account.update(po_number="PO-4711", po_expires_on=account.get().today() + datetime.timedelta(days=days))
        page.goto(f"{base}/billing/")
        assert page.locator("#po-expiry").is_visible()
        yield f"billing: purchase order {state}"
    account.update(po_number="", po_expires_on=None)
    page.goto(f"{base}/billing/")
    yield "billing"
    toggle = f"form[action$='/recipients/{portal['recipient'].pk}/xml/']"
    page.locator(f"{toggle} input[name=wants_xml]").uncheck()
    page.locator(f"{toggle} button[type=submit]").click()
    page.wait_for_load_state()
    yield "billing: e-invoice choice saved"
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
    yield from visit_sepa_pages(page, base, portal)
    page.goto(base + "/billing/contact/")
    page.locator("#id_first_name").fill("Nora")
    page.locator("#id_last_name").fill("New")
    page.locator("#id_email").fill("nora@customer.example")
    page.locator("#id_user_id").fill("nora-billing")
    submit_main_form(page)
    assert page.locator("#new-contact").is_visible()
    yield "change billing contact: confirmation"
    contact = User.objects.get(pk=portal["contact"].pk)
    page.goto(f"{base}/billing/email/confirm/{email_change_token_generator.make_token(contact, 'ap@acme.example')}/")
    yield "confirm new e-mail address"
    page.goto(base + invitation_to(contact))
    assert page.locator("main form").count() == 2
    yield "invitation to become billing contact"
    CompanyAccountFactory(billing_contact=contact, name="Acme Europe GmbH", country="DE")
    page.goto(f"{base}/billing/")
    assert page.locator("#account-switcher").is_visible()
    yield "billing, with the account switcher"
    page.goto(f"{base}/quotes/999999/")
    yield "404 signed in"


def invitation_to(contact) -> str:
    """The link another account's contact e-mails `contact` to hand over their billing-contact role."""
    inviter = UserFactory(username="otto-billing", email="otto@other.example", first_name="Otto", last_name="Other")
    other = CompanyAccountFactory(billing_contact=inviter, name="Other Industries Ltd.")
    services.billing_contact_invite(
        account=other,
        actor=inviter,
        user_id=contact.username,
        email=contact.email,
        first_name=contact.first_name,
        last_name=contact.last_name,
    )
    message = Email.objects.filter(to=[contact.email]).latest("pk").message
    return re.search(r"https?://[^/\s]+(/billing/contact/accept/[^/\s]+/)", message).group(1)


def visit_locked_out_sign_in(page, base, portal):
    """Last of all: the lock holds the client address too, and every sign-in after it would fail."""
    for _ in range(10):
        page.goto(base + "/")
        page.locator("#id_username").fill(portal["contact"].username)
        page.locator("#id_password").fill("wrong")
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    assert "UTC" in page.locator("main [role=alert]").inner_text()
    yield "sign-in locked"


def visit_sepa_pages(page, base, portal):
    """The SEPA direct debit form and the mandate it records, for the account moved to Germany meanwhile."""
    account = portal["quotes"]["open"].account
    account.country, account.currency = "DE", "EUR"
    account.save(update_fields=["country", "currency"])
    page.goto(base + "/billing/payment-method/")
    page.locator("input[value=sepa_debit]").check()
    yield "payment method: SEPA direct debit"
    page.locator("#id_sepa_iban").fill("DE00 0000")
    submit_main_form(page)
    page.locator("input[value=sepa_debit]").check()
    yield "payment method: SEPA direct debit with errors"
    page.locator("#id_sepa_account_holder").fill("Kunde GmbH")
    page.locator("#id_sepa_iban").fill("DE02 1203 0000 0000 2020 51")
    page.locator("#id_sepa_mandate_accepted").check()
    submit_main_form(page)
    page.wait_for_url("**/billing/")
    yield "billing: SEPA mandate"
    account.country, account.currency = "US", "USD"
    account.save(update_fields=["country", "currency"])


def visit_admin_pages(page, base, portal):
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(portal["staff"].username)
    page.locator("#id_password").fill(portal["password"])
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url("**/admin/")
    page.goto(f"{base}/admin/quotes/quote/{portal['quotes']['open'].pk}/change/")
    yield "admin: quote"
    page.goto(f"{base}/admin/quotes/quote/add/")
    yield "admin: new quote"
    page.goto(f"{base}/admin/invoices/invoice/{portal['invoices']['open'].pk}/change/")
    yield "admin: invoice"
    page.goto(f"{base}/admin/quotes/quote/{portal['quotes']['open'].pk}/withdraw/")
    yield "admin: withdraw quote"
    page.goto(f"{base}/admin/invoices/invoice/{portal['invoices']['open'].pk}/void/")
    yield "admin: void invoice"
    page.goto(f"{base}/admin/invoices/invoice/{portal['invoices']['overdue'].pk}/mark_paid/")
    yield "admin: mark invoice paid"
    page.locator("#content form [type=submit]").click()
    page.wait_for_load_state()
    yield "admin: invoice marked paid"


HEADER_ROWS = """
() => {
  const header = document.querySelector("header");
  const boxes = [...header.querySelectorAll(".container > *")].map((item) => item.getBoundingClientRect());
  boxes.sort((a, b) => a.top - b.top);
  let rows = 0;
  let bottom = -Infinity;
  for (const box of boxes) {
    if (box.top >= bottom - 1) rows += 1;
    bottom = Math.max(bottom, box.bottom);
  }
  return {rows, height: header.getBoundingClientRect().height};
}
"""


def header_problems(page, *, narrow: bool) -> str:
    header = page.evaluate(HEADER_ROWS)
    if not narrow and header["rows"] > 1:
        return f"  the header takes {header['rows']} rows at 1280 px"
    if narrow and header["height"] > 130:
        return f"  the header is {header['height']} px high on a phone"
    return ""


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("language", LOCALES)
def test_every_page_is_accessible_and_fits_the_screen(new_context, live_server, portal, language, viewport):
    narrow = viewport == "phone"
    portal["contact"].language = language
    portal["contact"].save(update_fields=["language"])
    failures = []
    for visit in [visit_anonymous_pages, visit_contact_pages, visit_admin_pages, visit_locked_out_sign_in]:
        page = new_context(viewport=VIEWPORTS[viewport], locale=LOCALES[language]).new_page()
        page.set_default_timeout(10_000)
        for name in visit(page, live_server.url, portal):
            assert page.locator("html").get_attribute("lang") == language, name
            problems = page_problems(page, narrow=narrow and not name.startswith("admin"))
            if not name.startswith("admin"):
                problems += header_problems(page, narrow=narrow)
            if problems:
                failures.append(f"{name} ({page.url}):\n{problems}")
    assert not failures, f"{len(failures)} pages fail in {language} on a {viewport}:\n" + "\n".join(failures)


@pytest.mark.parametrize("language", LOCALES)
def test_the_focused_control_has_a_solid_outline(new_context, live_server, portal, language):
    page = new_context(viewport=VIEWPORTS["desktop"], locale=LOCALES[language]).new_page()
    page.goto(live_server.url + "/")
    for _ in range(3):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            "() => { const style = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, style.outlineStyle, style.outlineWidth, style.outlineColor]; }"
        )
        assert outline[1:] == ["solid", "3px", "rgb(5, 44, 101)"], outline


def test_german_text_is_hyphenated_not_broken_mid_word(new_context, live_server, portal):
    page = new_context(viewport=VIEWPORTS["phone"], locale=LOCALES["de"]).new_page()
    page.goto(live_server.url + "/")
    assert page.evaluate("() => getComputedStyle(document.querySelector('main p')).hyphens") == "auto"
