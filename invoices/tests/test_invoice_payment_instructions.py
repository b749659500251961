"""Each invoice says how it gets paid: on its page, in its PDF's text and in its e-mail, as it was at issue."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from post_office.models import Email

from accounts.services import MandateDetails, payment_method_update
from invoices import services
from invoices.documents import INVOICE_PDF
from invoices.models import InvoiceDelivery
from invoices.tests.factories import draft_with_lines

pytestmark = pytest.mark.django_db


def _issued(account, staff):
    return services.invoice_issue(invoice=draft_with_lines(account), actor=staff)


@pytest.fixture
def sepa_account(account, contact):
    account.country, account.currency = "DE", "EUR"
    account.save()
    payment_method_update(
        account=account,
        actor=contact,
        values={"payment_method": "sepa_debit"},
        mandate=MandateDetails(holder="Kunde GmbH", iban_masked="DE02…2051", bic="BYLADEM1001"),
    )
    account.refresh_from_db()
    return account


def test_sepa_is_pre_notified_with_iban_mandate_and_date(sepa_account, staff):
    invoice = _issued(sepa_account, staff)
    reference = sepa_account.sepa_mandate.reference
    with translation.override("en"):
        text = invoice.payment_instructions
    assert f"debited from IBAN DE02…2051 under mandate {reference} on or after" in text
    assert invoice.due_date.strftime("%Y") in text
    assert "DE98ZZZ09999999999" in text


def test_the_snapshot_keeps_the_invoice_as_issued(sepa_account, contact, staff):
    invoice = _issued(sepa_account, staff)
    reference = sepa_account.sepa_mandate.reference
    payment_method_update(
        account=sepa_account,
        actor=contact,
        values={},
        mandate=MandateDetails(holder="Kunde GmbH", iban_masked="FR14…2606", bic="PSSTFRPP"),
    )
    invoice.refresh_from_db()
    assert (invoice.sepa_mandate_reference, invoice.sepa_iban_masked) == (reference, "DE02…2051")


def test_a_card_names_brand_and_last_digits(account, staff):
    account.payment_method, account.card_brand, account.card_last4 = "card", "Visa", "4242"
    account.save()
    with translation.override("en"):
        assert "charged to Visa ending 4242" in _issued(account, staff).payment_instructions


def test_ach_names_the_last_digits(account, staff):
    account.payment_method, account.bank_account_last4 = "direct_debit", "1234"
    account.save()
    with translation.override("en"):
        assert "debited from the account ending 1234" in _issued(account, staff).payment_instructions


def test_a_wire_names_the_sellers_bank_and_the_reference(account, staff, settings):
    account.payment_method = "wire"
    account.save()
    invoice = _issued(account, staff)
    with translation.override("en"):
        text = invoice.payment_instructions
    for part in (settings.SELLER_IBAN, settings.SELLER_BIC, settings.SELLER_BANK_NAME, settings.SELLER_NAME):
        assert part in text
    assert f"quote {invoice.number} as the reference" in text


def test_a_check_names_the_check_address(account, staff, settings):
    settings.SELLER_CHECK_ADDRESS = ["PO Box 42", "Chicago IL 60601"]
    account.payment_method = "check"
    account.save()
    with translation.override("en"):
        assert "PO Box 42, Chicago IL 60601" in _issued(account, staff).payment_instructions


def test_the_detail_page_the_pdf_and_the_email_say_it(contact_client, sepa_account, staff):
    invoice = _issued(sepa_account, staff)
    sentence = f"under mandate {invoice.sepa_mandate_reference}"
    assert sentence in contact_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    with translation.override("en"):
        html = render_to_string(INVOICE_PDF.template, INVOICE_PDF.context(invoice))
    assert sentence in html
    email = Email.objects.get(pk=InvoiceDelivery.objects.get(invoice=invoice).email_id)
    assert sentence in email.message and sentence in email.html_message
