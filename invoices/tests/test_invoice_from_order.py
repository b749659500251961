"""The invoice for an accepted order carries the order's lines and the tax treatment its quotes were accepted under."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.audit import AuditAction
from accounts.models import AuditEntry
from accounts.tests.factories import StaffFactory
from invoices import services
from invoices.models import InvoiceState
from quotes import services as quote_services
from quotes.tests.factories import ProductFactory, QuoteFactory
from quotes.tests.helpers import draft_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    user = StaffFactory(username="cas-invoicing")
    user.groups.add(Group.objects.get(name="Corporate Account Services"))
    return user


def _placed_order(account, staff, lines=None):
    quote = QuoteFactory(
        account=account, lines=lines or [(ProductFactory(name="Remote Support"), 10, Decimal("99.50"))]
    )
    quote_services.quote_submit(quote=quote, actor=staff)
    contact = account.billing_contact
    return quote_services.service_order_place(
        order=draft_order(account=account, contact=contact, quotes=[quote]), actor=contact
    )


def test_the_draft_carries_the_frozen_treatment_not_todays(account, member):
    account.country, account.currency, account.vat_id = "FR", "EUR", "FR40303265045"
    account.save()
    order = _placed_order(account, member)  # accepted under reverse charge
    account.vat_id = ""
    account.save()  # today it would be French... well, the seller's VAT
    invoice = services.invoice_draft_from_order(order=order, actor=member)
    assert (invoice.state, invoice.tax_category, invoice.tax_rate) == (InvoiceState.DRAFT, "AE", Decimal("0"))
    assert invoice.service_order == order
    assert (invoice.subtotal, invoice.tax, invoice.total) == (order.subtotal, order.tax, order.total)
    (line,) = invoice.lines.all()
    assert line.description == "Remote Support, 10 seats, 12 months"
    assert line.line_total == Decimal("995.00")
    assert invoice.service_period_end.year == invoice.service_period_start.year + 1 or (
        invoice.service_period_end - invoice.service_period_start
    ).days in (364, 365)
    assert AuditEntry.objects.filter(action=AuditAction.INVOICE_DRAFT_FROM_ORDER, object_id=invoice.pk).exists()
    issued = services.invoice_issue(invoice=invoice, actor=member)
    assert (issued.tax_category, issued.tax) == ("AE", Decimal("0.00"))


def test_a_german_order_is_invoiced_with_its_vat_and_german_lines(account, member):
    account.country, account.currency, account.language = "DE", "EUR", "de"
    account.save()
    order = _placed_order(account, member)
    invoice = services.invoice_draft_from_order(order=order, actor=member)
    assert (invoice.tax_category, invoice.tax_rate, invoice.total) == ("S", Decimal("19.000"), order.total)
    assert invoice.lines.get().description == "Remote Support, 10 Plätze, 12 Monate"


def test_one_invoice_per_order(account, member):
    order = _placed_order(account, member)
    services.invoice_draft_from_order(order=order, actor=member)
    with pytest.raises(services.InvoiceError):
        services.invoice_draft_from_order(order=order, actor=member)


def test_staff_draft_it_from_the_order_page(client, account, member):
    order = _placed_order(account, member)
    client.force_login(member)
    change = client.get(reverse("admin:quotes_serviceorder_change", args=[order.pk])).content.decode()
    url = reverse("admin:quotes_serviceorder_draft_invoice", args=[order.pk])
    assert url in change
    assert client.get(url).status_code == 200  # the confirmation changes nothing
    assert not order.invoices.exists()
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert order.invoices.get().state == InvoiceState.DRAFT
    assert "Draft invoice for" in response.content.decode()
