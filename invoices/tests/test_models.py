import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from invoices.models import Invoice, InvoiceKind, InvoiceState
from invoices.tests.factories import IssuedInvoiceFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_total_that_is_not_subtotal_plus_tax(account):
    with pytest.raises(IntegrityError):
        IssuedInvoiceFactory(account=account, subtotal=Decimal("100.00"), tax=Decimal("19.00"), total=Decimal("100.00"))


def test_the_database_refuses_an_issued_invoice_without_number(account):
    with pytest.raises(IntegrityError):
        IssuedInvoiceFactory(account=account, number=None)


def test_the_database_refuses_a_credit_note_that_corrects_nothing(account):
    with pytest.raises(IntegrityError):
        IssuedInvoiceFactory(account=account, kind=InvoiceKind.CREDIT_NOTE)


def test_the_database_refuses_duplicate_numbers(account):
    IssuedInvoiceFactory(account=account, number="INV-1")

    with pytest.raises(IntegrityError):
        IssuedInvoiceFactory(account=account, number="INV-1")


@pytest.mark.parametrize(
    ("state", "due_in_days", "status"),
    [
        (InvoiceState.ISSUED, 1, "open"),
        (InvoiceState.ISSUED, 0, "open"),
        (InvoiceState.ISSUED, -1, "overdue"),
        (InvoiceState.PAID, -1, "paid"),
        (InvoiceState.VOID, -1, "void"),
    ],
)
def test_the_status_is_computed_from_state_and_due_date(state, due_in_days, status):
    invoice = Invoice(state=state, due_date=timezone.localdate() + datetime.timedelta(days=due_in_days))

    assert invoice.status == status
