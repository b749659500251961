"""Every billing-contact page and state, and the staff admin's quote and invoice pages, in English and German on
a desktop and a phone: no critical or serious axe-core violation, and on a phone nothing wider than the screen and
no amount cut off."""

import datetime

import pytest

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
    account.po_number, account.po_expires_on = "PO-2026-0042", datetime.date.today() - datetime.timedelta(days=1)
    account.save(update_fields=["po_number", "po_expires_on"])
    page.goto(base + portal["order_review"])
    assert page.locator("#po-expired").count() == 1
    yield "order review: purchase order expired"
    page.locator("#id_accept").check()
    submit_main_form(page)
    assert page.locator("#order-errors #po-link").count() == 1
    yield "order review: refused for the purchase order"
    account.po_expires_on = datetime.date.today() + datetime.timedelta(days=10)
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
    for visit in [visit_anonymous_pages, visit_contact_pages, visit_admin_pages]:
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
