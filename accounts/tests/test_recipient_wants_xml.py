"""On the Billing page the contact chooses, per invoice recipient and for themselves, to get the XML too."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.audit import AuditAction
from accounts.models import AuditEntry, InvoiceRecipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(account):
    return InvoiceRecipient.objects.create(account=account, email="ap@customer.example")


def test_the_billing_page_offers_the_choice_per_recipient_and_for_the_contact(contact_client, account, recipient):
    recipient.wants_xml = True
    recipient.save(update_fields=["wants_xml"])

    page = contact_client.get(reverse("accounts:billing")).content.decode()

    assert page.count("Also send the XML (e-invoice)") == 2
    assert f'action="{reverse("accounts:recipient_xml", args=[recipient.pk])}"' in page
    assert f'id="xml-recipient-{recipient.pk}" aria-describedby="recipient-{recipient.pk}" checked' in page
    assert f'action="{reverse("accounts:contact_xml")}"' in page
    assert 'id="xml-contact-email" aria-describedby="contact-email">' in page  # not ticked


def test_ticking_it_for_a_recipient_is_saved_audited_and_said(contact_client, account, contact, recipient):
    response = contact_client.post(
        reverse("accounts:recipient_xml", args=[recipient.pk]), {"wants_xml": "on"}, follow=True
    )

    recipient.refresh_from_db()
    assert recipient.wants_xml is True
    entry = AuditEntry.objects.get(action=AuditAction.INVOICE_RECIPIENT_XML)
    assert (entry.actor, entry.account, entry.changes) == (contact, account, {"wants_xml": [False, True]})
    assert "ap@customer.example now gets the XML (e-invoice) with each invoice, besides the PDF." in (
        response.content.decode()
    )


def test_unticking_it_sends_no_value_and_turns_it_off(contact_client, recipient):
    recipient.wants_xml = True
    recipient.save(update_fields=["wants_xml"])

    response = contact_client.post(reverse("accounts:recipient_xml", args=[recipient.pk]), {}, follow=True)

    recipient.refresh_from_db()
    assert recipient.wants_xml is False
    assert "ap@customer.example now gets each invoice as a PDF only." in response.content.decode()


def test_saving_the_same_choice_again_writes_no_audit_entry(contact_client, recipient):
    contact_client.post(reverse("accounts:recipient_xml", args=[recipient.pk]), {})
    assert not AuditEntry.objects.filter(action=AuditAction.INVOICE_RECIPIENT_XML).exists()


def test_the_contact_chooses_for_themselves(contact_client, account, contact):
    response = contact_client.post(reverse("accounts:contact_xml"), {"wants_xml": "on"}, follow=True)

    account.refresh_from_db()
    assert account.contact_wants_xml is True
    entry = AuditEntry.objects.get(action=AuditAction.INVOICE_RECIPIENT_XML)
    assert (entry.actor, entry.changes) == (contact, {"contact_wants_xml": [False, True]})
    assert "billing@acme.example now gets the XML (e-invoice) with each invoice, besides the PDF." in (
        response.content.decode()
    )


def test_it_takes_post_only(contact_client, recipient):
    assert contact_client.get(reverse("accounts:recipient_xml", args=[recipient.pk])).status_code == 405
    assert contact_client.get(reverse("accounts:contact_xml")).status_code == 405


def test_another_accounts_recipient_is_404_and_unchanged(contact_client, other_account):
    other = InvoiceRecipient.objects.create(account=other_account, email="ap@other.example")
    assert (
        contact_client.post(reverse("accounts:recipient_xml", args=[other.pk]), {"wants_xml": "on"}).status_code == 404
    )
    other.refresh_from_db()
    assert other.wants_xml is False


def test_a_recipient_removed_meanwhile_is_an_error_not_a_500(account, contact, recipient):
    stale = InvoiceRecipient.objects.get(pk=recipient.pk)
    services.invoice_recipient_remove(recipient=recipient, actor=contact)

    with pytest.raises(services.AccountError):
        services.invoice_recipient_wants_xml(recipient=stale, actor=contact, wants_xml=True)
    assert not AuditEntry.objects.filter(action=AuditAction.INVOICE_RECIPIENT_XML).exists()
