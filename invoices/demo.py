"""Demo invoices for `manage.py seed_demo`: idempotent; PDFs render on first download.

Only the demo credit note is e-mailed (it goes through invoice_void like a real one).
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from accounts.models import CompanyAccount

from . import services
from .models import Invoice, InvoiceKind, InvoiceLine, InvoiceState

PRODUCTS = [
    ("Team plan, annual subscription", "TEAM-ANNUAL", Decimal("120.00")),
    ("Enterprise plan, annual subscription", "ENT-ANNUAL", Decimal("348.00")),
    ("Extra storage, 100 GB", "STORAGE-100", Decimal("19.99")),
    ("Premium support", "SUPPORT-PREM", Decimal("1500.00")),
]
# (account number, how many invoices, tax rate)
PLAN = [("100001", 26, Decimal("0.00")), ("100002", 4, Decimal("19.00")), ("100003", 3, Decimal("8.25"))]


def _issued(account: CompanyAccount, index: int, issue_date: datetime.date, tax_rate: Decimal, state: str) -> Invoice:
    product, sku, price = PRODUCTS[index % len(PRODUCTS)]
    lines = [
        InvoiceLine(position=1, description=product, product=sku, quantity=Decimal(5 + index % 20), unit_price=price),
        InvoiceLine(
            position=2,
            description=PRODUCTS[2][0],
            product=PRODUCTS[2][1],
            quantity=Decimal(1 + index % 3),
            unit_price=PRODUCTS[2][2],
        ),
    ]
    subtotal, tax, total = services._totals(lines, tax_rate)
    invoice = Invoice(
        account=account,
        state=state,
        issue_date=issue_date,
        due_date=issue_date + datetime.timedelta(days=30),
        service_period_start=issue_date,
        service_period_end=issue_date + datetime.timedelta(days=364),
        tax_rate=tax_rate,
        subtotal=subtotal,
        tax=tax,
        total=total,
        issued_at=timezone.now(),
        paid_at=timezone.now() if state == InvoiceState.PAID else None,
    )
    services._snapshot(invoice, account)
    invoice.number = services._next_number(InvoiceKind.INVOICE, issue_date.year)
    invoice.save()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    return invoice


def seed() -> int:
    """Issued, paid and overdue invoices for the demo accounts (ACME gets more than 20); returns how many were added."""
    today = timezone.localdate()
    added = 0
    for number, count, tax_rate in PLAN:
        account = CompanyAccount.objects.select_related("billing_contact").filter(number=number).first()
        if account is None or account.invoices.exists():
            continue
        for index in range(count):
            # Oldest first, about a fortnight apart; the two newest are open, the third overdue, the rest paid.
            issue_date = today - datetime.timedelta(days=14 * (count - 1 - index) + 3)
            age = count - 1 - index
            state = InvoiceState.ISSUED if age < 3 else InvoiceState.PAID
            if age == 2:
                issue_date = today - datetime.timedelta(days=45)
            _issued(account, index, issue_date, tax_rate, state)
            added += 1
        if number == "100001":
            # One voided invoice with its credit note, and one draft for staff to issue in the admin.
            voided = _issued(account, count, today - datetime.timedelta(days=60), tax_rate, InvoiceState.ISSUED)
            services.invoice_void(invoice=voided, actor=None, reason="Issued twice by mistake.")
            draft = Invoice.objects.create(
                account=account,
                currency=account.currency,
                service_period_start=today,
                service_period_end=today + datetime.timedelta(days=364),
            )
            InvoiceLine.objects.create(
                invoice=draft,
                position=1,
                description=PRODUCTS[0][0],
                product=PRODUCTS[0][1],
                quantity=Decimal(12),
                unit_price=PRODUCTS[0][2],
            )
            services.invoice_draft_recalculate(invoice=draft)
            added += 2
    return added
