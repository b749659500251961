"""Removing an invoice recipient asks first, and says what will happen."""

import pytest
from django.urls import reverse

from accounts.models import InvoiceRecipient

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(account):
    return InvoiceRecipient.objects.create(account=account, email="ap@acme.example")


def test_the_billing_page_asks_before_removing(contact_client, recipient):
    page = contact_client.get(reverse("accounts:billing")).content.decode()
    assert reverse("accounts:recipient_remove_confirm", args=[recipient.pk]) in page
    assert f'action="{reverse("accounts:recipient_remove", args=[recipient.pk])}"' not in page


def test_the_question_names_the_address_and_what_happens(contact_client, recipient):
    page = contact_client.get(reverse("accounts:recipient_remove_confirm", args=[recipient.pk])).content.decode()
    assert "ap@acme.example will no longer receive invoices." in page
    assert f'action="{reverse("accounts:recipient_remove", args=[recipient.pk])}"' in page
    assert InvoiceRecipient.objects.filter(pk=recipient.pk).exists()


def test_the_question_is_404_for_another_accounts_recipient(contact_client, other_account):
    foreign = InvoiceRecipient.objects.create(account=other_account, email="ap@other.example")
    assert contact_client.get(reverse("accounts:recipient_remove_confirm", args=[foreign.pk])).status_code == 404
