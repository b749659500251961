"""The balance at the top of Invoices: what the account owes per currency, and how much of it is overdue."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.models import InvoiceKind, InvoiceState
from invoices.selectors import invoice_balance_for_account
from invoices.tests.factories import InvoiceFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db
URL = reverse("invoices:list")


def issued(account, total, *, days_overdue=None, currency="USD", **fields):
    today = account.today()
    due = today - datetime.timedelta(days=days_overdue) if days_overdue else today + datetime.timedelta(days=10)
    return IssuedInvoiceFactory(
        account=account,
        currency=currency,
        subtotal=total,
        total=total,
        issue_date=due - datetime.timedelta(days=30),
        due_date=due,
        **fields,
    )


def _balance(response) -> dict[str, tuple[str, str]]:
    section = re.search(r'<section[^>]*id="balance">(.*?)</section>', response.content.decode(), re.S).group(1)
    return {
        currency: (open_, overdue)
        for currency, open_, overdue in re.findall(
            r'data-currency="(\w+)">.*?data-open>([^<]+)</span>.*?data-overdue>([^<]+)</span>', section, re.S
        )
    }


def test_it_totals_what_is_open_and_what_of_it_is_overdue_per_currency(contact_client, account):
    issued(account, Decimal("100.00"))
    issued(account, Decimal("250.50"), days_overdue=3)
    issued(account, Decimal("1000.00"), currency="EUR", days_overdue=40)
    issued(account, Decimal("20.00"), currency="EUR")

    assert _balance(contact_client.get(URL)) == {"EUR": ("€1,020.00", "€1,000.00"), "USD": ("$350.50", "$250.50")}


def test_paid_void_credit_notes_and_drafts_owe_nothing(contact_client, account):
    issued(account, Decimal("100.00"))
    issued(account, Decimal("500.00"), state=InvoiceState.PAID, days_overdue=5)
    voided = issued(account, Decimal("700.00"), state=InvoiceState.VOID, days_overdue=5)
    issued(account, Decimal("-700.00"), kind=InvoiceKind.CREDIT_NOTE, corrects=voided)
    InvoiceFactory(account=account, subtotal=Decimal("900.00"), total=Decimal("900.00"))

    assert _balance(contact_client.get(URL)) == {"USD": ("$100.00", "$0.00")}


def test_another_accounts_invoices_never_count(contact_client, account, other_account):
    issued(account, Decimal("100.00"))
    issued(other_account, Decimal("9999.00"), days_overdue=2)

    assert _balance(contact_client.get(URL)) == {"USD": ("$100.00", "$0.00")}


def test_a_settled_account_is_told_so(contact_client, account):
    issued(account, Decimal("100.00"), state=InvoiceState.PAID)

    response = contact_client.get(URL)

    assert _balance(response) == {}
    assert "There is nothing open to pay." in response.content.decode()


def test_it_is_shown_in_the_language_of_the_page(contact_client, account):
    issued(account, Decimal("1234.50"), currency="EUR", days_overdue=1)

    response = contact_client.get(URL, headers={"accept-language": "de"})

    assert _balance(response) == {"EUR": ("1.234,50\xa0€", "1.234,50\xa0€")}


def test_it_is_one_query(account, django_assert_num_queries):
    issued(account, Decimal("100.00"), days_overdue=1)
    issued(account, Decimal("100.00"), currency="EUR")

    with django_assert_num_queries(1):
        balance = invoice_balance_for_account(account=account)

    assert [row["currency"] for row in balance] == ["EUR", "USD"]
