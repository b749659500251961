"""SEPA direct debit and ACH as a billing contact sets them up, in Chromium, in English and German."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import PaymentMethod, SepaMandate
from quotes.models import ServiceOrder
from quotes.tests.factories import SubmittedQuoteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVE = {"en": "Save", "de": "Speichern"}
CHANGE = {"en": "Change payment method", "de": "Zahlungsweise ändern"}


@pytest.fixture(autouse=True)
def _fail_fast(page):
    page.set_default_timeout(5000)


def _german_account(account, contact, language):
    account.country, account.language, account.currency = "DE", "de", "EUR"
    account.save()
    contact.language = language
    contact.save(update_fields=["language"])


def _fill_sepa(page, iban):
    page.locator("input[name=payment_method][value=sepa_debit]").check()
    page.locator("#id_sepa_account_holder").fill("Kunde GmbH")
    page.locator("#id_sepa_iban").fill(iban)
    page.locator("#id_sepa_mandate_accepted").check()


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_german_account_sets_up_sepa_on_the_billing_page(signed_in_page, live_server, contact, account, language):
    _german_account(account, contact, language)
    page = signed_in_page
    page.goto(live_server.url + "/billing/")
    page.get_by_role("link", name=CHANGE[language]).click()
    expect(page.locator("input[name=payment_method][value=direct_debit]")).to_have_count(0)
    expect(page.locator("input[name=payment_method][value=check]")).to_have_count(0)
    _fill_sepa(page, "DE03 1203 0000 0000 2020 51")  # a wrong check digit
    expect(page.locator("#sepa-mandate-text")).to_be_visible()
    expect(page.locator("#sepa-mandate-text")).to_have_attribute("lang", "de")
    page.get_by_role("button", name=SAVE[language], exact=True).click()
    expect(page.locator("#id_sepa_iban")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_sepa_iban")).to_have_value("")  # never written back
    assert not SepaMandate.objects.exists()

    _fill_sepa(page, "DE02 1203 0000 0000 2020 51")
    page.get_by_role("button", name=SAVE[language], exact=True).click()
    page.wait_for_url("**/billing/")
    mandate = SepaMandate.objects.get()
    expect(page.locator("#payment-method")).to_contain_text("DE02…2051")
    expect(page.locator("#payment-method")).to_contain_text(mandate.reference)
    expect(page.locator("#sepa-mandate")).to_contain_text(mandate.reference)
    account.refresh_from_db()
    assert account.payment_method == PaymentMethod.SEPA_DEBIT
    assert mandate.bic == "BYLADEM1001"


def test_a_german_account_accepts_the_mandate_at_checkout_in_german(
    signed_in_page, live_server, contact, account, terms
):
    _german_account(account, contact, "de")
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.goto(live_server.url + f"/quotes/{quote.pk}/payment/")
    page.locator("#id_admin-admin_name").fill("Pat Admin")
    page.locator("#id_admin-admin_email").fill("pat@kunde.example")
    page.locator("#id_address-address_line1").fill("Hauptstraße 5")
    page.locator("#id_address-postal_code").fill("80331")
    page.locator("#id_address-city").fill("München")
    page.locator("input[name=payment_method][value=sepa_debit]").check()
    page.locator("#id_sepa_account_holder").fill("Kunde GmbH")
    page.locator("#id_sepa_iban").fill("DE02 1203 0000 0000 2020 51")
    page.get_by_role("button", name="Speichern und weiter zum Serviceauftrag").click()
    expect(page.locator("#id_sepa_mandate_accepted")).to_have_attribute("aria-invalid", "true")
    assert not SepaMandate.objects.exists()

    page.locator("#id_sepa_iban").fill("DE02 1203 0000 0000 2020 51")
    page.locator("#id_sepa_mandate_accepted").check()
    page.get_by_role("button", name="Speichern und weiter zum Serviceauftrag").click()
    page.get_by_label("Ich akzeptiere die Geschäftsbedingungen und erteile einen verbindlichen Auftrag").check()
    page.get_by_role("button", name="Serviceauftrag erteilen").click()
    page.wait_for_url("**/confirmation/")
    mandate = SepaMandate.objects.get()
    order = ServiceOrder.objects.get(state=ServiceOrder.State.PLACED)
    assert mandate.reference in order.payment_display
    expect(page.locator("#order-payment")).to_contain_text(mandate.reference)


def test_a_us_account_pays_by_ach_after_a_wrong_routing_number(signed_in_page, live_server, account):
    quote = SubmittedQuoteFactory(account=account)
    page = signed_in_page
    page.goto(live_server.url + f"/quotes/{quote.pk}/payment/")
    expect(page.locator("input[name=payment_method][value=sepa_debit]")).to_have_count(0)
    page.locator("#id_admin-admin_name").fill("Pat Admin")
    page.get_by_label("E-mail address").fill("pat@acme.example")
    page.get_by_label("ACH direct debit").check()
    page.get_by_label("Account holder").fill("Acme Inc.")
    page.get_by_label("Routing number").fill("021000022")
    page.get_by_label("Account number").fill("000123456789")
    page.get_by_role("button", name="Save and Proceed to Service Order").click()
    expect(page.get_by_text("This routing number does not exist: check its 9 digits.").first).to_be_visible()

    page.get_by_label("Routing number").fill("021000021")
    page.get_by_role("button", name="Save and Proceed to Service Order").click()
    expect(page.get_by_role("heading", name=re.compile("Review your service order"))).to_be_visible()
    expect(page.locator("#order-payment")).to_have_text("ACH direct debit from the account ending in 6789")
