from decimal import Decimal

import pytest

from accounts.models import AuditEntry, PaymentMethod
from quotes.models import ServiceOrder
from quotes.services import QuoteError, service_order_draft_create

from .factories import ProductFactory, SubmittedQuoteFactory, overdue

pytestmark = pytest.mark.django_db


def test_it_drafts_an_order_with_snapshots_and_the_server_total(account, contact):
    first = SubmittedQuoteFactory(account=account, lines=[(None, 2, Decimal("100.00")), (None, 1, Decimal("0.50"))])
    second = SubmittedQuoteFactory(account=account, lines=[(ProductFactory(), 3, Decimal("10.00"))])
    order = service_order_draft_create(
        account=account,
        actor=contact,
        quote_ids=[second.pk, first.pk],
        admin_name="Pat Admin",
        admin_email="pat@acme.example",
        payment_values={"payment_method": PaymentMethod.CHECK},
        address_values={"address_line1": "2 Side Street"},
    )
    order.refresh_from_db()
    assert order.state == ServiceOrder.State.DRAFT
    assert set(order.quotes.all()) == {first, second}
    assert order.total == Decimal("230.50")
    assert order.payment_method == PaymentMethod.CHECK
    assert order.billing_address.startswith("2 Side Street")
    account.refresh_from_db()
    assert account.payment_method == PaymentMethod.CHECK
    assert account.address_line1 == "2 Side Street"
    assert AuditEntry.objects.filter(action="payment_method_update", account=account).exists()
    entry = AuditEntry.objects.get(action="service_order_draft_create", object_id=order.pk)
    assert (entry.account, entry.actor) == (account, contact)
    assert entry.changes == {"state": [None, "draft"], "quotes": [None, [first.number, second.number]]}


def test_it_refuses_another_accounts_quote(account, contact, other_quote):
    with pytest.raises(QuoteError):
        service_order_draft_create(
            account=account, actor=contact, quote_ids=[other_quote.pk], admin_name="Pat", admin_email="pat@acme.example"
        )
    assert not ServiceOrder.objects.exists()


def test_it_refuses_an_expired_quote_and_saves_nothing(account, contact, open_quote):
    overdue(open_quote)
    with pytest.raises(QuoteError, match="expired"):
        service_order_draft_create(
            account=account,
            actor=contact,
            quote_ids=[open_quote.pk],
            admin_name="Pat",
            admin_email="pat@acme.example",
            address_values={"address_line1": "Elsewhere 5"},
        )
    account.refresh_from_db()
    assert account.address_line1 != "Elsewhere 5"


def test_it_refuses_quotes_in_different_currencies(account, contact):
    usd = SubmittedQuoteFactory(account=account, currency="USD")
    eur = SubmittedQuoteFactory(account=account, currency="EUR")
    with pytest.raises(QuoteError, match="currencies"):
        service_order_draft_create(
            account=account, actor=contact, quote_ids=[usd.pk, eur.pk], admin_name="Pat", admin_email="pat@acme.example"
        )
