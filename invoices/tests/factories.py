import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import CompanyAccountFactory
from invoices.models import Invoice, InvoiceLine, InvoiceState


class InvoiceFactory(DjangoModelFactory):
    """A draft; pass `state=InvoiceState.ISSUED` (with the defaults below) for an issued one without the service."""

    class Meta:
        model = Invoice

    account = factory.SubFactory(CompanyAccountFactory)
    service_period_start = datetime.date(2026, 1, 1)
    service_period_end = datetime.date(2026, 12, 31)
    currency = factory.LazyAttribute(lambda invoice: invoice.account.currency)
    tax_rate = Decimal("0.00")


class IssuedInvoiceFactory(InvoiceFactory):
    state = InvoiceState.ISSUED
    number = factory.Sequence(lambda n: f"INV-2026-{n + 1:05d}")
    issue_date = factory.Sequence(lambda n: datetime.date(2026, 1, 1) + datetime.timedelta(days=n))
    due_date = factory.LazyAttribute(lambda invoice: invoice.issue_date + datetime.timedelta(days=30))
    billing_name = factory.LazyAttribute(lambda invoice: invoice.account.name)
    billing_address = factory.LazyAttribute(lambda invoice: "\n".join(invoice.account.address_lines))
    account_number = factory.LazyAttribute(lambda invoice: invoice.account.number)
    contact_user_id = factory.LazyAttribute(lambda invoice: invoice.account.billing_contact.username)
    subtotal = Decimal("100.00")
    total = Decimal("100.00")
    tax_category = "O"
    buyer_street = factory.LazyAttribute(lambda invoice: invoice.account.address_line1)
    buyer_postal_code = factory.LazyAttribute(lambda invoice: invoice.account.postal_code)
    buyer_city = factory.LazyAttribute(lambda invoice: invoice.account.city)
    buyer_country = factory.LazyAttribute(lambda invoice: str(invoice.account.country))

    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    @factory.post_generation
    def lines(invoice, create, extracted, **kwargs):
        """An issued invoice has at least one line (invoice_issue refuses one without): 100.00 by default."""
        if create and extracted is None:
            InvoiceLine.objects.create(
                invoice=invoice,
                description="Team plan, annual subscription",
                quantity=Decimal("1"),
                unit_price=Decimal("100.00"),
                line_total=Decimal("100.00"),
            )


class InvoiceLineFactory(DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = factory.Sequence(lambda n: f"Team plan, annual subscription #{n}")
    product = "TEAM-ANNUAL"
    quantity = Decimal("10")
    unit_price = Decimal("120.00")


def draft_with_lines(account, lines=((Decimal("10"), Decimal("120.00"), "Team plan, 10 seats"),), **fields) -> Invoice:
    invoice = InvoiceFactory(account=account, **fields)
    for position, (quantity, unit_price, description) in enumerate(lines, start=1):
        InvoiceLineFactory(
            invoice=invoice, position=position, quantity=quantity, unit_price=unit_price, description=description
        )
    return invoice
