"""The sign-in and billing flows as a billing contact clicks them, in Chromium."""

import datetime
import re

import pytest
from playwright.sync_api import expect
from post_office.models import Email

from accounts.models import InvoiceRecipient
from accounts.tests.factories import CompanyAccountFactory, UserFactory
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, user_id, password="correct-horse-battery"):
    page.goto(live_server.url + "/")
    page.get_by_label("User ID").fill(user_id)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_contact_signs_in_and_out(page, live_server, contact, account):
    sign_in(page, live_server, contact.username.upper())
    expect(page.get_by_role("link", name="Quotes", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_wrong_password_shows_the_message(page, live_server, contact, account):
    sign_in(page, live_server, contact.username, "wrong")
    expect(page.get_by_text("Invalid User ID/password")).to_be_visible()


def test_ten_failures_lock_the_user_id(page, live_server, contact, account):
    for _ in range(10):
        sign_in(page, live_server, contact.username, "wrong")
    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    sign_in(page, live_server, contact.username)  # even the right password waits for the cool-off
    expect(page.get_by_text(re.compile("Try again in 15 minutes"))).to_be_visible()


def test_forgot_password_through_the_emailed_link(page, live_server, contact, account, settings):
    settings.PORTAL_URL = live_server.url
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("User ID").fill(contact.username)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    link = re.search(r"http\S+/password-reset/\S+/", Email.objects.get(to=[contact.email]).message).group(0)
    page.goto(link)
    page.get_by_label(re.compile(r"^\s*New password\s*\*?\s*$")).fill("a-brand-new-secret-9")
    page.get_by_label("New password confirmation").fill("a-brand-new-secret-9")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    sign_in(page, live_server, contact.username, "a-brand-new-secret-9")
    expect(page).to_have_url(re.compile("/quotes/$"))


def test_switching_account(signed_in_page, live_server, contact, account):
    second = CompanyAccountFactory(billing_contact=contact, name="Second Company")
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_label("Account").select_option(label=f"Second Company ({second.number})")
    # Choosing is not switching (WCAG 3.2.2): only the button switches, and the page stays the same.
    expect(page.get_by_role("heading", level=1)).to_contain_text(account.number)
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("You are now working in")).to_be_visible()
    expect(page).to_have_url(re.compile("/billing/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(second.number)


def test_switching_language(signed_in_page, live_server, contact):
    page = signed_in_page
    page.get_by_role("button", name="Deutsch").click()
    expect(page.get_by_role("link", name="Angebote", exact=True)).to_be_visible()
    page.get_by_role("link", name="Abrechnung").click()
    expect(page.get_by_role("link", name="Zahlungsweise ändern")).to_be_visible()
    contact.refresh_from_db()
    assert contact.language == "de"


def test_changing_the_payment_method_to_a_card(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_role("link", name="Change payment method").click()
    page.get_by_label("Credit/debit card").check()
    page.get_by_label("Name on card").fill("Carla Contact")
    page.get_by_label("Card number").fill("4111 1111 1111 1112")
    page.get_by_label("Expiry month").select_option("12")
    page.get_by_label("Expiry year").select_option("2031")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a valid card number.")).to_be_visible()

    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Security code").fill("123")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#payment-method")).to_have_text("Visa ending in 1111, expires 12/2031")


def test_changing_the_address(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/address/")
    # The country is text, not an input: nothing to type into, no tab stop.
    expect(page.locator("#country")).to_have_text("United States of America")
    assert page.get_by_role("textbox", name="Country").count() == 0
    page.get_by_label(re.compile(r"^\s*Address\s*\*?\s*$")).fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Address\s*\*?\s*$")).fill("9 Harbour Road")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#billing-address")).to_contain_text("9 Harbour Road")


def test_changing_the_phone_number(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/phone/")
    page.get_by_label("Phone number").fill("not a number")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a valid phone number")).to_be_visible()
    page.get_by_label("Phone number").fill("+1 (212) 555-0199")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#phone")).to_have_text("+1 212-555-0199")


def test_changing_the_purchase_order(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/purchase-order/")
    page.get_by_label("PO number").fill("PO-2027-1")
    page.get_by_label("PO expiry date").fill("2001-01-01")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The expiry date cannot be in the past.")).to_be_visible()
    page.get_by_label("PO expiry date").fill("2030-06-30")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#purchase-order")).to_contain_text("PO-2027-1")


def test_adding_and_removing_invoice_recipients(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_role("button", name="Add recipient").click()
    # Refused on the Billing page itself, under the field, with every other section still there.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Billing")
    expect(page.locator("#div_id_email .invalid-feedback")).to_have_text("Enter a valid email address.")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    expect(page.get_by_role("heading", name="Payment method")).to_be_visible()
    page.get_by_label("E-mail address").fill("ap@customer.example")
    page.get_by_role("button", name="Add recipient").click()
    expect(page.locator("#recipients")).to_contain_text("ap@customer.example")
    page.get_by_label("E-mail address").fill("AP@customer.example")
    page.get_by_role("button", name="Add recipient").click()
    expect(page.locator("#div_id_email .invalid-feedback")).to_have_text(
        "AP@customer.example already receives invoices."
    )
    expect(page.locator("#recipients")).to_contain_text("ap@customer.example")
    page.get_by_role("link", name="Remove ap@customer.example").click()
    page.get_by_role("button", name="Remove ap@customer.example").click()
    expect(page.locator("#recipients")).to_contain_text("No further recipients.")
    assert not InvoiceRecipient.objects.exists()


def test_requesting_a_change_of_auto_renewal(signed_in_page, live_server, account):
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_role("link", name="Request a change").nth(1).click()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Message").fill("Please switch auto-renewal off.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your request has been sent")).to_be_visible()
    assert account.requests.get().kind == "auto_renewal"


def invite(page, live_server, user_id="nora-billing"):
    page.goto(live_server.url + "/billing/contact/")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("New")
    page.get_by_label("E-mail address").fill("nora@customer.example")
    page.get_by_label("User ID").fill(user_id)
    page.get_by_role("button", name="Continue").click()


def confirm_invitation(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the new billing contact")
    page.get_by_role("button", name="Confirm").click()


def emailed_link(address: str, path: str) -> str:
    return re.search(rf"http\S+{path}\S+/", Email.objects.get(to=[address]).message).group(0)


def test_changing_the_billing_contact(signed_in_page, live_server, new_context, contact, account, settings):
    settings.PORTAL_URL = live_server.url
    page = signed_in_page
    invite(page, live_server, user_id="nora billing")
    expect(page.get_by_text("Use letters, digits")).to_be_visible()
    page.get_by_label("User ID").fill("nora-billing")
    page.get_by_role("button", name="Continue").click()
    confirm_invitation(page)
    expect(page.get_by_text("We have sent nora@customer.example an invitation.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Billing {account.name}")
    account.refresh_from_db()
    assert account.billing_contact == contact

    nora = new_context().new_page()
    nora.goto(emailed_link("nora@customer.example", "/billing/contact/welcome/"))
    expect(
        nora.get_by_text(f"{contact.get_full_name()} invites you to become the billing contact of {account.name}")
    ).to_be_visible()
    nora.get_by_label(re.compile(r"^\s*New password\s*\*?\s*$")).fill("a-brand-new-secret-9")
    nora.get_by_label("New password confirmation").fill("a-brand-new-secret-9")
    nora.get_by_role("button", name="Set password and accept").click()
    expect(nora.get_by_text(f"You are now the billing contact of {account.name}.")).to_be_visible()
    sign_in(nora, live_server, "nora-billing", "a-brand-new-secret-9")
    expect(nora).to_have_url(re.compile("/quotes/$"))
    account.refresh_from_db()
    assert account.billing_contact.username == "nora-billing"

    page.goto(live_server.url + "/billing/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_an_existing_customer_accepts_the_invitation(
    signed_in_page, live_server, new_context, contact, account, settings
):
    settings.PORTAL_URL = live_server.url
    nora = UserFactory(username="nora-billing", email="nora@customer.example", first_name="Nora", last_name="Existing")
    CompanyAccountFactory(billing_contact=nora, name="Nora's Own Ltd.")
    page = signed_in_page
    invite(page, live_server)
    confirm_invitation(page)
    expect(page.get_by_text("We have sent nora@customer.example an invitation.")).to_be_visible()

    other = new_context().new_page()
    other.goto(emailed_link("nora@customer.example", "/billing/contact/accept/"))
    other.get_by_label("User ID").fill("nora-billing")
    other.get_by_label("Password").fill("correct-horse-battery")
    other.get_by_role("button", name="Sign in").click()
    expect(
        other.get_by_text(f"invites you to become the billing contact of {account.name} (account {account.number})")
    ).to_be_visible()
    page.goto(live_server.url + "/billing/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(account.number)  # still the contact until Nora accepts

    other.get_by_role("button", name="Accept").click()
    expect(other.get_by_text(f"You are now the billing contact of {account.name}.")).to_be_visible()
    expect(other.get_by_role("heading", level=1)).to_contain_text(account.number)
    account.refresh_from_db()
    assert account.billing_contact == nora
    page.goto(live_server.url + "/billing/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_german_browser_gets_german_until_the_contacts_own_choice_takes_over(browser, live_server, contact, account):
    contact.language = "en"
    contact.save(update_fields=["language"])
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + "/")
    expect(page.get_by_role("button", name="Anmelden")).to_be_visible()
    page.get_by_label("Benutzer-ID").fill(contact.username)
    page.get_by_label("Passwort").fill("correct-horse-battery")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("link", name="Quotes", exact=True)).to_be_visible()
    context.close()


def test_a_german_browser_stays_german_for_a_contact_who_never_chose(browser, live_server, contact, account):
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.get_by_label("Benutzer-ID").fill(contact.username)
    page.get_by_label("Passwort").fill("correct-horse-battery")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("link", name="Angebote", exact=True)).to_be_visible()
    context.close()


def test_times_show_in_the_accounts_zone_with_the_zone_named(signed_in_page, live_server, account):
    account.time_zone = "Europe/Berlin"
    account.save(update_fields=["time_zone"])
    quote = SubmittedQuoteFactory(account=account)
    noon = datetime.datetime(2030, 1, 15, 12, 0, tzinfo=datetime.UTC)
    type(quote).objects.filter(pk=quote.pk).update(submitted_at=noon - datetime.timedelta(days=7), expires_at=noon)
    page = signed_in_page
    page.reload()
    expect(page.locator("#quotes")).to_contain_text("Jan. 15, 2030, 1 p.m. CET")


def test_removing_a_recipient_asks_first(signed_in_page, live_server, account):
    InvoiceRecipient.objects.create(account=account, email="ap@acme.example")
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_role("link", name="Remove ap@acme.example").click()
    expect(page.get_by_text("ap@acme.example will no longer receive invoices.")).to_be_visible()
    page.get_by_role("button", name="Remove ap@acme.example").click()
    expect(page.get_by_text("ap@acme.example no longer receives invoices.")).to_be_visible()
    assert not InvoiceRecipient.objects.exists()


def test_the_handover_is_confirmed_before_it_is_sent_and_can_be_changed(signed_in_page, live_server, contact, account):
    page = signed_in_page
    invite(page, live_server, user_id="nora-billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the new billing contact")
    details = page.locator("#new-contact")
    expect(details).to_contain_text("Nora New")
    expect(details).to_contain_text("nora@customer.example")
    expect(details).to_contain_text("nora-billing")
    expect(page.locator("#what-happens")).to_contain_text(
        f"Nora New becomes the billing contact of {account.name} when they accept it; "
        "until then you remain the billing contact."
    )
    assert not Email.objects.exists()

    page.get_by_role("button", name="Change").click()
    expect(page.get_by_label("First name")).to_have_value("Nora")
    expect(page.get_by_label("E-mail address")).to_have_value("nora@customer.example")
    page.get_by_label("E-mail address").fill("nora.new@customer.example")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#new-contact")).to_contain_text("nora.new@customer.example")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("We have sent nora.new@customer.example an invitation.")).to_be_visible()
    assert Email.objects.get().to == ["nora.new@customer.example"]
    account.refresh_from_db()
    assert account.billing_contact == contact


def test_a_contact_has_a_recipient_and_themselves_sent_the_xml_too(signed_in_page, account):
    recipient = InvoiceRecipient.objects.create(account=account, email="ap@customer.example")
    page = signed_in_page
    page.get_by_role("link", name="Billing").click()

    row = page.locator("#recipients li", has_text="ap@customer.example")
    row.get_by_label("Also send the XML (e-invoice)").check()
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("ap@customer.example now gets the XML (e-invoice) with each invoice")).to_be_visible()
    expect(
        page.locator("#recipients li", has_text="ap@customer.example").get_by_label("Also send the XML")
    ).to_be_checked()

    contact_card = page.locator("section", has=page.get_by_role("heading", name="Billing contact"))
    contact_card.get_by_label("Also send the XML (e-invoice)").check()
    contact_card.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"{account.billing_contact.email} now gets the XML (e-invoice)")).to_be_visible()

    recipient.refresh_from_db()
    account.refresh_from_db()
    assert recipient.wants_xml and account.contact_wants_xml
