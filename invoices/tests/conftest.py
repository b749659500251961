from decimal import Decimal

import pytest

from accounts.models import InvoiceRecipient
from invoices import services
from invoices.tests.factories import draft_with_lines


@pytest.fixture
def staff(db):
    from accounts.tests.factories import StaffFactory

    return StaffFactory()


@pytest.fixture
def recipients(account):
    return [
        InvoiceRecipient.objects.create(account=account, email="ap@acme.example"),
        InvoiceRecipient.objects.create(account=account, email="cfo@acme.example"),
    ]


@pytest.fixture
def draft(account):
    account.po_number = "PO-7788"
    account.save(update_fields=["po_number"])
    return draft_with_lines(
        account,
        lines=[
            (Decimal("10"), Decimal("120.00"), "Team plan, 10 seats"),
            (Decimal("3"), Decimal("19.99"), "Extra storage 100 GB"),
        ],
        tax_rate=Decimal("19.00"),
    )


@pytest.fixture
def issued(draft, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        return services.invoice_issue(invoice=draft, actor=staff)
