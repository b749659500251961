"""Invoices read at a glance: what the list covers, the amount due and PDF of each, days overdue, credit notes."""

import datetime

import pytest
from django.urls import reverse

from invoices import services
from invoices.tests.factories import IssuedInvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("invoices:list")


def test_the_heading_says_these_are_the_20_most_recent(contact_client, account):
    page = contact_client.get(URL).content.decode()
    assert "These are your 20 most recent invoices and credit notes" in page
    assert "For older ones, contact Corporate Account Services." in page


def test_each_row_shows_the_amount_due_and_links_its_pdf(contact_client, account):
    unpaid = IssuedInvoiceFactory(account=account, due_date=account.today() + datetime.timedelta(days=3))
    paid = IssuedInvoiceFactory(account=account, state="paid")
    page = contact_client.get(URL).content.decode()
    for invoice in (unpaid, paid):
        assert f'href="{reverse("invoices:pdf", args=[invoice.pk])}"' in page
    assert page.count('data-label="Amount due"><span class="money">$100.00</span>') == 1
    assert page.count('data-label="Amount due"><span class="money">$0.00</span>') == 1


def test_an_overdue_invoice_says_by_how_many_days(contact_client, account):
    invoice = IssuedInvoiceFactory(account=account, due_date=account.today() - datetime.timedelta(days=12))
    assert "12 days overdue" in contact_client.get(URL).content.decode()
    assert "12 days overdue" in contact_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()


def test_each_status_has_its_own_badge(contact_client, account):
    IssuedInvoiceFactory(account=account, due_date=account.today() - datetime.timedelta(days=1))
    IssuedInvoiceFactory(account=account, due_date=account.today() + datetime.timedelta(days=1))
    IssuedInvoiceFactory(account=account, state="paid")
    IssuedInvoiceFactory(account=account, state="void")
    page = contact_client.get(URL).content.decode()
    for status in ("overdue", "open", "paid", "void"):
        assert f'class="badge status-badge status-{status}"' in page, status


def test_a_void_invoice_and_its_credit_note_link_to_each_other(contact_client, issued, staff):
    services.invoice_void(invoice=issued, actor=staff)
    note = issued.credit_notes.get()
    invoice_page = contact_client.get(reverse("invoices:detail", args=[issued.pk])).content.decode()
    note_page = contact_client.get(reverse("invoices:detail", args=[note.pk])).content.decode()
    assert f'<a href="{reverse("invoices:detail", args=[note.pk])}" id="credit-note">{note.number}</a>' in invoice_page
    assert f'<a href="{reverse("invoices:detail", args=[issued.pk])}" id="corrected-invoice">' in note_page
    assert "Credit note number" in note_page and "Credit note date" in note_page and "Total credited" in note_page
    assert "Invoice number" not in note_page and "Due date" not in note_page
